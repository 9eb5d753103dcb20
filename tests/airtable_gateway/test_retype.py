"""A retyped field's cells are converted as Airtable converts them: text parses into numbers,
dates and choices (the missing choices added to the field), values format into text, and what
cannot be converted is cleared. Converting twice changes nothing, and a big table converts a
page of records per transaction."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from google.protobuf import json_format
from pyat.airtable.v1 import airtable_gateway_pb2 as pb
from pyat.events.v1 import events_pb2
from pyat.schema.v1 import schema_pb2
from sqlalchemy import event, func, select
from sqlalchemy.engine import Connection

from services.airtable_gateway.native.conversions import converted, has_shape
from services.airtable_gateway.native.retype import PAGE, Retyping
from services.airtable_gateway.native.storage import counters, record_changes, records
from services.shared.ids import new_id
from tests.airtable_gateway.helpers import Base, Fabric, new_base, spec, struct, until

CHOICES = {"choices": [{"name": "a"}, {"name": "b"}, {"name": "c d"}]}
PARIS = {"timeZone": "Europe/Paris"}
# (value, its field's type, the new type, the new type's options, the value converted)
TABLE: list[tuple[Any, str, str, dict[str, Any], Any]] = [
    ("12.5", "singleLineText", "number", {}, 12.5),
    ("1,234", "singleLineText", "number", {}, 1234),
    ("$ 7", "singleLineText", "currency", {}, 7),
    ("50%", "singleLineText", "percent", {}, 0.5),
    ("twelve", "singleLineText", "number", {}, None),
    ("1:30", "singleLineText", "duration", {}, 5400),
    ("4", "singleLineText", "rating", {"max": 5}, 4),
    ("9", "singleLineText", "rating", {"max": 5}, None),
    (12, "number", "singleLineText", {}, "12"),
    (2.5, "number", "multilineText", {}, "2.5"),
    (0.25, "percent", "singleLineText", {}, "25%"),
    (5400, "duration", "singleLineText", {}, "1:30"),
    (3, "number", "rating", {"max": 5}, 3),
    (2.5, "currency", "number", {}, 2.5),
    ("checked", "singleLineText", "checkbox", {}, True),
    ("Yes", "singleLineText", "checkbox", {}, True),
    ("nope", "singleLineText", "checkbox", {}, None),
    (True, "checkbox", "singleLineText", {}, "checked"),
    (True, "checkbox", "number", {}, 1),
    (3, "number", "checkbox", {}, True),
    ("a", "singleLineText", "singleSelect", CHOICES, "a"),
    (" c d ", "singleLineText", "singleSelect", CHOICES, "c d"),
    ("zzz", "singleLineText", "singleSelect", CHOICES, None),
    ("a, b, zzz", "singleLineText", "multipleSelects", CHOICES, ["a", "b"]),
    ("c d", "singleSelect", "multipleSelects", CHOICES, ["c d"]),
    (["b", "a"], "multipleSelects", "singleSelect", CHOICES, "b"),
    ("a", "singleSelect", "singleLineText", {}, "a"),
    (["a", "c d"], "multipleSelects", "singleLineText", {}, "a, c d"),
    ("2024-02-03", "date", "singleLineText", {}, "2024-02-03"),
    ("2024-02-03T04:05:06.000Z", "dateTime", "singleLineText", {}, "2024-02-03T04:05:06.000Z"),
    ("2024-02-03", "singleLineText", "date", {}, "2024-02-03"),
    ("Feb 3, 2024", "singleLineText", "date", {}, "2024-02-03"),
    ("not a date", "singleLineText", "date", {}, None),
    ("2024-02-03", "date", "dateTime", PARIS, "2024-02-02T23:00:00.000Z"),
    ("2024-02-03T04:05:06.000Z", "dateTime", "date", {}, "2024-02-03"),
    ("2024-02-03 10:00", "singleLineText", "dateTime", PARIS, "2024-02-03T09:00:00.000Z"),
    (["recAAAAAAAAAAAAAA"], "multipleRecordLinks", "singleLineText", {}, None),
    (["recAAAAAAAAAAAAAA"], "multipleRecordLinks", "multipleSelects", CHOICES, None),
    ("https://x.test/a.png", "url", "multipleAttachments", {}, None),
    ({"id": "usrA", "email": "a@x.test", "name": "Ann"}, "singleCollaborator",
     "singleLineText", {}, "Ann"),
    ({"id": "usrA", "name": "Ann"}, "singleCollaborator", "multipleCollaborators", {},
     [{"id": "usrA", "name": "Ann"}]),
    ([{"id": "usrA"}, {"id": "usrB"}], "multipleCollaborators", "singleCollaborator", {},
     {"id": "usrA"}),
    ("a, b", "singleLineText", "singleCollaborator", {}, None),
    ([{"id": "attA", "url": "https://x.test/a.png", "filename": "a.png"}],
     "multipleAttachments", "singleLineText", {}, "a.png"),
    ("ABC-1", "singleLineText", "barcode", {}, {"text": "ABC-1"}),
    ({"text": "ABC-1"}, "barcode", "singleLineText", {}, "ABC-1"),
    ("anything", "singleLineText", "formula", {}, None),
    (12, "number", "rollup", {}, None),
]  # fmt: skip


@pytest.mark.parametrize(("value", "source", "target", "options", "expected"), TABLE)
def test_conversion_table(
    value: Any, source: str, target: str, options: dict[str, Any], expected: Any
) -> None:
    assert converted(value, source, target, options) == expected


@pytest.mark.parametrize(("value", "source", "target", "options", "expected"), TABLE)
def test_converting_twice_changes_nothing(
    value: Any, source: str, target: str, options: dict[str, Any], expected: Any
) -> None:
    once = converted(value, source, target, options)
    assert converted(once, target, target, options) == once
    if once is not None:
        assert has_shape(target, once)


def test_values_of_another_shape_are_not_read_as_the_type() -> None:
    assert not has_shape("number", "12") and not has_shape("date", "Feb 3")
    assert not has_shape("checkbox", "checked") and not has_shape("multipleSelects", "a")
    assert has_shape("formula", "anything")


async def retype(base: Base, table_id: str, field_id: str, kind: str, **options: Any) -> None:
    request = schema_pb2.UpdateFieldRequest(
        base_id=base.base_id, table_id=table_id, field_id=field_id, type=kind
    )
    if options:
        request.options.CopyFrom(struct(options))
    await base.schema.UpdateField(request, metadata=base.owner.md)


async def test_retyped_fields_convert_their_cells(any_fabric: Fabric) -> None:
    base = await new_base(any_fabric.host, any_fabric.channel)
    people = await base.table("People", spec("Name", "singleLineText"))
    table = await base.table(
        "Things",
        spec("Name", "singleLineText"),
        spec("Amount", "singleLineText"),
        spec("Tags", "singleLineText"),
        spec("Status", "multipleSelects", choices=[{"name": "new"}, {"name": "old"}]),
        spec("Done", "checkbox"),
        spec("Price", "number", precision=1),
        spec("When", "date"),
        spec("Made", "autoNumber"),
        spec("Maker", "createdBy"),
        spec("Added", "createdTime"),
    )
    link = await base.field(table.id, "Who", "multipleRecordLinks", {"linkedTableId": people.id})
    (ann,) = await base.create(people.id, {"Name": "Ann"})
    first, second = await base.create(
        table.id,
        {"Name": "one", "Amount": "1,250", "Tags": "red, blue", "Status": ["new", "old"],
         "Done": True, "Price": 2.5, "When": "2024-02-03", "Who": [ann.id]},
        {"Name": "two", "Amount": "lots", "Tags": "blue"},
    )  # fmt: skip
    fields = {f.name: f.id for f in [*table.fields, link]}
    shown = {}
    for record in (first, second):
        got = await base.get(table.id, record.id)
        shown[record.id] = {"Maker": got["Maker"], "Added": got["Added"]}

    for name, kind in [("Amount", "number"), ("Tags", "multipleSelects"),
                       ("Status", "singleLineText"), ("Done", "singleLineText"),
                       ("Price", "singleLineText"), ("When", "singleLineText"),
                       ("Made", "number"), ("Who", "singleLineText"),
                       ("Maker", "singleCollaborator"), ("Added", "singleLineText")]:  # fmt: skip
        await retype(base, table.id, fields[name], kind)

    expected = {
        first.id: {"Name": "one", "Amount": 1250, "Tags": ["red", "blue"], "Status": "new, old",
                   "Done": "checked", "Price": "2.5", "When": "2024-02-03", "Made": 1},
        second.id: {"Name": "two", "Tags": ["blue"], "Made": 2},
    }  # fmt: skip

    # Record metadata stays as it showed before.
    for record_id, metadata in shown.items():
        expected[record_id] |= metadata

    async def converted_cells() -> bool:
        return {rid: await base.get(table.id, rid) for rid in expected} == expected

    await until(converted_cells, "the records show their cells converted")
    # The choices the text held were added to the field, as typecast adds them.
    tags = next(f for f in (await base.get_table(table.id)).fields if f.name == "Tags")
    choices = json_format.MessageToDict(tags.options)["choices"]
    assert [c["name"] for c in choices] == ["red", "blue"]
    # Filters see the converted values.
    found = await base.list(table.id, filter_by_formula="{Amount} > 1000")
    assert [r.id for r in found.records] == [first.id]

    # A computed type keeps no stored cells.
    await retype(base, table.id, fields["Tags"], "formula", formula="{Name}")

    async def cells_dropped() -> bool:
        stored = await stored_cells(any_fabric, table.id)
        return not any(fields["Tags"] in cells for cells in stored.values())

    await until(cells_dropped, "the formula field's stored cells are gone")
    assert (await base.get(table.id, second.id))["Tags"] == "two"


async def test_a_big_table_converts_page_by_page_and_once(any_fabric: Fabric) -> None:
    base = await new_base(any_fabric.host, any_fabric.channel)
    table = await base.table("Big", spec("Name", "singleLineText"), spec("Size", "singleLineText"))
    size = table.fields[1].id
    count = PAGE * 2 + 100
    await load(any_fabric, base, table, count)
    runtime = any_fabric.host.runtime
    assert runtime is not None
    updates = []

    def capture(conn: Connection, cursor: Any, sql: str, *_: Any) -> None:
        if sql.lstrip().upper().startswith("UPDATE AIRTABLE_RECORDS"):
            updates.append(sql)

    engine = runtime.db.engine.sync_engine
    event.listen(engine, "before_cursor_execute", capture)
    try:
        await retype(base, table.id, size, "number")

        async def all_logged() -> bool:
            return await logged_changes(any_fabric, table.id) == count

        await until(all_logged, "every record is converted and logged", timeout_s=60)
    finally:
        event.remove(engine, "before_cursor_execute", capture)
    # One UPDATE per page, each in its own transaction.
    assert len(updates) == 3
    stored = await stored_cells(any_fabric, table.id)
    assert sorted(cells[size] for cells in stored.values()) == list(range(1, count + 1))

    # The event again (as a redelivery brings it): nothing left to convert.
    again = events_pb2.FieldChanged(
        tenant_id=base.owner.tenant_id, base_id=base.base_id, table_id=table.id, field_id=size,
        change="updated", actor_id=base.owner.user_id, previous_type="singleLineText",
        type="number",
    )  # fmt: skip
    assert await Retyping(runtime).convert(again) == 0
    assert await logged_changes(any_fabric, table.id) == count


async def load(fabric: Fabric, base: Base, table: schema_pb2.Table, count: int) -> None:
    """`count` records written straight into the gateway's storage: the API would be slow."""
    runtime = fabric.host.runtime
    assert runtime is not None
    name, size = (field.id for field in table.fields)
    now = dt.datetime.now(dt.UTC)
    who = base.owner.user_id
    rows = [
        {"id": new_id("rec"), "tenant_id": base.owner.tenant_id, "base_id": base.base_id,
         "table_id": table.id, "cells": {name: f"Item {n}", size: f"{n:,}"},
         "auto_number": n, "created_time": now, "last_modified_time": now,
         "created_by": who, "last_modified_by": who}
        for n in range(1, count + 1)
    ]  # fmt: skip
    async with runtime.db.transaction() as session:
        await session.execute(records.insert(), rows)
        await session.execute(
            counters.insert().values(
                table_id=table.id, tenant_id=base.owner.tenant_id, last_number=count
            )
        )


