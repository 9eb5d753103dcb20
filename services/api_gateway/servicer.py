"""api-gateway's gRPC surface: Envoy's ext_authz Check and rate limit ShouldRateLimit."""

from __future__ import annotations

import logging
import math
import time

import grpc
from envoy.config.core.v3 import base_pb2
from envoy.service.auth.v3 import external_auth_pb2, external_auth_pb2_grpc
from envoy.service.ratelimit.v3 import rls_pb2, rls_pb2_grpc
from envoy.type.v3 import http_status_pb2
from google.protobuf import duration_pb2
from google.rpc import status_pb2

from services.api_gateway.authz import Allowed, Authorizer, Request
from services.api_gateway.limits import Plans, RateLimiter, Verdict
from services.shared.airtable_errors import RATE_LIMIT_REACHED, error_json
from services.shared.edge import ORIGINAL_METHOD_HEADER, ORIGINAL_PATH_HEADER
from services.shared.errors import Unavailable
from services.shared.runtime import Context, Runtime

log = logging.getLogger("pyat.api_gateway")


_OVERWRITE = base_pb2.HeaderValueOption.OVERWRITE_IF_EXISTS_OR_ADD
_GRPC_STATUS_OF = {401: grpc.StatusCode.UNAUTHENTICATED, 403: grpc.StatusCode.PERMISSION_DENIED}
# While the rate limit store is down, one warning per this many seconds is enough.
_WARN_EVERY_S = 10.0


# xds-protos ships no type stubs, so mypy sees its servicer base classes as Any.
class AuthorizationServicer(external_auth_pb2_grpc.AuthorizationServicer):  # type: ignore[misc]
    """ext_authz. Envoy calls it after the transcoder, so a REST request that a method serves
    has its path and method in the transcoder's headers; a gRPC request without them is a
    native gRPC call; any other request is REST that no method serves (Envoy's /v0 404), and
    is judged by its own path and method."""

    def __init__(self, runtime: Runtime) -> None:
        self.authorizer = Authorizer(runtime.clients)

    async def Check(
        self, request: external_auth_pb2.CheckRequest, context: Context
    ) -> external_auth_pb2.CheckResponse:
        http = request.attributes.request.http
        headers = http.headers
        method: str | None = headers.get(ORIGINAL_METHOD_HEADER, "")
        path: str | None = headers.get(ORIGINAL_PATH_HEADER, "")
        if not path:
            native = headers.get("content-type", "").startswith("application/grpc")
            method, path = (None, None) if native else (http.method, http.path)
        decision = await self.authorizer.decide(
            Request(authorization=headers.get("authorization", ""), method=method, path=path)
        )
        if isinstance(decision, Allowed):
            return external_auth_pb2.CheckResponse(
                status=status_pb2.Status(code=grpc.StatusCode.OK.value[0]),
                ok_response=external_auth_pb2.OkHttpResponse(
                    headers=[
                        base_pb2.HeaderValueOption(
                            header=base_pb2.HeaderValue(key=key, value=value),
                            append_action=_OVERWRITE,
                        )
                        for key, value in decision.headers
                    ]
                ),
            )
        return external_auth_pb2.CheckResponse(
            status=status_pb2.Status(code=_GRPC_STATUS_OF[decision.http_status].value[0]),
            denied_response=external_auth_pb2.DeniedHttpResponse(
                status=http_status_pb2.HttpStatus(code=decision.http_status),
                body=decision.body(rest=path is not None),
            ),
        )


class RateLimitServicer(rls_pb2_grpc.RateLimitServiceServicer):  # type: ignore[misc]
    """Envoy's rate limit service: each request takes one token from each of its buckets (the
    edge never sends a hits_addend). It fails open: when the buckets can't be reached the
    request goes through, and the gateway says so in its log."""

    def __init__(self, runtime: Runtime) -> None:
        self.limiter = RateLimiter(runtime.cache, Plans(runtime.clients))
        self._warned_at = -math.inf

    async def ShouldRateLimit(
        self, request: rls_pb2.RateLimitRequest, context: Context
    ) -> rls_pb2.RateLimitResponse:
        descriptors = [{e.key: e.value for e in d.entries} for d in request.descriptors]
        try:
            verdicts = await self.limiter.check(descriptors)
        except Unavailable as err:
            self._warn(err)
            return rls_pb2.RateLimitResponse(overall_code=rls_pb2.RateLimitResponse.OK)
        over = [v for v in verdicts if v.wait_s > 0]
        response = rls_pb2.RateLimitResponse(
            overall_code=rls_pb2.RateLimitResponse.OVER_LIMIT
            if over
            else rls_pb2.RateLimitResponse.OK,
            statuses=[_status(v) for v in verdicts],
        )
        if over:
            retry_after = max(1, math.ceil(over[0].wait_s))
            message = (
                f"Rate limit reached: at most {over[0].limit} requests per second per "
                f"{over[0].bucket}. "
                f"Retry after {retry_after} second{'s' if retry_after > 1 else ''}."
            )
            response.response_headers_to_add.append(
                base_pb2.HeaderValue(key="retry-after", value=str(retry_after))
            )
            response.raw_body = error_json(RATE_LIMIT_REACHED, message).encode()
        return response

    def _warn(self, err: Unavailable) -> None:
        now = time.monotonic()
        if now - self._warned_at >= _WARN_EVERY_S:
            self._warned_at = now
            log.warning(
                "rate limits unavailable; letting requests through", extra={"error": str(err)}
            )


def _status(verdict: Verdict) -> rls_pb2.RateLimitResponse.DescriptorStatus:
    status = rls_pb2.RateLimitResponse.DescriptorStatus(
        code=rls_pb2.RateLimitResponse.OVER_LIMIT
        if verdict.wait_s > 0
        else rls_pb2.RateLimitResponse.OK
    )
    if verdict.limit:
        status.current_limit.requests_per_unit = verdict.limit
        status.current_limit.unit = rls_pb2.RateLimitResponse.RateLimit.SECOND
    if verdict.wait_s > 0:
        status.duration_until_reset.CopyFrom(_duration(verdict.wait_s))
    return status


def _duration(seconds: float) -> duration_pb2.Duration:
    duration = duration_pb2.Duration()
    duration.FromNanoseconds(math.ceil(seconds * 1e9))
    return duration
