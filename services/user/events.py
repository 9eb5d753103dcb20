"""Events user-service consumes: a registration creates the profile if the RPC did not."""

from __future__ import annotations

import logging

from pyat.events.v1 import events_pb2

from services.shared.errors import DomainError
from services.shared.runtime import Runtime
from services.user.profiles import create_profile

log = logging.getLogger("pyat.user.events")


async def subscribe(runtime: Runtime) -> None:
    async def on_user_registered(event: events_pb2.Event) -> None:
        registered = events_pb2.UserRegistered()
        event.payload.Unpack(registered)
        try:
            await create_profile(
                runtime.db,
                user_id=registered.user_id,
                tenant_id=registered.tenant_id,
                email=registered.email,
                name=registered.name,
            )
        except DomainError:
            # A malformed event would fail the same way forever: record it and move on.
            log.exception("dropping UserRegistered event %s", event.id)

    await runtime.bus.subscribe(
        "user-service", [events_pb2.UserRegistered.DESCRIPTOR.full_name], on_user_registered
    )
