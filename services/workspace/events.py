"""Events workspace-service consumes: its own BaseChanged, to make sure base usage is counted.

CreateBase and DeleteBase record usage right away; this makes it certain, since the event
commits with the change and is retried until tenant-service takes it. The idempotency key
is the same, so a base is counted once either way.
"""

from __future__ import annotations

import logging

import grpc
from pyat.events.v1 import events_pb2

from services.shared.errors import DomainError
from services.shared.identity import Caller, act_as
from services.shared.runtime import Runtime
from services.workspace.quota import BaseUsage

log = logging.getLogger("pyat.workspace.events")

_TRANSIENT = frozenset(
    {grpc.StatusCode.UNAVAILABLE, grpc.StatusCode.DEADLINE_EXCEEDED, grpc.StatusCode.ABORTED}
)


async def subscribe(runtime: Runtime) -> None:
    usage = BaseUsage(runtime)

    async def on_base_changed(event: events_pb2.Event) -> None:
        changed = events_pb2.BaseChanged()
        event.payload.Unpack(changed)
        if changed.change not in ("created", "deleted"):
            return
        act_as(Caller.service("workspace", tenant_id=changed.tenant_id, user_id=changed.actor_id))
        try:
            await usage.record(changed.base_id, deleted=changed.change == "deleted", strict=True)
        except DomainError as err:
            if err.code in _TRANSIENT:
                raise  # the bus delivers it again after a pause
            # Refused for good (e.g. a malformed event): retrying would fail the same way.
            log.warning("dropping BaseChanged event %s: %s", event.id, err.message)

    await runtime.bus.subscribe(
        "workspace-service", [events_pb2.BaseChanged.DESCRIPTOR.full_name], on_base_changed
    )
