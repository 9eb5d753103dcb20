"""Who is calling: a signed, short-lived assertion of the caller that travels with every call.

The edge (ext_authz) signs one for each request it lets through; services verify it before
any handler runs and pass it on when they call each other, re-signed to say which service is
calling on the caller's behalf. A service acting for the platform (an event consumer) signs
its own, naming itself. Nothing else grants an identity: bare headers are ignored.

Format of the `x-pyat-caller` value: `v1.<claims>.<mac>`, where claims is base64url JSON and
mac is base64url HMAC-SHA256 of `v1.<claims>` under a key derived from the platform secret.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import time
from collections import OrderedDict
from collections.abc import Sequence
from contextvars import ContextVar
from dataclasses import dataclass, replace
from typing import Any

from services.shared.config import Settings
from services.shared.errors import Unauthenticated
from services.shared.secret_key import platform_secret

CALLER_HEADER = "x-pyat-caller"
VERSION = "v1"
# Long enough for any call chain the edge starts (its routes time out in 30 s), short enough
# that a leaked assertion is soon worthless.
LIFETIME_S = 60.0

SESSION = "session"
PERSONAL = "pat"
SERVICE = "service"
KINDS = frozenset({SESSION, PERSONAL, SERVICE})

_KEY_LABEL = b"pyat caller assertion v1"
_VERIFIED_CACHE_SIZE = 4096


@dataclass(frozen=True)
class Caller:
    """A verified caller. `via` names the service that called on the caller's behalf; it is
    empty when the caller made the call itself (through the edge), which is when scopes and a
    token's bases are judged."""

    user_id: str
    tenant_id: str
    kind: str = SESSION
    scopes: tuple[str, ...] = ()
    # The bases a personal access token is limited to; empty means all the caller's bases.
    token_bases: tuple[str, ...] = ()
    via: str = ""

    @property
    def personal(self) -> bool:
        return self.kind == PERSONAL

    def on_behalf(self, service: str) -> Caller:
        """This caller as `service` passes it on to the services it calls."""
        return self if self.via == service else replace(self, via=service)

    @classmethod
    def service(cls, name: str, *, tenant_id: str = "", user_id: str = "") -> Caller:
        """The platform itself, acting as `name` (for a tenant, or for a user, if given)."""
        return cls(user_id=user_id or f"svc:{name}", tenant_id=tenant_id, kind=SERVICE, via=name)


def assertion_key(settings: Settings) -> bytes:
    """The key every process of a deployment signs and verifies assertions with."""
    secret = platform_secret(settings, "caller_secret")
    return hmac.new(secret, _KEY_LABEL, hashlib.sha256).digest()


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


class Assertions:
    """Signs and verifies caller assertions with one key. Verified ones are remembered until
    they expire, so a service pays the HMAC once per assertion, not once per call."""

    def __init__(self, key: bytes, *, lifetime_s: float = LIFETIME_S) -> None:
        self._key = key
        self.lifetime_s = lifetime_s
        self._verified: OrderedDict[str, tuple[Caller, float]] = OrderedDict()
        self._signed: OrderedDict[Caller, tuple[str, float]] = OrderedDict()

    def _mac(self, signed: bytes) -> bytes:
        return hmac.new(self._key, signed, hashlib.sha256).digest()

    def sign(self, caller: Caller, *, now: float | None = None) -> str:
        expires = (time.time() if now is None else now) + self.lifetime_s
        claims: dict[str, Any] = {"t": caller.tenant_id, "u": caller.user_id, "k": caller.kind}
        if caller.scopes:
            claims["s"] = list(caller.scopes)
        if caller.token_bases:
            claims["b"] = list(caller.token_bases)
        if caller.via:
            claims["v"] = caller.via
        claims["e"] = round(expires, 3)
        signed = f"{VERSION}.{_b64(json.dumps(claims, separators=(',', ':')).encode())}"
        return f"{signed}.{_b64(self._mac(signed.encode()))}"

    def for_caller(self, caller: Caller) -> str:
        """An assertion of `caller` to send, signed afresh once half its lifetime has passed."""
        now = time.time()
        known = self._signed.get(caller)
        if known is not None and known[1] > now:
            return known[0]
        value = self.sign(caller, now=now)
        self._signed[caller] = (value, now + self.lifetime_s / 2)
        if len(self._signed) > _VERIFIED_CACHE_SIZE:
            self._signed.popitem(last=False)
        return value

    def verify(self, value: str, *, now: float | None = None) -> Caller:
        """The caller an assertion names, or UNAUTHENTICATED if it is forged, altered or old."""
        now = time.time() if now is None else now
        known = self._verified.get(value)
        if known is not None:
            if known[1] > now:
                return known[0]
            self._verified.pop(value, None)
            raise Unauthenticated("the caller assertion has expired", reason="ASSERTION_EXPIRED")
        caller, expires = self._check(value, now)
        self._verified[value] = (caller, expires)
        if len(self._verified) > _VERIFIED_CACHE_SIZE:
            self._verified.popitem(last=False)
        return caller

    def _check(self, value: str, now: float) -> tuple[Caller, float]:
        version, _, rest = value.partition(".")
        claims_part, _, mac_part = rest.partition(".")
        if version != VERSION or not claims_part or not mac_part:
            raise _malformed()
        try:
            mac = _unb64(mac_part)
        except (binascii.Error, ValueError):
            raise _malformed() from None
        if not hmac.compare_digest(mac, self._mac(f"{version}.{claims_part}".encode())):
            raise Unauthenticated("the caller assertion is not validly signed", reason="FORGED")
        try:
            claims = json.loads(_unb64(claims_part))
            caller = Caller(
                user_id=_text(claims["u"]),
                tenant_id=_text(claims["t"]),
                kind=_text(claims["k"]),
                scopes=_texts(claims.get("s", [])),
                token_bases=_texts(claims.get("b", [])),
                via=_text(claims.get("v", "")),
            )
            expires = float(claims["e"])
        except (ValueError, KeyError, TypeError):
            raise _malformed() from None
        if caller.kind not in KINDS or not caller.user_id:
            raise _malformed()
        if expires <= now:
            raise Unauthenticated("the caller assertion has expired", reason="ASSERTION_EXPIRED")
        return caller, expires


