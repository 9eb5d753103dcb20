"""The aiohttp application: who is calling, Airtable's error format, and the routes."""

from __future__ import annotations

import logging

import grpc
from aiohttp import web
from aiohttp.typedefs import Handler

from services.airtable_gateway.rest import collaborators, meta, records
from services.airtable_gateway.rest.errors import AirtableError, forbidden, from_http, from_rpc
from services.airtable_gateway.rest.methods import SERVES
from services.airtable_gateway.rest.stubs import STUBS, Stubs
from services.shared import access
from services.shared.admission import judge_token
from services.shared.airtable_errors import (
    AUTHENTICATION_REQUIRED,
    UNAUTHORIZED,
)
from services.shared.errors import PermissionDenied, Unauthenticated
from services.shared.identity import CALLER_HEADER, Assertions, Caller, relay

log = logging.getLogger("pyat.airtable_gateway.rest")

# Ten records of even large cells fit in far less; a bigger body is refused with a 413.
MAX_BODY_BYTES = 2 * 1024 * 1024


@web.middleware
async def airtable_errors(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Every failure as Airtable's status and body; bad input never becomes a 500."""
    try:
        return await handler(request)
    except AirtableError as err:
        return err.response()
    except grpc.aio.AioRpcError as err:
        answer = from_rpc(err)
        if answer.status >= 500:
            log.warning(
                "a call from the REST front failed",
                extra={"path": request.path, "code": err.code().name, "details": err.details()},
            )
        return answer.response()
    except web.HTTPException as err:
        return from_http(err).response()
    except Exception:
        log.exception("the REST front failed", extra={"path": request.path})
        return AirtableError(500, "SERVER_ERROR", "Something went wrong on our side.").response()


ASSERTIONS = web.AppKey("assertions", Assertions)


@web.middleware
async def caller_identity(request: web.Request, handler: Handler) -> web.StreamResponse:
    """The caller of the request, from the assertion ext_authz signed; the calls the request
    makes pass it on unchanged, so each is judged by its method's access as the caller's own.
    Without a valid assertion the front does nothing, whoever reaches its port."""
    assertion = request.headers.get(CALLER_HEADER, "")
    if not assertion:
        raise AirtableError(401, AUTHENTICATION_REQUIRED, "Authentication required.")
    try:
        who = request.app[ASSERTIONS].verify(assertion)
    except Unauthenticated as err:
        raise AirtableError(401, UNAUTHORIZED, f"Invalid authentication: {err}.") from None
    relay(who, assertion)
    method = getattr(handler, SERVES, None)
    if method is not None:
        _judge_early(method, who, request.match_info.get("base"))
    return await handler(request)


def _judge_early(grpc_path: str, who: Caller, base_id: str | None) -> None:
    rule = access.rule_for(grpc_path)
    if rule is None:
        raise RuntimeError(f"{grpc_path} declares no access")
    try:
        judge_token(rule, who, base_id)
    except PermissionDenied as err:
        raise forbidden(str(err)) from None


def build_app(stubs: Stubs, assertions: Assertions) -> web.Application:
    app = web.Application(
        middlewares=[airtable_errors, caller_identity], client_max_size=MAX_BODY_BYTES
    )
    app[STUBS] = stubs
    app[ASSERTIONS] = assertions
    app.add_routes([*meta.routes(), *collaborators.routes(), *records.routes()])
    return app