async def stored_cells(fabric: Fabric, table_id: str) -> dict[str, dict[str, Any]]:
    """The table's records' cells as stored, by record id."""
    runtime = fabric.host.runtime
    assert runtime is not None
    query = select(records.c.id, records.c.cells).where(records.c.table_id == table_id)
    async with runtime.db.read() as session:
        return {rid: cells for rid, cells in (await session.execute(query)).all()}


async def logged_changes(fabric: Fabric, table_id: str) -> int:
    runtime = fabric.host.runtime
    assert runtime is not None
    async with runtime.db.read() as session:
        found = await session.scalar(
            select(func.count()).where(record_changes.c.table_id == table_id)
        )
    return int(found or 0)


async def test_cells_not_converted_yet_read_as_empty(any_fabric: Fabric) -> None:
    """Between a retype and the conversion of its cells, reads still answer: a cell of the
    old type shows as empty, in every format, sorted and filtered."""
    base = await new_base(any_fabric.host, any_fabric.channel)
    people = await base.table("Folk", spec("Name", "singleLineText"))
    table = await base.table(
        "Stale",
        spec("Name", "singleLineText"),
        spec("When", "date"),
        spec("Size", "number"),
        spec("Done", "checkbox"),
    )
    link = await base.field(table.id, "Who", "multipleRecordLinks", {"linkedTableId": people.id})
    (fresh,) = await base.create(
        table.id, {"Name": "fresh", "When": "2024-02-03", "Size": 3, "Done": True}
    )
    (stale,) = await base.create(table.id, {"Name": "stale"})
    when, size, done = (f.id for f in table.fields[1:])
    # As a retype leaves them until they are converted: values of other types.
    await write_cells(any_fabric, stale.id, {when: "soon", size: "big", done: "yes", link.id: 7})

    answer = await base.get(table.id, stale.id)
    assert answer == {"Name": "stale"}
    shown = await base.get(
        table.id, stale.id, cell_format=pb.CELL_FORMAT_STRING, time_zone="UTC",
        user_locale="en-us",
    )  # fmt: skip
    assert shown == {"Name": "stale"}
    listed = await base.list(table.id, sorts=[pb.Sort(field="When"), pb.Sort(field="Size")])
    assert {r.id for r in listed.records} == {fresh.id, stale.id}
    found = await base.list(table.id, filter_by_formula="AND({Size} > 1, {Done})")
    assert [r.id for r in found.records] == [fresh.id]


async def write_cells(fabric: Fabric, record_id: str, cells: dict[str, Any]) -> None:
    runtime = fabric.host.runtime
    assert runtime is not None
    async with runtime.db.transaction() as session:
        stored = await session.scalar(select(records.c.cells).where(records.c.id == record_id))
        await session.execute(
            records.update().where(records.c.id == record_id).values(cells={**stored, **cells})
        )
