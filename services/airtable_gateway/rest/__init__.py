"""airtable-gateway's REST front: Airtable's Web API (/v0) over HTTP/1.1, behind Envoy.

Airtable's query syntax (`fields[]`, `sort[0][field]`) does not fit Envoy's gRPC-JSON
transcoder, so Envoy sends /v0 here after ext_authz, and this front translates each request
into calls on airtable-gateway, schema-service and workspace-service as the caller. It runs
beside airtable-gateway (`pyat up`, `pyat serve airtable-gateway`) or as a process of its own
(`pyat serve airtable-gateway-rest`), and listens on PYAT_AIRTABLE_HTTP_HOST and _PORT.
"""

from __future__ import annotations

from aiohttp import web

from services.airtable_gateway.rest.app import build_app
from services.airtable_gateway.rest.stubs import Stubs
from services.shared.clients import Clients
from services.shared.config import Settings
from services.shared.http_listener import beside, serve
from services.shared.identity import Assertions, assertion_key
from services.shared.runtime import Runtime

# The key of the front's port in `Runtime.http_ports`.
NAME = "airtable-gateway"


async def listen(clients: Clients, settings: Settings) -> web.AppRunner:
    """Serve /v0 until the runner's `cleanup()`, calling the services through `clients`."""
    app = build_app(Stubs.of(clients), Assertions(assertion_key(settings)))
    return await serve(
        app, settings.airtable_http_host, settings.airtable_http_port, settings.shutdown_grace_s
    )


async def start(runtime: Runtime) -> None:
    """Start serving /v0 beside this process's services; it stops when the process stops."""
    runner = await listen(runtime.clients, runtime.settings)
    beside(runtime, NAME, runner)
