"""api-gateway's gRPC surface: Envoy's ext_authz Check, which also applies the rate limits."""

from __future__ import annotations

import asyncio
import logging
import math
import time

import grpc
from envoy.config.core.v3 import base_pb2
from envoy.service.auth.v3 import external_auth_pb2, external_auth_pb2_grpc
from envoy.type.v3 import http_status_pb2
from google.rpc import status_pb2

from services.api_gateway.authz import Allowed, Authorizer, Request
from services.api_gateway.limits import Plans, RateLimiter
from services.api_gateway.routes import is_mcp
from services.shared.access_tokens import load_signing_key
from services.shared.airtable_errors import RATE_LIMIT_REACHED, error_json
from services.shared.errors import Unavailable
from services.shared.headers import ORIGINAL_PATH_HEADER
from services.shared.runtime import Context, Runtime

log = logging.getLogger("pyat.api_gateway")


_OVERWRITE = base_pb2.HeaderValueOption.OVERWRITE_IF_EXISTS_OR_ADD
_GRPC_STATUS_OF = {401: grpc.StatusCode.UNAUTHENTICATED, 403: grpc.StatusCode.PERMISSION_DENIED}
# While the rate limit store is down, one warning per this many seconds is enough.
_WARN_EVERY_S = 10.0


# xds-protos ships no type stubs, so mypy sees its servicer base classes as Any.
class AuthorizationServicer(external_auth_pb2_grpc.AuthorizationServicer):  # type: ignore[misc]
    """ext_authz, the edge's one Python hop: who is calling (a signed assertion for the
    services behind the edge) and the rate limits, in one check.

    Envoy calls it after the transcoder, so a REST request that a method serves has its path
    and method in the transcoder's headers; a gRPC request without them is a native gRPC call;
    any other request is REST that no method serves (Envoy's /v0 front), judged by its own path.

    Rate limits fail open: when the buckets can't be reached the request goes through, and
    the gateway says so in its log. A request that reserved its base's next token is held
    here until the token is due (an asyncio sleep: nothing else waits for it).
    """

    def __init__(self, runtime: Runtime) -> None:
        self.authorizer = Authorizer(
            runtime.clients, runtime.cache, load_signing_key(runtime.settings)
        )
        self.limiter = RateLimiter(runtime.cache, Plans(runtime.clients))
        self._warned_at = -math.inf

    async def Check(
        self, request: external_auth_pb2.CheckRequest, context: Context
    ) -> external_auth_pb2.CheckResponse:
        http = request.attributes.request.http
        headers = http.headers
        path: str | None = headers.get(ORIGINAL_PATH_HEADER, "")
        if not path:
            native = headers.get("content-type", "").startswith("application/grpc")
            path = None if native else http.path
        decision = await self.authorizer.decide(
            Request(authorization=headers.get("authorization", ""), path=path)
        )
        if isinstance(decision, Allowed):
            over = await self._over_limit(decision)
            if over is None:
                return _allowed(decision)
            return _refused(429, grpc.StatusCode.RESOURCE_EXHAUSTED, *over, rest=path is not None)
        challenge = (("www-authenticate", "Bearer"),) if path and is_mcp(path) else ()
        return _refused(
            decision.http_status,
            _GRPC_STATUS_OF[decision.http_status],
            decision.body(rest=path is not None),
            challenge if decision.http_status == 401 else (),
            rest=path is not None,
        )

    async def _over_limit(self, allowed: Allowed) -> tuple[str, tuple[tuple[str, str], ...]] | None:
        """The 429's body and headers when the request is over a rate limit, else None once
        it may go (after waiting for the token it reserved, if it did)."""
        caller = allowed.caller
        try:
            verdict = await self.limiter.take(caller.tenant_id, caller.user_id, allowed.base_id)
        except Unavailable as err:
            self._warn(err)
            return None
        if not verdict.refused:
            if verdict.hold_s > 0:
                await asyncio.sleep(verdict.hold_s)
            return None
        retry_after = max(1, math.ceil(verdict.retry_after_s))
        message = (
            f"Rate limit reached: at most {verdict.limit} requests per second per "
            f"{verdict.bucket}. "
            f"Retry after {retry_after} second{'s' if retry_after > 1 else ''}."
        )
        return error_json(RATE_LIMIT_REACHED, message), (("retry-after", str(retry_after)),)

    def _warn(self, err: Unavailable) -> None:
        now = time.monotonic()
        if now - self._warned_at >= _WARN_EVERY_S:
            self._warned_at = now
            log.warning(
                "rate limits unavailable; letting requests through", extra={"error": str(err)}
            )


def _header(key: str, value: str) -> base_pb2.HeaderValueOption:
    return base_pb2.HeaderValueOption(
        header=base_pb2.HeaderValue(key=key, value=value), append_action=_OVERWRITE
    )


def _allowed(decision: Allowed) -> external_auth_pb2.CheckResponse:
    return external_auth_pb2.CheckResponse(
        status=status_pb2.Status(code=grpc.StatusCode.OK.value[0]),
        ok_response=external_auth_pb2.OkHttpResponse(
            headers=[_header(key, value) for key, value in decision.headers]
        ),
    )


def _refused(
    http_status: int,
    code: grpc.StatusCode,
    body: str,
    headers: tuple[tuple[str, str], ...],
    *,
    rest: bool,
) -> external_auth_pb2.CheckResponse:
    """A refusal: Airtable's JSON body for REST clients, the message for gRPC ones."""
    content_type = (("content-type", "application/json"),) if rest else ()
    return external_auth_pb2.CheckResponse(
        status=status_pb2.Status(code=code.value[0]),
        denied_response=external_auth_pb2.DeniedHttpResponse(
            status=http_status_pb2.HttpStatus(code=http_status),
            headers=[_header(key, value) for key, value in (*headers, *content_type)],
            body=body,
        ),
    )
