"""Count fields in ListRecords' filters, sorts and formulas: counts are never stored, so SQL
reads them off the link field's array, and gives what evaluation in Python gives."""

from __future__ import annotations

import datetime as dt
from collections.abc import Awaitable
from dataclasses import dataclass

import grpc
import pytest
from pyat.airtable.v1 import airtable_gateway_pb2 as pb
from pyat.schema.v1 import schema_pb2

from services.airtable_gateway.native.sort_indexes import MIN_RECORDS
from services.airtable_gateway.native.storage import counters, records
from services.formula import engine
from services.formula.fields import FieldInfo
from services.formula.sql_dialects import Postgres, Sqlite
from services.shared.server import Host
from tests.airtable_gateway.helpers import (
    Base,
    Fabric,
    new_base,
    page_statements,
    records_scanned,
    spec,
    until,
)
from tests.airtable_gateway.test_sort_indexes import sort_indexes

# Each order's number of linked items.
LINES = {"A": 0, "B": 1, "C": 3, "D": 1}
# MOD() has no SQL translation, so a filter using it sends the whole list to Python.
IN_PYTHON = "MOD({Lines}, 1000) >= 0"


@dataclass
class Orders:
    base: Base
    table: schema_pb2.Table


@pytest.fixture(scope="module")
async def orders(any_fabric: Fabric) -> Orders:
    base = await new_base(any_fabric.host, any_fabric.channel)
    item_table = await base.table("Items", spec("Name", "singleLineText"))
    items = await base.create("Items", *({"Name": f"Item {n}"} for n in range(3)))
    table = await base.table("Orders", spec("Ref", "singleLineText"))
    link = await base.field(
        table.id, "Items", "multipleRecordLinks", {"linkedTableId": item_table.id}
    )
    await base.field(table.id, "Lines", "count", {"recordLinkFieldId": link.id})
    await base.field(table.id, "Twice", "formula", {"formula": "{Lines} * 2"})
    await base.create(
        "Orders",
        *({"Ref": ref, "Items": [item.id for item in items[:n]]} for ref, n in LINES.items()),
    )
    return Orders(base, await base.get_table(table.id))


def refs(answer: pb.ListRecordsResponse) -> list[str]:
    return [record.fields["Ref"] for record in answer.records]


@pytest.mark.parametrize(
    ("formula", "expected"),
    [
        ("{Lines} > 1", ["C"]),
        ("{Lines} = 0", ["A"]),
        ("{Lines} = 1", ["B", "D"]),
        ("{Twice} = 6", ["C"]),
        ("{Twice} >= 2", ["B", "C", "D"]),
        ("IF({Lines}, 'linked', 'alone') = 'alone'", ["A"]),
    ],
)
async def test_filters_on_a_count_run_in_sql(
    orders: Orders, formula: str, expected: list[str]
) -> None:
    scanned = records_scanned()
    answer = await orders.base.list("Orders", filter_by_formula=formula)
    assert refs(answer) == expected
    assert records_scanned() == scanned
    in_python = await orders.base.list("Orders", filter_by_formula=f"AND({formula}, {IN_PYTHON})")
    assert refs(in_python) == expected
    assert records_scanned() > scanned


@pytest.mark.parametrize(
    ("direction", "expected"), [("asc", ["A", "B", "D", "C"]), ("desc", ["C", "B", "D", "A"])]
)
async def test_sorts_by_a_count_agree_with_python(
    orders: Orders, direction: str, expected: list[str]
) -> None:
    for field in ("Lines", "Twice"):
        scanned = records_scanned()
        sorts = [pb.Sort(field=field, direction=direction)]
        in_sql = await orders.base.list("Orders", sorts=sorts)
        assert refs(in_sql) == expected
        assert records_scanned() == scanned
        in_python = await orders.base.list("Orders", sorts=sorts, filter_by_formula=IN_PYTHON)
        assert refs(in_python) == expected
        assert records_scanned() > scanned


async def test_a_view_filters_and_sorts_by_a_count(orders: Orders) -> None:
    fields = {field.name: field.id for field in orders.table.fields}
    await orders.base.schema.CreateView(
        schema_pb2.CreateViewRequest(
            base_id=orders.base.base_id,
            table_id=orders.table.id,
            name="Busy",
            filter_by_formula="{Lines} > 0",
            sorts=[schema_pb2.Sort(field_id=fields["Lines"], direction="desc")],
        ),
        metadata=orders.base.owner.md,
    )
    assert refs(await orders.base.list("Orders", view="Busy")) == ["C", "B", "D"]


