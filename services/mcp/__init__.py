"""mcp-server: the Model Context Protocol tools that read and change bases, as the caller.
Served by streamable HTTP at /mcp (behind Envoy), by stdio (`pyat mcp`) and over gRPC."""

from pyat.mcp.v1 import mcp_pb2

from services.shared.runtime import declare_service

SERVICE = declare_service(
    "mcp",
    mcp_pb2.DESCRIPTOR.services_by_name["McpService"],
    "services.mcp.servicer:McpServicer",
    package=__file__,
    on_start=["services.mcp.http:start"],
)
