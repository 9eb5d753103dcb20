"""`pyat mcp`: the Model Context Protocol over stdio, for desktop clients (Claude Desktop).

A thin bridge: every request a client sends on stdin is relayed to the server's /mcp over
streamable HTTP with the personal access token of PYAT_TOKEN, and the answer written back,
so the token's scopes and bases apply exactly as over HTTP. Each request opens its own short
exchange with the server (which is stateless), so a server that is down or restarting shows
as an error on the requests made meanwhile, never as a bridge that hangs or dies.
"""

from __future__ import annotations

import os
import sys
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from typing import Any, TypeVar

import anyio
import httpx2
import mcp.types as types
from mcp import ClientSession
from mcp.client.streamable_http import streamable_http_client
from mcp.server.context import ServerRequestContext
from mcp.server.lowlevel import Server
from mcp.server.stdio import stdio_server
from mcp.shared.exceptions import MCPError

from services.mcp.http import INSTRUCTIONS, SERVER_NAME

DEFAULT_URL = "http://127.0.0.1:8080"
# How long one relayed request may take (a connect to a server that is down fails at once).
TIMEOUT_S = 60.0
NO_TOKEN = (
    "pyat mcp: set PYAT_TOKEN to a personal access token (make one in the web app, or with "
    "POST /v1/auth/tokens), and PYAT_URL to the server (default http://127.0.0.1:8080)."
)

_T = TypeVar("_T")


class Upstream:
    """The server's /mcp, reached with the token."""

    def __init__(self, url: str, token: str) -> None:
        self.url = url
        self.token = token

    @asynccontextmanager
    async def _session(self, statuses: list[int]) -> AsyncIterator[ClientSession]:
        async def note(response: httpx2.Response) -> None:
            statuses.append(response.status_code)

        async with (
            httpx2.AsyncClient(
                headers={"Authorization": f"Bearer {self.token}"},
                timeout=TIMEOUT_S,
                event_hooks={"response": [note]},
            ) as http,
            streamable_http_client(self.url, http_client=http, terminate_on_close=False) as (
                read,
                write,
            ),
            ClientSession(read, write, read_timeout_seconds=TIMEOUT_S) as session,
        ):
            # No handshake: the server's /mcp is stateless, every request stands alone, so a
            # relayed one needs no session of its own (and costs one POST, not two).
            yield session

    async def relay(self, ask: Callable[[ClientSession], Awaitable[_T]]) -> _T:
        """`ask` the server; MCPError with a message a person can act on when it can't."""
        statuses: list[int] = []
        try:
            async with self._session(statuses) as session:
                return await ask(session)
        except (Exception, BaseExceptionGroup) as err:  # groups: the transport's task groups
            leaf = _leaf(err)
            if isinstance(leaf, MCPError):
                raise MCPError(leaf.code, self._explain(statuses, leaf.error.message)) from None
            detail = str(leaf) or type(leaf).__name__
            raise MCPError(types.INTERNAL_ERROR, self._explain(statuses, detail)) from None

    def _explain(self, statuses: list[int], detail: str) -> str:
        if 401 in statuses:
            return f"{self.url} refused the token in PYAT_TOKEN (401): check it is valid"
        if 403 in statuses:
            return f"{self.url} refused the request (403)"
        if 429 in statuses:
            return f"{self.url}: rate limit reached; try again in a moment"
        if not statuses:
            return f"can't reach {self.url} ({detail}); is the server running (PYAT_URL)?"
        return detail


def _leaf(err: BaseException) -> BaseException:
    while isinstance(err, BaseExceptionGroup) and err.exceptions:
        err = err.exceptions[0]
    return err


def build_bridge(upstream: Upstream) -> Server[Any]:
    async def list_tools(ctx: ServerRequestContext[Any], params: Any) -> types.ListToolsResult:
        return await upstream.relay(lambda s: s.list_tools())

    async def call_tool(
        ctx: ServerRequestContext[Any], params: types.CallToolRequestParams
    ) -> types.CallToolResult:
        try:
            result = await upstream.relay(lambda s: s.call_tool(params.name, params.arguments))
        except MCPError as err:
            # A tool the model called failed: tell the model, as a tool error.
            return types.CallToolResult(
                content=[types.TextContent(type="text", text=err.error.message)], is_error=True
            )
        if not isinstance(result, types.CallToolResult):
            raise MCPError(types.INTERNAL_ERROR, "the server answered with no tool result")
        return result

    async def list_resources(
        ctx: ServerRequestContext[Any], params: Any
    ) -> types.ListResourcesResult:
        return await upstream.relay(lambda s: s.list_resources())

    async def read_resource(
        ctx: ServerRequestContext[Any], params: types.ReadResourceRequestParams
    ) -> types.ReadResourceResult:
        result = await upstream.relay(lambda s: s.read_resource(str(params.uri)))
        if not isinstance(result, types.ReadResourceResult):
            raise MCPError(types.INTERNAL_ERROR, "the server answered with no resource")
        return result

    return Server(
        SERVER_NAME,
        instructions=INSTRUCTIONS,
        on_list_tools=list_tools,
        on_call_tool=call_tool,
        on_list_resources=list_resources,
        on_read_resource=read_resource,
    )


async def serve(url: str, token: str) -> None:
    bridge = build_bridge(Upstream(url, token))
    async with stdio_server() as (read, write):
        await bridge.run(read, write, bridge.create_initialization_options())


def main() -> int:
    token = os.environ.get("PYAT_TOKEN", "").strip()
    if not token:
        print(NO_TOKEN, file=sys.stderr, flush=True)
        return 2
    url = os.environ.get("PYAT_URL", "").strip() or DEFAULT_URL
    anyio.run(serve, url.rstrip("/") + "/mcp", token)
    return 0
