"""The core of schema-service on PostgreSQL, Redis and NATS: tables with a link and its
inverse, renames, typecast cells that add choices, tenancy, deletion, and the events."""

from __future__ import annotations

import grpc
import pytest
from pyat.events.v1 import events_pb2
from pyat.schema.v1 import schema_pb2 as pb
from sqlalchemy import select

from services.schema.storage import TableRow
from services.shared.outbox import OutboxRow
from services.shared.server import Host
from tests.schema.support import fails, options, schema_on, spec


@pytest.mark.postgres
async def test_core_schema_flow_on_postgres(pg_fabric: Host, pg_channel: grpc.aio.Channel) -> None:
    schema = schema_on(pg_fabric, pg_channel)
    owner = await schema.owner()
    created = await schema.rpc(
        owner.person, "CreateTables", base_id=owner.base_id,
        tables=[
            pb.TableSpec(name="Tasks", fields=[spec("Name"),
                         spec("Tags", "multipleSelects", choices=[{"name": "a"}]),
                         spec("Project", "multipleRecordLinks", linkedTableId="Projects")]),
            pb.TableSpec(name="Projects", fields=[spec("Name")]),
        ],
    )  # fmt: skip
    tasks, projects = created.tables
    inverse = projects.fields[1]
    assert options(inverse)["inverseLinkFieldId"] == tasks.fields[2].id

    renamed = await schema.rpc(owner.person, "UpdateTable", base_id=owner.base_id,
                               table_id=tasks.id, name="Todo")  # fmt: skip
    assert (renamed.table.name, renamed.table.version) == ("Todo", tasks.version + 1)
    assert await schema.cells(owner, tasks.id, {"Tags": "a, b"}, typecast=True) == [
        {tasks.fields[1].id: ["a", "b"]}
    ]
    after = await schema.get(owner, "todo")
    assert [c["name"] for c in options(after.fields[1])["choices"]] == ["a", "b"]

    stranger = await schema.api.sign_up()
    await fails(schema.rpc(stranger, "GetTable", base_id=owner.base_id, table=tasks.id),
                grpc.StatusCode.NOT_FOUND)  # fmt: skip

    await schema.rpc(owner.person, "DeleteField", base_id=owner.base_id, table_id=projects.id,
                     field_id=inverse.id)  # fmt: skip
    assert [f.name for f in (await schema.get(owner, tasks.id)).fields] == ["Name", "Tags"]
    await schema.rpc(owner.person, "DeleteTable", base_id=owner.base_id, table_id=projects.id)
    listed = await schema.rpc(owner.person, "ListTables", base_id=owner.base_id)
    assert [t.name for t in listed.tables] == ["Todo"]

    assert pg_fabric.runtime is not None
    async with pg_fabric.runtime.db.read() as session:
        rows = await session.execute(
            select(OutboxRow).where(OutboxRow.tenant_id == owner.person.tenant_id)
        )
        types = {row.event_type for row in rows.scalars()}
        tables = (
            await session.execute(select(TableRow).where(TableRow.base_id == owner.base_id))
        ).scalars()
        assert [t.name for t in tables] == ["Todo"]
    assert {events_pb2.TableChanged.DESCRIPTOR.full_name,
            events_pb2.FieldChanged.DESCRIPTOR.full_name} <= types  # fmt: skip