async def test_a_count_follows_its_links(orders: Orders) -> None:
    base = orders.base
    extra = (await base.create("Orders", {"Ref": "E"}))[0]
    assert "E" in refs(await base.list("Orders", filter_by_formula="{Lines} = 0"))
    item = (await base.create("Items", {"Name": "More"}))[0]
    await base.update("Orders", (extra.id, {"Items": [item.id]}))
    assert "E" not in refs(await base.list("Orders", filter_by_formula="{Lines} = 0"))
    await base.update("Orders", (extra.id, {"Items": []}))
    assert "E" in refs(await base.list("Orders", filter_by_formula="{Lines} = 0"))
    await base.records.DeleteRecords(
        pb.DeleteRecordsRequest(base_id=base.base_id, table="Orders", record_ids=[extra.id]),
        metadata=base.owner.md,
    )


async def test_counts_over_one_link_share_a_sort_index_on_the_link(
    fabric: Host, channel: grpc.aio.Channel
) -> None:
    """A big table sorted by a count gets one index, on its link cell's length, which every
    count over that link uses (on SQLite, whose plan names it)."""
    assert fabric.runtime is not None
    db = fabric.runtime.db
    base = await new_base(fabric, channel)
    items = await base.table("Items", spec("Name", "singleLineText"))
    table = await base.table("Big", spec("Ref", "singleLineText"))
    link = await base.field(table.id, "Items", "multipleRecordLinks", {"linkedTableId": items.id})
    for name in ("Lines", "Also lines"):
        await base.field(table.id, name, "count", {"recordLinkFieldId": link.id})
    size = MIN_RECORDS + 10
    # Record ids are unique across the fabric's tables: these borrow the table's.
    prefix = f"rec{table.id[3:9]}"
    linked = [f"{prefix}L{n:07d}" for n in range(7)]
    now, who, ref = dt.datetime.now(dt.UTC), base.owner.user_id, table.fields[0].id
    rows = [
        {"id": f"{prefix}{n:08d}", "tenant_id": base.owner.tenant_id, "base_id": base.base_id,
         "table_id": table.id, "cells": {ref: f"R{n}", link.id: linked[: n % 7]},
         "auto_number": n, "created_time": now, "last_modified_time": now,
         "created_by": who, "last_modified_by": who}
        for n in range(1, size + 1)
    ]  # fmt: skip
    async with db.transaction() as session:
        await session.execute(records.insert(), rows)
        await session.execute(
            counters.insert().values(
                table_id=table.id, tenant_id=base.owner.tenant_id, last_number=size
            )
        )

    async def indexed() -> list[str]:
        return [d for d in await sort_indexes(db) if table.id in d]

    async def top(field: str) -> list[str]:
        sorts = [pb.Sort(field=field, direction="desc")]
        answer = await base.list(table.id, sorts=sorts, page_size=3, fields=["Ref"])
        return [record.fields["Ref"] for record in answer.records]

    assert await top("Lines") == ["R6", "R13", "R20"]
    await until(lambda: _one(indexed()), "the sort index on the link exists")
    (definition,) = await indexed()
    assert link.id in definition
    with page_statements(fabric) as sent:
        assert await top("Also lines") == ["R6", "R13", "R20"]
    # Other services (search's indexer) may read records meanwhile: only the sorted page counts.
    ((sql, params),) = [(sql, params) for sql, params in sent if "json_array_length" in sql]
    async with db.engine.connect() as conn:
        plan = await conn.exec_driver_sql(f"EXPLAIN QUERY PLAN {sql}", params)
        steps = " ".join(str(row[-1]) for row in plan)
    assert "TEMP B-TREE FOR ORDER BY" not in steps, steps
    assert len(await indexed()) == 1


async def _one(found: Awaitable[list[str]]) -> bool:
    return len(await found) == 1


@pytest.mark.parametrize("dialect", [Sqlite(), Postgres()])
def test_a_count_translates_only_when_its_link_is_known(dialect: Sqlite | Postgres) -> None:
    zone = engine.time_zone("UTC")
    known = (FieldInfo("fldLines", "Lines", "count", "fldLines", link="fldItems"),)
    translated = engine.translate("{Lines} > 1", known, dialect, zone)
    assert not isinstance(translated, str)
    assert "fldItems" in translated.condition and "fldLines" not in translated.condition
    unknown = (FieldInfo("fldLines", "Lines", "count", "fldLines"),)
    assert isinstance(engine.translate("{Lines} > 1", unknown, dialect, zone), str)