def _text(value: object) -> str:
    if not isinstance(value, str):
        raise TypeError("not a string")
    return value


def _texts(values: object) -> tuple[str, ...]:
    if not isinstance(values, list):
        raise TypeError("not a list")
    return tuple(_text(value) for value in values)


def _malformed() -> Unauthenticated:
    return Unauthenticated("the caller assertion is malformed", reason="ASSERTION_MALFORMED")


# The caller of the call being served (set by the server interceptor, or by `act_as`), and
# the assertion to pass on unchanged when this process only relays calls (the /v0 front).
_caller: ContextVar[Caller | None] = ContextVar("pyat_caller", default=None)
_relayed: ContextVar[str | None] = ContextVar("pyat_relayed_assertion", default=None)


def current_caller() -> Caller | None:
    """The caller of the call being served, if any."""
    return _caller.get()


def caller() -> Caller:
    """The verified caller of the call being served. The interceptor has established it for
    every method whose access needs one, so this never fails in a handler of such a method."""
    found = _caller.get()
    if found is None:
        raise Unauthenticated("this call needs a caller")
    return found


def act_as(who: Caller) -> None:
    """Make calls from here on carry `who` (after a sign-in, or in an event consumer)."""
    _caller.set(who)
    _relayed.set(None)


def relay(who: Caller, assertion: str) -> None:
    """Serve a request for `who` and pass its assertion on unchanged: the calls that follow
    are the caller's own, judged as if it made them (the /v0 front translates, no more)."""
    _caller.set(who)
    _relayed.set(assertion)


def relayed_assertion() -> str | None:
    return _relayed.get()


def parse_bearer(authorization: str) -> str | None:
    """The token of an `Authorization: Bearer <token>` value, or None."""
    scheme, _, token = authorization.strip().partition(" ")
    token = token.strip()
    return token if scheme.lower() == "bearer" and token else None


def has_scopes(who: Caller, needed: Sequence[str]) -> bool:
    return all(scope in who.scopes for scope in needed)


def bearer_token(context: Any) -> str:
    """The token of the call's `authorization: Bearer <token>` metadata, or UNAUTHENTICATED."""
    value = dict(context.invocation_metadata() or ()).get("authorization")
    if not isinstance(value, str) or not value:
        raise Unauthenticated("missing credentials: send 'Authorization: Bearer <token>'")
    token = parse_bearer(value)
    if token is None:
        raise Unauthenticated("the Authorization header must be 'Bearer <token>'")
    return token


# Headers that carried identity before assertions. They grant nothing now; the edge still
# drops them from what clients send, so no service can be misled by one.
TENANT_HEADER = "x-pyat-tenant-id"
USER_HEADER = "x-pyat-user-id"
SCOPES_HEADER = "x-pyat-scopes"
TOKEN_BASES_HEADER = "x-pyat-token-bases"
IDENTITY_HEADERS = (CALLER_HEADER, TENANT_HEADER, USER_HEADER, SCOPES_HEADER, TOKEN_BASES_HEADER)
