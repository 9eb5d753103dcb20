"""The Model Context Protocol over streamable HTTP at /mcp, behind Envoy.

ext_authz has checked the caller's bearer token (a personal access token or a session) and
signed an assertion of the caller; this listener serves only requests with a valid one, so it
is safe whoever reaches its port. Each request's calls pass that assertion on unchanged, so
the services judge them as the caller's own, and the tools judge the token first. Stateless:
every POST stands alone, so any replica can serve any request. It listens on
PYAT_MCP_HTTP_HOST and _PORT, served by uvicorn.
"""

from __future__ import annotations

import json
import socket
from typing import Any

import grpc
import mcp.types as types
import uvicorn
from mcp.server.context import ServerRequestContext
from mcp.server.lowlevel import Server
from mcp.server.transport_security import TransportSecuritySettings
from mcp.shared.exceptions import MCPError
from starlette.types import ASGIApp, Receive, Scope, Send

from services.mcp.resources import list_schemas, read_schema
from services.mcp.toolbox import Toolbox
from services.mcp.tools import Stubs, ToolError
from services.shared.config import Settings
from services.shared.errors import Unauthenticated
from services.shared.identity import CALLER_HEADER, Assertions, Caller, assertion_key, relay
from services.shared.runtime import Runtime

# The key of the listener's port in `Runtime.http_ports`.
NAME = "mcp"
PATHS = ("/mcp", "/mcp/")
SERVER_NAME = "pyairtable"
INSTRUCTIONS = (
    "Tools to read and change Airtable-compatible bases as the token's owner. Start with "
    "list_bases, then list_tables or describe_table to learn field names before reading or "
    "writing records. Writes take at most 10 records per call."
)


def build_server(toolbox: Toolbox) -> Server[Any]:
    """The MCP server: the registry's tools and each table's schema as a resource."""

    async def list_tools(ctx: ServerRequestContext[Any], params: Any) -> types.ListToolsResult:
        _caller_of(ctx)
        return types.ListToolsResult(tools=mcp_tools(toolbox))

    async def call_tool(
        ctx: ServerRequestContext[Any], params: types.CallToolRequestParams
    ) -> types.CallToolResult:
        who = _caller_of(ctx)
        tool = toolbox.find(params.name)
        if tool is None:
            return _text(f"unknown tool {params.name!r}; list the tools to see them", error=True)
        result = await toolbox.call(tool, dict(params.arguments or {}), who)
        return _text(result.text, error=result.is_error)

    async def list_resources(
        ctx: ServerRequestContext[Any], params: Any
    ) -> types.ListResourcesResult:
        who = _caller_of(ctx)
        try:
            resources = await list_schemas(toolbox.stubs, who)
        except grpc.aio.AioRpcError as err:
            raise MCPError(types.INTERNAL_ERROR, f"can't list schemas: {err.details()}") from None
        return types.ListResourcesResult(resources=resources)

    async def read_resource(
        ctx: ServerRequestContext[Any], params: types.ReadResourceRequestParams
    ) -> types.ReadResourceResult:
        who = _caller_of(ctx)
        uri = str(params.uri)
        try:
            text = await read_schema(toolbox.stubs, who, uri)
        except ToolError as err:
            raise MCPError(types.INVALID_PARAMS, str(err), {"uri": uri}) from None
        except grpc.aio.AioRpcError as err:
            raise MCPError(types.INTERNAL_ERROR, f"can't read {uri}: {err.details()}") from None
        return types.ReadResourceResult(
            contents=[types.TextResourceContents(uri=uri, text=text, mime_type="application/json")]
        )

    return Server(
        SERVER_NAME,
        instructions=INSTRUCTIONS,
        on_list_tools=list_tools,
        on_call_tool=call_tool,
        on_list_resources=list_resources,
        on_read_resource=read_resource,
    )


def mcp_tools(toolbox: Toolbox) -> list[types.Tool]:
    return [
        types.Tool(
            name=tool.name,
            description=tool.description,
            input_schema=tool.schema,
            annotations=types.ToolAnnotations(
                read_only_hint=tool.read_only, destructive_hint=tool.name.startswith("delete")
            ),
        )
        for tool in toolbox.tools()
    ]


