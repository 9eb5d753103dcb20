"""Events the records consume: what schema-service and workspace-service delete takes its
records (and the sort indexes made for them) along, however it was deleted; a select field's
renamed and removed choices follow into the cells, and a retyped field's cells are converted."""

from __future__ import annotations

from pyat.events.v1 import events_pb2
from sqlalchemy import delete, select

from services.airtable_gateway.native.retype import Retyping
from services.airtable_gateway.native.sort_indexes import SortIndexes
from services.airtable_gateway.native.storage import (
    counters,
    record_changes,
    records,
    rewrite_choices,
)
from services.shared.runtime import Runtime
from services.shared.versions import Versions, records_scope

_TYPES = (events_pb2.TableChanged, events_pb2.FieldChanged, events_pb2.BaseChanged)


async def subscribe(runtime: Runtime) -> None:
    db, indexes, retyping = runtime.db, SortIndexes(runtime.db), Retyping(runtime)
    versions = Versions(runtime.cache)

    async def forget_tables(tenant_id: str, base_id: str, table_ids: list[str]) -> None:
        # Idempotent: a second delivery finds nothing left to delete.
        async with db.transaction() as session:
            for table in (records, counters, record_changes):
                await session.execute(
                    delete(table).where(
                        table.c.tenant_id == tenant_id, table.c.table_id.in_(table_ids)
                    )
                )
        await versions.changed([records_scope(tenant_id, base_id)])
        for table_id in table_ids:
            await indexes.drop(table_id)

    async def on_event(event: events_pb2.Event) -> None:
        if event.type == events_pb2.TableChanged.DESCRIPTOR.full_name:
            table = events_pb2.TableChanged()
            event.payload.Unpack(table)
            if table.change == "deleted":
                await forget_tables(table.tenant_id, table.base_id, [table.table_id])
        elif event.type == events_pb2.FieldChanged.DESCRIPTOR.full_name:
            field = events_pb2.FieldChanged()
            event.payload.Unpack(field)
            if field.change == "deleted":
                await indexes.drop(field.table_id, field.field_id)
            elif field.renamed_choices or field.removed_choices:
                async with db.transaction() as session:
                    await rewrite_choices(
                        session,
                        field.tenant_id,
                        field.table_id,
                        field.field_id,
                        dict(field.renamed_choices),
                        set(field.removed_choices),
                        actor_id=field.actor_id,
                    )
                await versions.changed([records_scope(field.tenant_id, field.base_id)])
            if field.change == "updated" and field.previous_type:
                if not db.is_sqlite:
                    # Sort indexes read the cell as the old type: PostgreSQL may fail to cast
                    # the new type's values for them on write. SQLite casts anything, and lists
                    # name its indexes in INDEXED BY, so those stay.
                    await indexes.drop(field.table_id, field.field_id)
                await retyping.convert(field)
        elif event.type == events_pb2.BaseChanged.DESCRIPTOR.full_name:
            base = events_pb2.BaseChanged()
            event.payload.Unpack(base)
            if base.change == "deleted":
                async with db.read() as session:
                    found = await session.scalars(
                        select(records.c.table_id)
                        .where(records.c.tenant_id == base.tenant_id)
                        .where(records.c.base_id == base.base_id)
                        .distinct()
                    )
                    table_ids = list(found)
                if table_ids:
                    await forget_tables(base.tenant_id, base.base_id, table_ids)

    await runtime.bus.subscribe(
        "airtable-gateway", [t.DESCRIPTOR.full_name for t in _TYPES], on_event
    )
