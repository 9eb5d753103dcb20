"""Decisions: the strongest role of a subject on a resource, cached and invalidated per subject.

A decision is cached under a key that holds the subject's current version token; a grant
change replaces the token (after its commit), so every cached decision of that subject is
orphaned at once, in every process sharing the cache. Tokens are random, never counters:
a version key that expires or is evicted comes back as a token never seen before, so old
decisions cannot be revived. A decision read before a commit is cached under the old token
and is never read again.

The warm path is one cache round trip: each process keeps the tokens it has read for a
moment (`VERSION_MEMO_S`), so a change made through another process is seen within that,
and a change made through this one at once.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Sequence
from typing import TypeVar

from services.permission.storage import Target, strongest_roles
from services.shared.cache import Cache, MemoryCache
from services.shared.db import Database
from services.shared.errors import Unavailable
from services.shared.versions import Versions, grants_scope

log = logging.getLogger("pyat.permission.decisions")

# How long this process trusts a version token it read: the staleness bound across processes.
VERSION_MEMO_S = 0.2
# A backstop for a change whose invalidation was lost (the cache down at the time).
DECISION_TTL_S = 10.0
# How often a cache outage is logged while decisions fall back to the database.
_OUTAGE_LOG_EVERY_S = 10.0

T = TypeVar("T")


async def _all(awaitables: Sequence[Awaitable[T]]) -> list[T]:
    # One (the hot single Check) is awaited directly: gather would add a task for nothing.
    if len(awaitables) == 1:
        return [await awaitables[0]]
    return list(await asyncio.gather(*awaitables))


class Decisions:
    """Answers "what role does this subject have here?" from the cache, else the database."""

    def __init__(self, db: Database, cache: Cache) -> None:
        self.db = db
        self.cache = cache
        # The subject's grants token, which other services' caches of roles read too.
        self.versions = Versions(cache)
        self._memo = MemoryCache(max_entries=10_000)
        self._outage_logged_at = -_OUTAGE_LOG_EVERY_S

    async def roles(self, tenant_id: str, targets: Sequence[Target]) -> list[int]:
        """The strongest role on each target's path, in order (0 where there is none)."""
        unique = list(dict.fromkeys(targets))
        subjects = list(dict.fromkeys(subject for subject, _ in unique))
        tokens = dict(
            zip(subjects, await _all([self._version(tenant_id, s) for s in subjects]), strict=True)
        )
        keys = {
            target: _decision_key(tenant_id, target, token)
            for target in unique
            if (token := tokens[target[0]]) is not None
        }
        cached = await self._get_many(list(keys.values()))
        roles = {
            target: int(value)
            for target, value in zip(keys, cached, strict=True)
            if value is not None
        }
        missing = [target for target in unique if target not in roles]
        if missing:
            async with self.db.read() as session:
                found = await strongest_roles(session, tenant_id, missing)
            roles.update(found)
            await _all([self._set(keys[t], str(found[t]).encode()) for t in missing if t in keys])
        return [roles[target] for target in targets]

    async def invalidate(self, tenant_id: str, subject_id: str) -> None:
        """Orphan every cached decision of the subject. Call it after the change commits."""
        key = grants_scope(tenant_id, subject_id)
        try:
            token = await self.versions.replace(key)
        except Unavailable as exc:
            # GrantChanged will invalidate again once the cache is back.
            await self._memo.delete(key)
            self._log_outage(exc)
            return
        await self._memo.set(key, token, VERSION_MEMO_S)

    async def _version(self, tenant_id: str, subject_id: str) -> bytes | None:
        """The subject's version token, or None when the cache cannot be used."""
        key = grants_scope(tenant_id, subject_id)
        token = await self._memo.get(key)
        if token is not None:
            return token
        try:
            (token,) = await self.versions.current([key])
        except Unavailable as exc:
            self._log_outage(exc)
            return None
        await self._memo.set(key, token, VERSION_MEMO_S)
        return token

    async def _get_many(self, keys: list[str]) -> list[bytes | None]:
        try:
            return await self.cache.get_many(keys)
        except Unavailable as exc:
            self._log_outage(exc)
            return [None] * len(keys)

    async def _set(self, key: str, value: bytes) -> None:
        try:
            await self.cache.set(key, value, DECISION_TTL_S)
        except Unavailable as exc:
            self._log_outage(exc)

    def _log_outage(self, exc: Unavailable) -> None:
        now = time.monotonic()
        if now - self._outage_logged_at >= _OUTAGE_LOG_EVERY_S:
            self._outage_logged_at = now
            log.warning("decision cache unavailable, answering from the database: %s", exc)


def _decision_key(tenant_id: str, target: Target, token: bytes) -> str:
    subject_id, path = target
    return (
        f"perm:d:{tenant_id}:{subject_id}:{token.decode()}:"
        f"{path.workspace_id}:{path.base_id}:{path.table_id}"
    )
