"""airtable-gateway's REST front: Airtable's Web API (/v0) over HTTP/1.1, behind Envoy.

Airtable's query syntax (`fields[]`, `sort[0][field]`) does not fit Envoy's gRPC-JSON
transcoder, so Envoy sends /v0 here after ext_authz, and this front translates each request
into calls on airtable-gateway, schema-service and workspace-service as the caller.
"""

from __future__ import annotations

from aiohttp import web

from services.airtable_gateway.rest.app import build_app
from services.airtable_gateway.rest.stubs import Stubs
from services.shared.runtime import Runtime

# The key of the front's port in `Runtime.http_ports`.
NAME = "airtable-gateway"


async def start(runtime: Runtime) -> None:
    """Start serving /v0 over HTTP for this process; it stops when the process stops."""
    settings = runtime.settings
    runner = web.AppRunner(
        build_app(Stubs.of(runtime.clients)),
        access_log=None,
        shutdown_timeout=settings.shutdown_grace_s,
    )
    await runner.setup()
    site = web.TCPSite(runner, settings.airtable_http_host, settings.airtable_http_port)
    await site.start()
    runtime.http_ports[NAME] = runner.addresses[0][1]
    runtime.on_stop_listening(runner.cleanup)