def _text(text: str, *, error: bool = False) -> types.CallToolResult:
    return types.CallToolResult(content=[types.TextContent(type="text", text=text)], is_error=error)


def _caller_of(ctx: ServerRequestContext[Any]) -> Caller:
    """The request's verified caller, made the caller of the calls that follow."""
    state = getattr(ctx.request, "state", None)
    who, assertion = getattr(state, "caller", None), getattr(state, "assertion", None)
    if not isinstance(who, Caller) or not isinstance(assertion, str):
        raise MCPError(types.INVALID_REQUEST, "this request has no verified caller")
    relay(who, assertion)
    return who


class CallerGate:
    """Serves /mcp to requests with a valid caller assertion; 401 for the rest."""

    def __init__(self, app: ASGIApp, assertions: Assertions) -> None:
        self.app = app
        self.assertions = assertions

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)  # the lifespan
            return
        if scope["path"] not in PATHS:
            await _answer(send, 404, {"error": "NOT_FOUND"})
            return
        assertion = next(
            (v.decode("latin-1") for k, v in scope["headers"] if k == CALLER_HEADER.encode()), ""
        )
        try:
            if not assertion:
                raise Unauthenticated("send 'Authorization: Bearer <token>'")
            who = self.assertions.verify(assertion)
        except Unauthenticated as err:
            await _answer(
                send,
                401,
                {"error": {"type": "AUTHENTICATION_REQUIRED", "message": f"{err}"}},
                (b"www-authenticate", b"Bearer"),
            )
            return
        state = scope.setdefault("state", {})
        state["caller"], state["assertion"] = who, assertion
        # The SDK routes /mcp only.
        await self.app({**scope, "path": "/mcp", "raw_path": b"/mcp"}, receive, send)


async def _answer(send: Send, status: int, body: Any, *headers: tuple[bytes, bytes]) -> None:
    data = json.dumps(body).encode()
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [
                (b"content-type", b"application/json"),
                (b"content-length", str(len(data)).encode()),
                *headers,
            ],
        }
    )
    await send({"type": "http.response.body", "body": data})


def build_app(toolbox: Toolbox, assertions: Assertions) -> ASGIApp:
    inner = build_server(toolbox).streamable_http_app(
        stateless_http=True,
        json_response=True,
        # Callers prove themselves with a signed assertion, never with cookies or the
        # network they are on, so a rebound DNS name gains nothing; and behind Envoy the
        # Host header is the public one.
        transport_security=TransportSecuritySettings(enable_dns_rebinding_protection=False),
    )
    return CallerGate(inner, assertions)


async def listen(toolbox: Toolbox, settings: Settings) -> uvicorn.Server:
    """Serve /mcp on settings' host and port (0: any free port) until `stop(server)`."""
    config = uvicorn.Config(
        build_app(toolbox, Assertions(assertion_key(settings))),
        lifespan="on",
        # The process's logging stays the host's; uvicorn only says when something is wrong.
        log_config=None,
        log_level="warning",
        access_log=False,
        timeout_graceful_shutdown=max(1, int(settings.shutdown_grace_s)),
    )
    # The socket is bound here, so a port in use is an OSError, not uvicorn's sys.exit.
    family = socket.AF_INET6 if ":" in settings.mcp_http_host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((settings.mcp_http_host, settings.mcp_http_port))
        sock.listen(1024)
        sock.setblocking(False)
        server = uvicorn.Server(config)
        config.load()
        server.lifespan = config.lifespan_class(config)
        # Not `serve()`: that takes over the process's signal handlers, which are the host's.
        await server.startup(sockets=[sock])
    except BaseException:
        sock.close()
        raise
    return server


def port_of(server: uvicorn.Server) -> int:
    port: int = server.servers[0].sockets[0].getsockname()[1]
    return port


async def start(runtime: Runtime) -> None:
    """Serve /mcp beside this process's services; it stops when the process stops."""
    server = await listen(Toolbox(Stubs.of(runtime.clients)), runtime.settings)
    runtime.http_ports[NAME] = port_of(server)

    async def stop() -> None:
        server.should_exit = True
        await server.shutdown()

    runtime.on_stop_listening(stop)
