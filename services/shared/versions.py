"""Version tokens: how a service knows, in one cache round trip, that what it keeps of another
service's data is still current.

The service that owns the data replaces a scope's token once a change of it commits; a reader
reads the tokens first and files what it reads next under them, so an answer read before a
change is filed under a token that is never current again. Tokens are random, never counters:
a token evicted or expired comes back as one never seen, so an old answer cannot be revived.
Readers whose cache the owner does not share (a process of its own without Redis), or that
missed a replacement (the cache down at the time), replace the token again on the owner's event.
"""

from __future__ import annotations

import logging
import secrets
from collections.abc import Iterable, Sequence

from services.shared.cache import Cache
from services.shared.errors import Unavailable

log = logging.getLogger(__name__)

# Idle scopes' tokens may go; a missing token is simply replaced by a new one.
TOKEN_TTL_S = 24 * 3600.0


def grants_scope(tenant_id: str, subject_id: str) -> str:
    """A subject's grants (permission-service): every role they hold anywhere."""
    return f"perm:v:{tenant_id}:{subject_id}"


def workspaces_scope(tenant_id: str) -> str:
    """A tenant's workspaces and bases (workspace-service): which exist, and their names."""
    return f"workspace:v:{tenant_id}"


def profile_scope(tenant_id: str, user_id: str) -> str:
    """A user's profile (user-service)."""
    return f"user:v:{tenant_id}:{user_id}"


def records_scope(tenant_id: str, base_id: str) -> str:
    """A native base's records and their change log (airtable-gateway)."""
    return f"records:v:{tenant_id}:{base_id}"


def schema_scope(tenant_id: str, base_id: str) -> str:
    """A base's tables, fields and views (schema-service)."""
    return f"schema:v:{tenant_id}:{base_id}"


def _new_token() -> bytes:
    return secrets.token_urlsafe(9).encode()


class Versions:
    """Tokens of scopes in a cache; `current` and `replace` raise `Unavailable` when it cannot
    be used."""

    def __init__(self, cache: Cache) -> None:
        self.cache = cache

    async def current(self, scopes: Sequence[str]) -> list[bytes]:
        """The token of each scope, in order (a new one where there is none yet)."""
        tokens = await self.cache.get_many(scopes)
        found: list[bytes] = []
        for scope, token in zip(scopes, tokens, strict=True):
            if token is None:
                token = await self.replace(scope)
            found.append(token)
        return found

    async def replace(self, scope: str) -> bytes:
        """Give the scope a new token: whatever was filed under the old one is not current."""
        token = _new_token()
        await self.cache.set(scope, token, TOKEN_TTL_S)
        return token

    async def changed(self, scopes: Iterable[str]) -> None:
        """After a commit, replace each scope's token. A cache that cannot be used is logged,
        not raised: the change has committed, and readers keep nothing past their bound."""
        for scope in dict.fromkeys(scopes):
            try:
                await self.replace(scope)
            except Unavailable as exc:
                log.warning("cannot replace the version token of %s: %s", scope, exc)
                return  # the others would wait out the same outage
