"""mcp-server's gRPC surface: the tools, for services that run a model's tool loop."""

from __future__ import annotations

from google.protobuf import json_format
from pyat.mcp.v1 import mcp_pb2, mcp_pb2_grpc

from services.mcp.toolbox import Toolbox
from services.mcp.tools import Stubs
from services.shared import structs
from services.shared.errors import NotFound
from services.shared.identity import caller
from services.shared.runtime import Context, Runtime


class McpServicer(mcp_pb2_grpc.McpServiceServicer):
    def __init__(self, runtime: Runtime) -> None:
        self.toolbox = Toolbox(Stubs.of(runtime.clients))
        self._listed = mcp_pb2.ListToolsResponse(
            tools=[
                mcp_pb2.Tool(
                    name=tool.name,
                    description=tool.description,
                    input_schema=structs.to_struct(tool.schema),
                    read_only=tool.read_only,
                )
                for tool in self.toolbox.tools()
            ]
        )

    async def ListTools(
        self, request: mcp_pb2.ListToolsRequest, context: Context
    ) -> mcp_pb2.ListToolsResponse:
        return self._listed

    async def CallTool(
        self, request: mcp_pb2.CallToolRequest, context: Context
    ) -> mcp_pb2.CallToolResponse:
        tool = self.toolbox.find(request.name)
        if tool is None:
            raise NotFound(f"no tool named {request.name!r}", reason="TOOL_NOT_FOUND")
        # Struct numbers are doubles: whole ones go back to ints, as JSON schemas expect.
        arguments = structs.plain(json_format.MessageToDict(request.arguments))
        result = await self.toolbox.call(tool, arguments, caller())
        return mcp_pb2.CallToolResponse(text=result.text, is_error=result.is_error)
