"""web-bff's HTTP side: the web app's files, /openapi.json and cookie sessions (/app/session),
behind Envoy's "/" and "/app/" routes. It starts with web-bff and listens on
PYAT_WEB_HTTP_HOST and _PORT."""

from __future__ import annotations

from pathlib import Path

from aiohttp import web
from pyat.auth.v1 import auth_pb2_grpc

from services.shared.clients import Clients
from services.shared.config import Settings
from services.shared.http_listener import beside, serve
from services.shared.runtime import Runtime
from services.web_bff.http.app import build_app

# The key of the listener's port in `Runtime.http_ports`.
NAME = "web-bff"
# The built web app (its own build writes here).
STATIC_ROOT = Path(__file__).resolve().parent.parent / "static"


def openapi_path() -> Path:
    """The OpenAPI document that `make gen` writes beside the generated code."""
    import pyat

    return Path(next(iter(pyat.__path__))).resolve().parent / "openapi.json"


async def listen(
    clients: Clients,
    settings: Settings,
    *,
    static_root: Path = STATIC_ROOT,
    openapi: Path | None = None,
) -> web.AppRunner:
    """Serve until the runner's `cleanup()`, calling auth-service through `clients`."""
    app = build_app(
        auth_pb2_grpc.AuthServiceStub(clients.channel("auth")),
        static_root,
        openapi if openapi is not None else openapi_path(),
    )
    return await serve(
        app, settings.web_http_host, settings.web_http_port, settings.shutdown_grace_s
    )


async def start(runtime: Runtime) -> None:
    """Start serving beside web-bff; it stops when the process stops taking calls."""
    runner = await listen(runtime.clients, runtime.settings)
    beside(runtime, NAME, runner)
