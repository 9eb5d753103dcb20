"""ext_authz's decision: whose bearer token it is, whether it may make this request, and the
headers that tell the services behind the edge."""

from __future__ import annotations

from dataclasses import dataclass

import grpc
from pyat.auth.v1 import auth_pb2, auth_pb2_grpc

from services.api_gateway.flights import Flights
from services.api_gateway.routes import base_of
from services.shared.airtable_errors import (
    AUTHENTICATION_REQUIRED,
    UNAUTHORIZED,
    error_json,
)
from services.shared.clients import Clients
from services.shared.errors import Unavailable
from services.shared.identity import (
    CALLER_HEADER,
    PERSONAL,
    SESSION,
    Caller,
    parse_bearer,
)

# Far longer than any token we issue; longer ones are refused without asking auth-service.
MAX_TOKEN_CHARS = 4096
# As long as Envoy waits for a check.
VERIFY_TIMEOUT_S = 1.0
_MAX_DETAIL_CHARS = 120

# What auth-service answers about a token that is no good (anything else means it is down).
_TOKEN_REFUSALS = frozenset(
    {
        grpc.StatusCode.UNAUTHENTICATED,
        grpc.StatusCode.INVALID_ARGUMENT,
        grpc.StatusCode.NOT_FOUND,
        grpc.StatusCode.PERMISSION_DENIED,
    }
)


@dataclass(frozen=True)
class Request:
    """What the gateway judges a request by."""

    authorization: str
    # The REST path (as the transcoder recorded it, or the request's own when no method
    # serves it); None for a native gRPC call.
    path: str | None


@dataclass(frozen=True)
class Allowed:
    caller: Caller
    # The base the request names, whose rate limit it counts against.
    base_id: str | None
    headers: tuple[tuple[str, str], ...]


@dataclass(frozen=True)
class Refused:
    http_status: int
    error_type: str
    message: str

    def body(self, *, rest: bool) -> str:
        """Airtable's JSON error for REST clients; the plain message for gRPC (grpc-message)."""
        if not rest:
            return self.message
        return error_json(self.error_type, self.message)


_MISSING = Refused(
    401, AUTHENTICATION_REQUIRED, "Authentication required: send 'Authorization: Bearer <token>'."
)


def _invalid(detail: str = "") -> Refused:
    detail = detail[:_MAX_DETAIL_CHARS]
    return Refused(
        401, UNAUTHORIZED, f"Invalid authentication token{': ' + detail if detail else ''}."
    )


class Verifier:
    """Asks auth-service about every token, so a revoked one stops at once: auth-service keeps
    its own cache, which revocation clears. Concurrent checks of one token share one call."""

    def __init__(self, clients: Clients) -> None:
        self._auth = auth_pb2_grpc.AuthServiceStub(clients.channel("auth"))
        self._assertions = clients.assertions
        self._flights: Flights[auth_pb2.VerifyTokenResponse | Refused] = Flights()

    async def verify(self, token: str) -> auth_pb2.VerifyTokenResponse | Refused:
        """Who the token belongs to, or a 401; Unavailable when auth-service can't say."""
        return await self._flights.share(token, lambda: self._ask(token))

    async def _ask(self, token: str) -> auth_pb2.VerifyTokenResponse | Refused:
        # VerifyToken is internal: the gateway asks as itself.
        gateway = self._assertions.for_caller(Caller.service("api-gateway"))
        try:
            claims: auth_pb2.VerifyTokenResponse = await self._auth.VerifyToken(
                auth_pb2.VerifyTokenRequest(token=token),
                timeout=VERIFY_TIMEOUT_S,
                metadata=((CALLER_HEADER, gateway),),
            )
        except grpc.aio.AioRpcError as err:
            if err.code() in _TOKEN_REFUSALS:
                return _invalid(err.details() or "")
            raise Unavailable("auth-service is unavailable") from None
        if not claims.user_id or not claims.tenant_id:
            return _invalid()
        return claims


class Authorizer:
    def __init__(self, clients: Clients) -> None:
        self.verifier = Verifier(clients)
        self.assertions = clients.assertions

    async def decide(self, request: Request) -> Allowed | Refused:
        """Who is calling, as a signed assertion for the services behind the edge. What the
        caller may do there is judged by each method's declared access, not here."""
        token = parse_bearer(request.authorization)
        if token is None:
            return _MISSING
        if len(token) > MAX_TOKEN_CHARS:
            return _invalid()
        claims = await self.verifier.verify(token)
        if isinstance(claims, Refused):
            return claims
        # Trust either sign: a PAT taken for a session would escape its scopes.
        personal = claims.kind == auth_pb2.TOKEN_KIND_PERSONAL or token.startswith("pat")
        caller = Caller(
            user_id=claims.user_id,
            tenant_id=claims.tenant_id,
            kind=PERSONAL if personal else SESSION,
            scopes=tuple(claims.scopes) if personal else (),
            token_bases=tuple(claims.base_ids) if personal else (),
        )
        base_id = base_of(request.path) if request.path else None
        return Allowed(caller, base_id, ((CALLER_HEADER, self.assertions.for_caller(caller)),))
