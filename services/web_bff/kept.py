"""Answers web-bff keeps while they are current: the caller's profile, workspaces and bases, read
decisions, tables, and bases' change cursors and newest changes, each filed under the version
tokens (services.shared.versions) read before it was asked.

A change committed through the service that owns the data replaces its token at once, so the
next screen read asks afresh: a revoked role stops working on the next call. The owners'
events replace the tokens too, for a change whose replacement this process could not see
(its cache not shared with the owner's, or down at the time). KEPT_TTL_S bounds the rest:
an answer is kept at most that long, whatever happened to its tokens. That is how long a
revoked role may go on working here when its token's replacement is not seen, or when the
service asked answered from a moment before the change (another permission-service process
trusts the token it read for a moment).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Hashable
from typing import Generic, TypeVar

from pyat.events.v1 import events_pb2
from pyat.events.v1.events_pb2 import Event

from services.shared import versions
from services.shared.errors import Unavailable
from services.shared.runtime import Runtime
from services.web_bff.caches import Recent

log = logging.getLogger(__name__)

KEPT_TTL_S = 2.0
# Per kind of answer; each caller has a few of each.
MAX_KEPT = 4096

K = TypeVar("K", bound=Hashable)
V = TypeVar("V")
Tokens = tuple[bytes, ...]


class Kept(Generic[K, V]):
    """Answers by key (which names the tenant and the caller), each with the tokens it was
    read under; one is served only under those very tokens, and for at most `ttl_s`. Callers
    that miss at once share one read, so a burst (or every caller's answers expiring
    together) asks each service once per key, not once per call."""

    def __init__(self, limit: int = MAX_KEPT, ttl_s: float = KEPT_TTL_S) -> None:
        self._entries: Recent[K, tuple[Tokens, V]] = Recent(limit, ttl_s)
        self._reading: dict[tuple[K, Tokens], asyncio.Future[V]] = {}

    def get(self, key: K, tokens: Tokens) -> V | None:
        found = self._entries.get(key)
        if found is None or found[0] != tokens:
            return None
        return found[1]

    def put(self, key: K, tokens: Tokens, value: V) -> None:
        self._entries.put(key, (tokens, value))

    async def answer(self, key: K, tokens: Tokens, read: Callable[[], Awaitable[V]]) -> V:
        """The answer kept under `key` and `tokens`, else that of the read of it under way,
        else `read()`'s (run to its end even if its caller goes), kept once it lands."""
        found = self.get(key, tokens)
        if found is not None:
            return found
        flight = (key, tokens)
        task = self._reading.get(flight)
        if task is None:
            task = self._reading[flight] = asyncio.ensure_future(read())

            def landed(done: asyncio.Future[V]) -> None:
                if self._reading.get(flight) is done:
                    del self._reading[flight]
                if not done.cancelled() and done.exception() is None:
                    self.put(key, tokens, done.result())

            task.add_done_callback(landed)
        return await asyncio.shield(task)


_GRANT = events_pb2.GrantChanged.DESCRIPTOR.full_name
_PROFILE = events_pb2.UserUpdated.DESCRIPTOR.full_name
_TENANT_WIDE = (
    events_pb2.WorkspaceChanged.DESCRIPTOR.full_name,
    events_pb2.BaseChanged.DESCRIPTOR.full_name,
)
# Changes of a base's records and of its schema; each event names its tenant and base.
_RECORDS = {
    t.DESCRIPTOR.full_name: t
    for t in (events_pb2.RecordCreated, events_pb2.RecordUpdated, events_pb2.RecordDeleted)
}
_SCHEMA = {t.DESCRIPTOR.full_name: t for t in (events_pb2.TableChanged, events_pb2.FieldChanged)}


def changed_scopes(event: Event) -> list[str]:
    """The scopes whose data `event` says changed."""
    if event.type in _TENANT_WIDE:
        return [versions.workspaces_scope(event.tenant_id)]
    if event.type == _GRANT:
        grant = events_pb2.GrantChanged()
        if event.payload.Unpack(grant):
            return [versions.grants_scope(grant.tenant_id, grant.subject_id)]
    if event.type == _PROFILE:
        profile = events_pb2.UserUpdated()
        if event.payload.Unpack(profile):
            return [versions.profile_scope(profile.tenant_id, profile.user_id)]
    for kinds, scope in ((_RECORDS, versions.records_scope), (_SCHEMA, versions.schema_scope)):
        kind = kinds.get(event.type)
        if kind is not None:
            change = kind()
            if event.payload.Unpack(change):
                return [scope(change.tenant_id, change.base_id)]
    return []


async def listen(runtime: Runtime) -> None:
    """Replace the tokens the owners' events name, in this process's cache."""
    tokens = versions.Versions(runtime.cache)

    async def on_event(event: Event) -> None:
        for scope in changed_scopes(event):
            try:
                await tokens.replace(scope)
            except Unavailable as exc:
                # Nothing is kept while the cache is down, and KEPT_TTL_S bounds what was.
                log.warning("web-bff: cannot replace a version token: %s", exc)

    try:
        await runtime.bus.listen([_GRANT, _PROFILE, *_TENANT_WIDE, *_RECORDS, *_SCHEMA], on_event)
    except Exception as exc:
        log.warning("web-bff: cannot listen for changes (%r); kept answers expire only", exc)
