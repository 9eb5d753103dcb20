"""Events permission-service consumes: its own GrantChanged, so every cache forgets the subject.

The change's own process invalidates right after the commit; this catches what that missed
(the cache down at the time, or another process's in-process cache).
"""

from __future__ import annotations

import logging

from pyat.events.v1 import events_pb2

from services.permission.decisions import Decisions
from services.shared.runtime import Runtime

log = logging.getLogger("pyat.permission.events")


async def subscribe(runtime: Runtime) -> None:
    decisions = Decisions(runtime.db, runtime.cache)

    async def on_grant_changed(event: events_pb2.Event) -> None:
        changed = events_pb2.GrantChanged()
        if not event.payload.Unpack(changed) or not changed.tenant_id or not changed.subject_id:
            # It would fail the same way forever: record it and move on.
            log.error("dropping malformed GrantChanged event %s", event.id)
            return
        # Idempotent: a second invalidation only orphans decisions once more.
        await decisions.invalidate(changed.tenant_id, changed.subject_id)

    await runtime.bus.subscribe(
        "permission-service", [events_pb2.GrantChanged.DESCRIPTOR.full_name], on_grant_changed
    )
