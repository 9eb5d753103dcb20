"""ext_authz's decision: whose bearer token it is, whether it may make this request, and the
headers that tell the services behind the edge."""

from __future__ import annotations

from dataclasses import dataclass

import grpc
from pyat.auth.v1 import auth_pb2, auth_pb2_grpc

from services.api_gateway.flights import Flights
from services.api_gateway.routes import Match, match
from services.shared.airtable_errors import (
    AUTHENTICATION_REQUIRED,
    INVALID_PERMISSIONS,
    UNAUTHORIZED,
    error_json,
)
from services.shared.clients import Clients
from services.shared.edge import BASE_HEADER
from services.shared.errors import Unavailable
from services.shared.identity import (
    SCOPES_HEADER,
    TENANT_HEADER,
    TOKEN_BASES_HEADER,
    USER_HEADER,
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
    # The REST method and path (as the transcoder recorded them, or the request's own when no
    # method serves it); None for a native gRPC call.
    method: str | None
    path: str | None


@dataclass(frozen=True)
class Allowed:
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


def _forbidden(why: str) -> Refused:
    return Refused(
        403,
        INVALID_PERMISSIONS,
        f"Invalid permissions, or the requested model was not found: {why}.",
    )


class Verifier:
    """Asks auth-service about every token, so a revoked one stops at once: auth-service keeps
    its own cache, which revocation clears. Concurrent checks of one token share one call."""

    def __init__(self, clients: Clients) -> None:
        self._auth = auth_pb2_grpc.AuthServiceStub(clients.channel("auth"))
        self._flights: Flights[auth_pb2.VerifyTokenResponse | Refused] = Flights()

    async def verify(self, token: str) -> auth_pb2.VerifyTokenResponse | Refused:
        """Who the token belongs to, or a 401; Unavailable when auth-service can't say."""
        return await self._flights.share(token, lambda: self._ask(token))

    async def _ask(self, token: str) -> auth_pb2.VerifyTokenResponse | Refused:
        try:
            claims: auth_pb2.VerifyTokenResponse = await self._auth.VerifyToken(
                auth_pb2.VerifyTokenRequest(token=token), timeout=VERIFY_TIMEOUT_S
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

    async def decide(self, request: Request) -> Allowed | Refused:
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
        route = match(request.method, request.path) if request.method and request.path else None
        if personal:
            refusal = judge_personal_token(claims, request, route)
            if refusal is not None:
                return refusal
        headers = [(TENANT_HEADER, claims.tenant_id), (USER_HEADER, claims.user_id)]
        if personal:
            headers.append((SCOPES_HEADER, " ".join(claims.scopes)))
            if claims.base_ids:
                headers.append((TOKEN_BASES_HEADER, " ".join(claims.base_ids)))
        if route is not None and route.base_id is not None:
            headers.append((BASE_HEADER, route.base_id))
        return Allowed(tuple(headers))


def judge_personal_token(
    claims: auth_pb2.VerifyTokenResponse, request: Request, route: Match | None
) -> Refused | None:
    """Why a PAT may not make this request, or None when it may."""
    if request.path is None:
        return _forbidden("personal access tokens work only on the REST API")
    if route is None:
        if request.path.startswith("/v1/"):
            return _forbidden("personal access tokens can't be used on account routes; sign in")
        return _forbidden("personal access tokens can't be used on this route")
    scope = route.route.scope
    if scope is not None and scope not in claims.scopes:
        return _forbidden(f"this token lacks the {scope} scope")
    if claims.base_ids and route.base_id is not None and route.base_id not in claims.base_ids:
        return _forbidden("this token has no access to this base")
    return None
