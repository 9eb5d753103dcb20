"""Events tenant-service consumes: a registration creates the tenant if the RPC did not."""

from __future__ import annotations

import logging

from pyat.events.v1 import events_pb2
from pyat.tenant.v1 import tenant_pb2

from services.shared.errors import AlreadyExists, DomainError
from services.shared.runtime import Runtime
from services.tenant.tenants import create_tenant, name_for_owner

log = logging.getLogger("pyat.tenant.events")


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
