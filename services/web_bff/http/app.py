"""The aiohttp application: the session routes, /openapi.json, the web app's files, one error
format and the security headers every answer carries."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import TYPE_CHECKING

import grpc
from aiohttp import hdrs, web
from aiohttp.typedefs import Handler

from services.web_bff.http.errors import NOT_FOUND, HttpError, from_http, from_rpc
from services.web_bff.http.sessions import MAX_BODY_BYTES, PREFIX, Sessions
from services.web_bff.http.static import StaticFiles

if TYPE_CHECKING:
    from pyat.auth.v1.auth_pb2_grpc import AuthServiceAsyncStub as AuthStub

log = logging.getLogger("pyat.web_bff.http")

SECURITY_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "X-Frame-Options": "DENY",
    "Content-Security-Policy": (
        "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
        "img-src 'self' data:; connect-src 'self'; frame-ancestors 'none'"
    ),
}


@web.middleware
async def error_answers(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Every failure as `{"error": {"type", "message"}}` with its status; never a 500 for bad
    input."""
    try:
        return await handler(request)
    except HttpError as err:
        return err.response()
    except grpc.aio.AioRpcError as err:
        answer = from_rpc(err)
        if answer.status >= 500:
            log.warning(
                "a call from web-bff's HTTP side failed",
                extra={"path": request.path, "code": err.code().name, "details": err.details()},
            )
        return answer.response()
    except web.HTTPException as err:
        return from_http(err).response()
    except Exception:
        log.exception("web-bff's HTTP side failed", extra={"path": request.path})
        return HttpError(500, "SERVER_ERROR", "Something went wrong on our side.").response()


async def _secure(request: web.Request, response: web.StreamResponse) -> None:
    response.headers.update(SECURITY_HEADERS)


class OpenApi:
    """gen/openapi.json, read at each request: `make gen` may rewrite it while we run."""

    def __init__(self, path: Path) -> None:
        self.path = path

    async def handle(self, request: web.Request) -> web.StreamResponse:
        if not self.path.is_file():
            raise HttpError(404, NOT_FOUND, "No OpenAPI document was generated.")
        return web.FileResponse(
            self.path,
            headers={hdrs.CONTENT_TYPE: "application/json", hdrs.CACHE_CONTROL: "no-cache"},
        )


async def _no_such_session_route(request: web.Request) -> web.StreamResponse:
    raise HttpError(404, NOT_FOUND, "No such route.")


def build_app(auth: AuthStub, static_root: Path, openapi_path: Path) -> web.Application:
    app = web.Application(middlewares=[error_answers], client_max_size=MAX_BODY_BYTES)
    app.on_response_prepare.append(_secure)
    app.add_routes(Sessions(auth).routes())
    app.router.add_route("*", PREFIX + "/{tail:.*}", _no_such_session_route)
    app.router.add_get("/openapi.json", OpenApi(openapi_path).handle)
    app.router.add_route("*", "/{tail:.*}", StaticFiles(static_root).handle)
    return app
