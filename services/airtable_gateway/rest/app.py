"""The aiohttp application: who is calling, Airtable's error format, and the routes."""

from __future__ import annotations

import logging

import grpc
from aiohttp import web
from aiohttp.typedefs import Handler

from services.airtable_gateway.rest import meta, records
from services.airtable_gateway.rest.errors import AirtableError, from_http, from_rpc
from services.airtable_gateway.rest.stubs import STUBS, Stubs
from services.shared.airtable_errors import AUTHENTICATION_REQUIRED
from services.shared.identity import SCOPES_HEADER, TENANT_HEADER, USER_HEADER, Caller, act_as

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


@web.middleware
async def caller_identity(request: web.Request, handler: Handler) -> web.StreamResponse:
    """The caller ext_authz verified, so that the calls this request makes carry it.

    Envoy strips these headers from what clients send and ext_authz sets them, which is why
    this front trusts them and must only be reachable through Envoy.
    """
    tenant_id = request.headers.get(TENANT_HEADER, "")
    user_id = request.headers.get(USER_HEADER, "")
    if not tenant_id or not user_id:
        raise AirtableError(401, AUTHENTICATION_REQUIRED, "Authentication required.")
    scopes = tuple(request.headers.get(SCOPES_HEADER, "").split())
    act_as(Caller(user_id=user_id, tenant_id=tenant_id, scopes=scopes))
    return await handler(request)


def build_app(stubs: Stubs) -> web.Application:
    app = web.Application(
        middlewares=[airtable_errors, caller_identity], client_max_size=MAX_BODY_BYTES
    )
    app[STUBS] = stubs
    app.add_routes([*meta.routes(), *records.routes()])
    return app
