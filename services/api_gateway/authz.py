"""ext_authz's decision: whose bearer token it is, whether it may make this request, and the
headers that tell the services behind the edge."""

from __future__ import annotations

import time
from collections import OrderedDict
from dataclasses import dataclass
from typing import TypeVar

import grpc
from pyat.auth.v1 import auth_pb2, auth_pb2_grpc

from services.api_gateway.flights import Flights
from services.api_gateway.routes import base_of
from services.shared.access_tokens import (
    SESSION_LIVE,
    AccessClaims,
    session_key,
    verify_access_token,
)
from services.shared.airtable_errors import (
    AUTHENTICATION_REQUIRED,
    UNAUTHORIZED,
    error_json,
)
from services.shared.cache import Cache
from services.shared.clients import Clients
from services.shared.errors import Unauthenticated, Unavailable
from services.shared.identity import (
    CALLER_HEADER,
    PERSONAL,
    SESSION,
    Caller,
    parse_bearer,
)

_V = TypeVar("_V")

# Far longer than any token we issue; longer ones are refused without asking auth-service.
MAX_TOKEN_CHARS = 4096
# How long a check waits for auth-service (Envoy waits longer: the check may also hold a request).
VERIFY_TIMEOUT_S = 1.0
_MAX_DETAIL_CHARS = 120
# How long the gateway trusts a session's liveness without reading it again: a session ended
# (logout, refresh token reuse, "revoke all") is refused at most this long after auth-service
# recorded it in the cache.
LIVENESS_MEMO_S = 0.5
# Access tokens decoded, and sessions' liveness, remembered (least recently used dropped).
_MEMO_ENTRIES = 50_000

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
    """Asks auth-service about a token, so a revoked one stops at once: auth-service keeps
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


class SessionTokens:
    """Access tokens checked here, with no call to auth-service: the JWT's signature and
    expiry with the platform's signing key, then its session's liveness from the entry
    auth-service keeps in the shared cache (remembered for LIVENESS_MEMO_S). Only when the
    cache has no entry is auth-service asked, which records one."""

    def __init__(self, key: bytes, cache: Cache, verifier: Verifier) -> None:
        self._key = key
        self._cache = cache
        self._verifier = verifier
        # token -> its claims and expiry (epoch seconds); session id -> (live, read at).
        self._claims: OrderedDict[str, tuple[AccessClaims, float]] = OrderedDict()
        self._liveness: OrderedDict[str, tuple[bool, float]] = OrderedDict()
        self._flights: Flights[bool] = Flights()

    async def verify(self, token: str) -> Caller | Refused:
        """The session's caller, or a 401; Unavailable when liveness can't be learnt."""
        claims = self._decode(token)
        if isinstance(claims, Refused):
            return claims
        if not await self._live(claims.session_id, token):
            return _invalid("the session has ended; sign in again")
        return Caller(user_id=claims.user_id, tenant_id=claims.tenant_id, kind=SESSION)

    def _decode(self, token: str) -> AccessClaims | Refused:
        known = self._claims.get(token)
        if known is not None and known[1] > time.time():
            return known[0]
        try:
            claims = verify_access_token(self._key, token)
        except Unauthenticated as err:
            return _invalid(str(err))
        _remember(self._claims, token, (claims, claims.expires_at.timestamp()))
        return claims

    async def _live(self, session_id: str, token: str) -> bool:
        known = self._liveness.get(session_id)
        # An ended session never comes back, so that answer needs no second look.
        if known is not None and (not known[0] or time.monotonic() - known[1] < LIVENESS_MEMO_S):
            return known[0]
        return await self._flights.share(session_id, lambda: self._look_up(session_id, token))

    async def _look_up(self, session_id: str, token: str) -> bool:
        read_at = time.monotonic()
        try:
            entry = await self._cache.get(session_key(session_id))
        except Unavailable:
            # While the cache is down no session can be ended (auth-service records the end
            # there), so the last answer still holds; without one, auth-service is asked.
            known = self._liveness.get(session_id)
            if known is not None:
                return known[0]
            entry = None
        if entry is not None:
            live = entry == SESSION_LIVE
        else:
            live = not isinstance(await self._verifier.verify(token), Refused)
        _remember(self._liveness, session_id, (live, read_at))
        return live


def _remember(memo: OrderedDict[str, _V], key: str, value: _V) -> None:
    memo[key] = value
    memo.move_to_end(key)
    if len(memo) > _MEMO_ENTRIES:
        memo.popitem(last=False)


class Authorizer:
    def __init__(self, clients: Clients, cache: Cache, signing_key: bytes) -> None:
        self.verifier = Verifier(clients)
        self.sessions = SessionTokens(signing_key, cache, self.verifier)
        self.assertions = clients.assertions

    async def decide(self, request: Request) -> Allowed | Refused:
        """Who is calling, as a signed assertion for the services behind the edge. What the
        caller may do there is judged by each method's declared access, not here."""
        token = parse_bearer(request.authorization)
        if token is None:
            return _MISSING
        if len(token) > MAX_TOKEN_CHARS:
            return _invalid()
        base_id = base_of(request.path) if request.path else None
        if not token.startswith("pat"):
            session = await self.sessions.verify(token)
            if isinstance(session, Refused):
                return session
            return self._allow(session, base_id)
        # Personal access tokens are rows in auth-service's database: it is asked each time.
        claims = await self.verifier.verify(token)
        if isinstance(claims, Refused):
            return claims
        # Held to its scopes whatever auth-service calls it: it has a PAT's form.
        caller = Caller(
            user_id=claims.user_id,
            tenant_id=claims.tenant_id,
            kind=PERSONAL,
            scopes=tuple(claims.scopes),
            token_bases=tuple(claims.base_ids),
        )
        return self._allow(caller, base_id)

    def _allow(self, caller: Caller, base_id: str | None) -> Allowed:
        return Allowed(caller, base_id, ((CALLER_HEADER, self.assertions.for_caller(caller)),))
