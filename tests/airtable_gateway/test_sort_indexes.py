"""Sort indexes: the first sorted list of a big table builds an index on the sort key, later
pages walk it instead of ordering every record, and deleting the field or table drops it."""

from __future__ import annotations

import asyncio
import datetime as dt

import grpc
from pyat.airtable.v1 import airtable_gateway_pb2 as pb
from pyat.schema.v1 import schema_pb2
from sqlalchemy import text

from services.airtable_gateway.native.sort_indexes import MIN_RECORDS, PREFIX
from services.airtable_gateway.native.storage import counters, records
from services.shared.db import Database
from services.shared.server import Host
from tests.airtable_gateway.helpers import (
    Base,
    Fabric,
    cells,
    new_base,
    page_statements,
    spec,
    until,
)

ROWS = MIN_RECORDS + 200


async def load(db: Database, base: Base, table: schema_pb2.Table) -> None:
    """ROWS records written straight into the gateway's storage: the API would take a while."""
    name, amount = (field.id for field in table.fields)
    now = dt.datetime.now(dt.UTC)
    who = base.owner.user_id
    rows = [
        {"id": f"rec{n:014d}", "tenant_id": base.owner.tenant_id, "base_id": base.base_id,
         "table_id": table.id, "cells": {name: f"Item {n}", amount: (n * 7919) % ROWS},
         "auto_number": n, "created_time": now, "last_modified_time": now,
         "created_by": who, "last_modified_by": who}
        for n in range(1, ROWS + 1)
    ]  # fmt: skip
    async with db.transaction() as session:
        await session.execute(records.insert(), rows)
        await session.execute(
            counters.insert().values(
                table_id=table.id, tenant_id=base.owner.tenant_id, last_number=ROWS
            )
        )


async def sort_indexes(db: Database) -> list[str]:
    """The definitions of the sort indexes in the database."""
    if db.is_sqlite:
        listed = "SELECT sql FROM sqlite_master WHERE type = 'index' AND name LIKE :p"
    else:
        listed = "SELECT indexdef FROM pg_indexes WHERE indexname LIKE :p"
    async with db.engine.connect() as conn:
        return [row[0] for row in await conn.execute(text(listed), {"p": PREFIX + "%"})]


async def test_a_big_table_gets_a_sort_index_that_its_pages_use(
    fabric: Host, channel: grpc.aio.Channel
) -> None:
    """On SQLite, whose plan it reads; test_explain shows the same on PostgreSQL."""
    assert fabric.runtime is not None
    db = fabric.runtime.db
    base = await new_base(fabric, channel)
    table = await base.table("Big", spec("Name", "singleLineText"), spec("Amount", "number"))
    await load(db, base, table)
    amount = table.fields[1].id

    async def page() -> pb.ListRecordsResponse:
        return await base.list(
            table.id, sorts=[pb.Sort(field="Amount", direction="desc")], page_size=5
        )

    first = await page()
    await until(lambda: _has(db, table.id, amount), "the sort index on Amount exists")
    with page_statements(fabric) as sent:
        second = await page()
    expected = [ROWS - 1, ROWS - 2, ROWS - 3, ROWS - 4, ROWS - 5]
    for answer in (first, second):
        assert [cells(r)["Amount"] for r in answer.records] == expected

    # The page query, as the gateway sent it, is planned on the index.
    ((sql, params),) = sent
    async with db.engine.connect() as conn:
        plan = await conn.exec_driver_sql(f"EXPLAIN QUERY PLAN {sql}", params)
        steps = " ".join(str(row[-1]) for row in plan)
    assert PREFIX in steps and "TEMP B-TREE FOR ORDER BY" not in steps, steps

    # Deleting the field drops its index; deleting the table drops its records too.
    await base.schema.DeleteField(
        schema_pb2.DeleteFieldRequest(base_id=base.base_id, table_id=table.id, field_id=amount),
        metadata=base.owner.md,
    )
    await until(lambda: _gone(db, table.id, amount), "the sort index is dropped")
    await base.table("Other", spec("Name", "singleLineText"))
    await base.schema.DeleteTable(
        schema_pb2.DeleteTableRequest(base_id=base.base_id, table_id=table.id),
        metadata=base.owner.md,
    )
    await until(lambda: _no_records(db, table.id), "the table's records are deleted")


async def test_a_small_table_gets_no_sort_index(any_fabric: Fabric) -> None:
    fabric = any_fabric.host
    assert fabric.runtime is not None
    base = await new_base(fabric, any_fabric.channel)
    table = await base.table("Small", spec("Name", "singleLineText"), spec("Amount", "number"))
    await base.create(table.id, {"Name": "a", "Amount": 2}, {"Name": "b", "Amount": 1})
    answer = await base.list(table.id, sorts=[pb.Sort(field="Amount")])
    assert [cells(r)["Name"] for r in answer.records] == ["b", "a"]
    await asyncio.sleep(0.2)
    assert not await _has(fabric.runtime.db, table.id, table.fields[1].id)


async def _has(db: Database, table_id: str, field_id: str) -> bool:
    return any(table_id in d and field_id in d for d in await sort_indexes(db))


async def _gone(db: Database, table_id: str, field_id: str) -> bool:
    return not await _has(db, table_id, field_id)


async def _no_records(db: Database, table_id: str) -> bool:
    async with db.engine.connect() as conn:
        left = await conn.scalar(
            text("SELECT count(*) FROM airtable_records WHERE table_id = :t"), {"t": table_id}
        )
    return left == 0
