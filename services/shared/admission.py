"""Admission: the one check of who may make a call, run by the server interceptor before any
handler, from the method's declared access (services/shared/access.py).

A call proves its caller with a signed assertion (`x-pyat-caller`, from the edge or another
service), or, straight to a service's port, with `authorization: Bearer <token>`, which is
verified with auth-service. Scopes and a token's bases are judged on the call the caller made
itself; calls that services make on its behalf were judged where they began.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from services.shared import access, identity
from services.shared.errors import PermissionDenied, Unauthenticated
from services.shared.identity import Assertions, Caller

VerifyBearer = Callable[[str], Awaitable[Caller]]

_NEEDS_CALLER = "this call needs a caller: send 'Authorization: Bearer <token>'"


class Gatekeeper:
    def __init__(self, assertions: Assertions) -> None:
        self.assertions = assertions
        # Set once the process can reach auth-service (after the runtime opens).
        self.verify_bearer: VerifyBearer | None = None

    async def admit(self, rule: access.Rule | None, request: object, metadata: Any) -> None:
        """Establish the caller of a call, or raise UNAUTHENTICATED / PERMISSION_DENIED."""
        if rule is None:
            raise PermissionDenied("this method declares no access, so nobody may call it")
        who = await self._identify(rule, dict(metadata or ()))
        if who is None:
            if rule.audience != access.PUBLIC:
                raise Unauthenticated(_NEEDS_CALLER, reason="CALLER_MISSING")
            return
        if rule.audience == access.INTERNAL and not who.via:
            raise PermissionDenied("this method is internal: only services may call it")
        if not who.via and rule.audience != access.PUBLIC:
            base_id = getattr(request, rule.base_field, None) if rule.base_field else None
            judge_token(rule, who, base_id if isinstance(base_id, str) else None)
        identity.act_as(who)

    async def _identify(self, rule: access.Rule, metadata: dict[str, Any]) -> Caller | None:
        assertion = metadata.get(identity.CALLER_HEADER)
        if isinstance(assertion, str) and assertion:
            return self.assertions.verify(assertion)
        authorization = metadata.get("authorization")
        if rule.audience == access.PUBLIC or not isinstance(authorization, str):
            return None
        token = identity.parse_bearer(authorization)
        if token is None:
            raise Unauthenticated("the Authorization header must be 'Bearer <token>'")
        if self.verify_bearer is None:
            raise Unauthenticated("tokens can't be verified here; call through the edge")
        return await self.verify_bearer(token)


def judge_token(rule: access.Rule, who: Caller, base_id: str | None) -> None:
    """What a caller's own token may do: sessions, or PATs within their scopes and bases
    (`base_id`: the base the call is about, if the method names one)."""
    if not who.personal:
        return  # a session (or a service) may do whatever the audience allows
    if rule.audience == access.SESSION:
        raise PermissionDenied(
            "personal access tokens can't be used here; sign in", reason="SESSION_REQUIRED"
        )
    missing = [scope for scope in rule.scopes if scope not in who.scopes]
    if missing:
        raise PermissionDenied(f"this token lacks the {missing[0]} scope", reason="SCOPE_MISSING")
    if who.token_bases and base_id is not None:
        if base_id not in who.token_bases:
            raise PermissionDenied("this token has no access to this base", reason="BASE_DENIED")
