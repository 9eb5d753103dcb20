"""Events schema-service consumes: BaseChanged "deleted", to drop the schema of a deleted base."""

from __future__ import annotations

from pyat.events.v1 import events_pb2

from services.schema.storage import delete_base
from services.shared.runtime import Runtime
from services.shared.versions import Versions, schema_scope


async def subscribe(runtime: Runtime) -> None:
    versions = Versions(runtime.cache)

    async def on_base_changed(event: events_pb2.Event) -> None:
        changed = events_pb2.BaseChanged()
        event.payload.Unpack(changed)
        if changed.change != "deleted":
            return
        # Idempotent: a second delivery finds nothing left to delete.
        async with runtime.db.transaction() as session:
            await delete_base(session, changed.tenant_id, changed.base_id)
        await versions.changed([schema_scope(changed.tenant_id, changed.base_id)])

    await runtime.bus.subscribe(
        "schema-service", [events_pb2.BaseChanged.DESCRIPTOR.full_name], on_base_changed
    )
