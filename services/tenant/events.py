"""Events tenant-service consumes: a registration creates the tenant if the RPC did not, and
records created and deleted are counted in their base's usage."""

from __future__ import annotations

import datetime as dt
import logging
import math
import time
from collections.abc import Sequence

from pyat.events.v1 import events_pb2
from pyat.tenant.v1 import tenant_pb2

from services.shared.db import Database, utcnow
from services.shared.errors import AlreadyExists, DomainError
from services.shared.ids import looks_like
from services.shared.runtime import Runtime
from services.tenant.quotas import RecordCount, count_records, forget_counted_events
from services.tenant.tenants import create_tenant, name_for_owner

log = logging.getLogger("pyat.tenant.events")

# An event comes again only while the bus keeps it: a week in a NATS stream or the outbox.
COUNTED_EVENTS_KEPT = dt.timedelta(days=14)
_FORGET_EVERY_S = 3600.0


async def subscribe(runtime: Runtime) -> None:
    async def on_user_registered(event: events_pb2.Event) -> None:
        registered = events_pb2.UserRegistered()
        event.payload.Unpack(registered)
        try:
            _, created = await create_tenant(
                runtime.db,
                tenant_id=registered.tenant_id,
                owner_user_id=registered.user_id,
                name=name_for_owner(registered.name),
                plan=tenant_pb2.PLAN_FREE,
            )
        except AlreadyExists:
            return  # the user joined an existing tenant by invitation: nothing to create
        except DomainError:
            # A malformed event would fail the same way forever: record it and move on.
            log.exception("dropping UserRegistered event %s", event.id)
            return
        if created:
            runtime.outbox.notify()

    await runtime.bus.subscribe(
        "tenant-service", [events_pb2.UserRegistered.DESCRIPTOR.full_name], on_user_registered
    )
    # A durable of its own, so a slow count never holds back tenant creation (or the reverse).
    await runtime.bus.subscribe_batches(
        "tenant-usage",
        [
            events_pb2.RecordCreated.DESCRIPTOR.full_name,
            events_pb2.RecordDeleted.DESCRIPTOR.full_name,
        ],
        RecordCounter(runtime.db),
    )


class RecordCounter:
    """Counts each base's records from RecordCreated and RecordDeleted, once per event id.

    The count follows what committed, whatever happened to the request that made it; the
    quota check before a create reads it.
    """

    def __init__(self, db: Database) -> None:
        self._db = db
        self._last_forget = -math.inf

    async def __call__(self, events: Sequence[events_pb2.Event]) -> None:
        counts: list[RecordCount] = []
        for event in events:
            message: events_pb2.RecordCreated | events_pb2.RecordDeleted
            if event.type == events_pb2.RecordCreated.DESCRIPTOR.full_name:
                message, delta = events_pb2.RecordCreated(), 1
            else:
                message, delta = events_pb2.RecordDeleted(), -1
            # A malformed event would fail the same way forever: record it and move on.
            if (
                not event.payload.Unpack(message)
                or not 0 < len(event.id) <= 32
                or not looks_like(message.base_id, "app")
            ):
                log.error("dropping event %s: not a well-formed %s", event.id, event.type)
                continue
            counts.append(RecordCount(event.id, message.tenant_id, message.base_id, delta))
        # One transaction for the whole delivery: a burst of writes is counted in a few.
        await count_records(self._db, counts)
        await self._forget_now_and_then()

    async def _forget_now_and_then(self) -> None:
        now = time.monotonic()
        if now - self._last_forget < _FORGET_EVERY_S:
            return
        self._last_forget = now
        forgotten = await forget_counted_events(self._db, utcnow() - COUNTED_EVENTS_KEPT)
        if forgotten:
            log.info("forgot %d counted event ids", forgotten)
