"""Tables over real gRPC: created with their fields and a grid view, listed, found by id or
name, renamed, and deleted; their version grows with each change."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable
from typing import Any

import grpc
from pyat.events.v1 import events_pb2
from pyat.schema.v1 import schema_pb2 as pb
from sqlalchemy import select

from services.schema.storage import TableRow
from services.shared.ids import looks_like
from services.shared.outbox import OutboxRow
from tests.schema.support import Owner, Schema, fails, field_violations, options, spec

INVALID, EXISTS = grpc.StatusCode.INVALID_ARGUMENT, grpc.StatusCode.ALREADY_EXISTS


async def test_create_tables_makes_fields_primary_field_and_grid_view(
    schema: Schema, owner: Owner
) -> None:
    table = await schema.table(
        owner, "Projects", spec("Name"), spec("Budget", "currency"), description="All of them"
    )
    assert looks_like(table.id, "tbl") and table.base_id == owner.base_id
    assert (table.name, table.description, table.version) == ("Projects", "All of them", 1)
    assert [(f.name, f.type) for f in table.fields] == [
        ("Name", "singleLineText"), ("Budget", "currency"),
    ]  # fmt: skip
    assert table.primary_field_id == table.fields[0].id
    assert all(looks_like(f.id, "fld") for f in table.fields)
    assert options(table.fields[1]) == {"precision": 2, "symbol": "$"}
    [view] = table.views
    assert (view.name, view.type, looks_like(view.id, "viw")) == ("Grid view", "grid", True)


async def test_list_and_get_tables_by_id_or_name(schema: Schema) -> None:
    owner = await schema.owner()
    first = await schema.table(owner, "Alpha", spec("Name"))
    second = await schema.table(owner, "Beta", spec("Title"))
    listed = await schema.rpc(owner.person, "ListTables", base_id=owner.base_id)
    assert list(listed.tables) == [first, second]
    assert await schema.get(owner, second.id) == second
    assert await schema.get(owner, "Beta") == second
    assert await schema.get(owner, "beta") == second
    await fails(schema.get(owner, "Gamma"), grpc.StatusCode.NOT_FOUND, "TABLE_NOT_FOUND")
    await fails(schema.get(owner, "tblAAAAAAAAAAAAAA"), grpc.StatusCode.NOT_FOUND)


async def test_create_tables_refuses_bad_specs(schema: Schema, owner: Owner) -> None:
    def create(*tables: pb.TableSpec) -> Awaitable[Any]:
        return schema.rpc(owner.person, "CreateTables", base_id=owner.base_id, tables=tables)

    await fails(create(), INVALID)
    err = await fails(create(pb.TableSpec(name="  ", fields=[spec("Name")])), INVALID)
    assert field_violations(err) == {"tables[0].name": "is required"}
    err = await fails(create(pb.TableSpec(name="No fields")), INVALID)
    assert "tables[0].fields" in field_violations(err)
    bad_type = pb.TableSpec(name="T", fields=[spec("Name"), spec("Odd", "hologram")])
    err = await fails(create(bad_type), INVALID, "INVALID_FIELD_TYPE")
    assert "'Odd'" in (err.details() or "")
    assert field_violations(err) == {"tables[0].fields[1].type": "'hologram' is not a field type"}
    twice = pb.TableSpec(name="T", fields=[spec("Name"), spec("name")])
    await fails(create(twice), EXISTS, "DUPLICATE_OR_EMPTY_FIELD_NAME")
    checkbox_first = pb.TableSpec(name="T", fields=[spec("Done", "checkbox")])
    await fails(create(checkbox_first), INVALID, "INVALID_PRIMARY_FIELD")
    # Nothing of the failed calls was kept.
    await fails(schema.get(owner, "T"), grpc.StatusCode.NOT_FOUND)


async def test_table_names_are_unique_in_a_base_whatever_the_case(schema: Schema) -> None:
    owner = await schema.owner()
    await schema.table(owner, "Tasks", spec("Name"))
    await fails(schema.table(owner, "TASKS", spec("Name")), EXISTS, "DUPLICATE_TABLE_NAME")
    other = await schema.owner()
    assert (await schema.table(other, "Tasks", spec("Name"))).name == "Tasks"


async def test_update_table_renames_and_grows_the_version(schema: Schema) -> None:
    owner = await schema.owner()
    table = await schema.table(owner, "Old", spec("Name"))
    await schema.table(owner, "Taken", spec("Name"))
    updated = await schema.rpc(
        owner.person, "UpdateTable", base_id=owner.base_id, table_id=table.id, name=" New "
    )
    assert (updated.table.name, updated.table.description) == ("New", "")
    assert updated.table.version == table.version + 1
    described = await schema.rpc(
        owner.person, "UpdateTable", base_id=owner.base_id, table_id=table.id, description="d"
    )
    assert (described.table.name, described.table.description) == ("New", "d")
    call = schema.rpc(
        owner.person, "UpdateTable", base_id=owner.base_id, table_id=table.id, name="taken"
    )
    await fails(call, EXISTS)
    call = schema.rpc(
        owner.person, "UpdateTable", base_id=owner.base_id, table_id=table.id, name=""
    )
    await fails(call, INVALID)


async def test_delete_table_but_never_the_last(schema: Schema) -> None:
    owner = await schema.owner()
    first = await schema.table(owner, "First", spec("Name"))
    second = await schema.table(owner, "Second", spec("Name"))
    await schema.rpc(owner.person, "DeleteTable", base_id=owner.base_id, table_id=second.id)
    await fails(schema.get(owner, second.id), grpc.StatusCode.NOT_FOUND)
    call = schema.rpc(owner.person, "DeleteTable", base_id=owner.base_id, table_id=first.id)
    await fails(call, grpc.StatusCode.FAILED_PRECONDITION, "LAST_TABLE")
    # The name is free again.
    assert (await schema.table(owner, "Second", spec("Name"))).name == "Second"


async def test_fields_are_added_renamed_and_deleted(schema: Schema, owner: Owner) -> None:
    table = await schema.table(owner, "Field life", spec("Name"))
    created = await schema.rpc(
        owner.person,
        "CreateField",
        base_id=owner.base_id,
        table_id=table.id,
        field=spec("Count", "number", precision=2),
    )
    assert created.table.version == table.version + 1
    assert [f.name for f in created.table.fields] == ["Name", "Count"]
    field = created.field
    renamed = await schema.rpc(
        owner.person,
        "UpdateField",
        base_id=owner.base_id,
        table_id=table.id,
        field_id=field.id,
        name="Total",
        description="how many",
        options=pb.FieldSpec(options={}).options,
    )
    assert (renamed.field.name, renamed.field.description) == ("Total", "how many")
    assert options(renamed.field) == {"precision": 0}
    call = schema.rpc(
        owner.person, "UpdateField", base_id=owner.base_id, table_id=table.id,
        field_id=field.id, name="name",
    )  # fmt: skip
    await fails(call, EXISTS, "DUPLICATE_OR_EMPTY_FIELD_NAME")
    primary = schema.rpc(
        owner.person, "DeleteField", base_id=owner.base_id, table_id=table.id,
        field_id=table.primary_field_id,
    )  # fmt: skip
    await fails(primary, grpc.StatusCode.FAILED_PRECONDITION, "CANNOT_DELETE_PRIMARY_FIELD")
    await schema.rpc(
        owner.person, "DeleteField", base_id=owner.base_id, table_id=table.id, field_id=field.id
    )
    after = await schema.get(owner, table.id)
    assert [f.name for f in after.fields] == ["Name"]
    gone = schema.rpc(
        owner.person, "DeleteField", base_id=owner.base_id, table_id=table.id, field_id=field.id
    )
    await fails(gone, grpc.StatusCode.NOT_FOUND, "FIELD_NOT_FOUND")


async def test_deleting_a_base_drops_its_schema(schema: Schema) -> None:
    owner = await schema.owner()
    table = await schema.table(owner, "Doomed", spec("Name"))
    await schema.api.rpc(owner.person, "DeleteBase", base_id=owner.base_id)
    host = schema.api.host
    assert host.runtime is not None
    # The base's deletion reaches schema-service as an event: wait for it, within reason.
    runtime = host.runtime

    async def table_left() -> bool:
        async with runtime.db.read() as session:
            return await session.get(TableRow, table.id) is not None

    deadline = time.monotonic() + 20
    while await table_left():
        assert time.monotonic() < deadline, "the table outlived its base by 20 s"
        await asyncio.sleep(0.05)


async def test_schema_changes_emit_table_and_field_events(schema: Schema) -> None:
    owner = await schema.owner()
    table = await schema.table(owner, "Tracked", spec("Name"))
    await schema.rpc(
        owner.person, "UpdateTable", base_id=owner.base_id, table_id=table.id, name="Renamed"
    )
    await schema.field(owner, table.id, spec("Size", "number"))
    host = schema.api.host
    assert host.runtime is not None
    async with host.runtime.db.read() as session:
        types = set(
            await session.scalars(
                select(OutboxRow.event_type).where(OutboxRow.tenant_id == owner.person.tenant_id)
            )
        )
    assert {
        events_pb2.TableChanged.DESCRIPTOR.full_name,
        events_pb2.FieldChanged.DESCRIPTOR.full_name,
    } <= types
