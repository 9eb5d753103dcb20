"""ListRecords: filters and sorts run in the database, pages with signed offsets, max_records,
fields, views, and the string cell format."""

from __future__ import annotations

import asyncio
import base64
import gc
import sqlite3
import time
from contextlib import closing
from dataclasses import dataclass

import grpc
import pytest
from pyat.airtable.v1 import airtable_gateway_pb2 as pb
from pyat.schema.v1 import schema_pb2

from services.airtable_gateway.native import listing
from services.shared.server import Host
from tests.airtable_gateway.helpers import (
    Base,
    Fabric,
    cells,
    fails,
    new_base,
    records_scanned,
    spec,
)
from tests.contract.test_auth import field_violations

INVALID = grpc.StatusCode.INVALID_ARGUMENT
COUNT = 25


@dataclass
class Tasks:
    base: Base
    table: schema_pb2.Table
    ids: list[str]


@pytest.fixture(scope="module")
async def tasks(any_fabric: Fabric) -> Tasks:
    base = await new_base(any_fabric.host, any_fabric.channel)
    table = await base.table(
        "Tasks",
        spec("Name", "singleLineText"),
        spec("Priority", "number", precision=0),
        spec("Status", "singleSelect", choices=[{"name": "Todo"}, {"name": "Done"}]),
        spec("Due", "date", dateFormat={"name": "iso"}),
    )
    ids: list[str] = []
    for start in range(0, COUNT, 10):
        rows = [
            {"Name": f"Task {n:02d}", "Priority": n % 7, "Status": "Done" if n % 2 else "Todo",
             "Due": f"2024-01-{n + 1:02d}"}
            for n in range(start, min(start + 10, COUNT))
        ]  # fmt: skip
        ids += [record.id for record in await base.create("Tasks", *rows)]
    return Tasks(base, table, ids)


def names(answer: pb.ListRecordsResponse) -> list[str]:
    return [cells(record)["Name"] for record in answer.records]


async def test_lists_every_record_in_creation_order(tasks: Tasks) -> None:
    answer = await tasks.base.list("Tasks")
    assert [record.id for record in answer.records] == tasks.ids
    assert not answer.offset


async def test_filter_and_sort_run_in_sql(tasks: Tasks) -> None:
    scanned = records_scanned()
    answer = await tasks.base.list(
        "Tasks",
        filter_by_formula="AND({Priority} >= 5, {Status} = 'Done')",
        sorts=[pb.Sort(field="Priority", direction="desc"), pb.Sort(field="Name")],
    )
    expected = sorted(
        (n for n in range(COUNT) if n % 7 >= 5 and n % 2), key=lambda n: (-(n % 7), n)
    )
    assert names(answer) == [f"Task {n:02d}" for n in expected]
    assert records_scanned() == scanned


async def test_pages_follow_offsets_to_the_end(tasks: Tasks) -> None:
    seen: list[str] = []
    offset = ""
    sorts = [pb.Sort(field="Priority"), pb.Sort(field="Name", direction="desc")]
    for _ in range(3):
        answer = await tasks.base.list("Tasks", page_size=10, offset=offset, sorts=sorts)
        seen += names(answer)
        offset = answer.offset
    assert not offset
    expected = sorted(range(COUNT), key=lambda n: (n % 7, -n))
    assert seen == [f"Task {n:02d}" for n in expected]


async def test_max_records_caps_all_pages(tasks: Tasks) -> None:
    first = await tasks.base.list("Tasks", page_size=10, max_records=15)
    second = await tasks.base.list("Tasks", page_size=10, max_records=15, offset=first.offset)
    assert len(first.records) == 10 and len(second.records) == 5
    assert not second.offset


async def test_fields_limit_the_answer(tasks: Tasks) -> None:
    answer = await tasks.base.list("Tasks", fields=["Name", tasks.table.fields[1].id], page_size=1)
    assert cells(answer.records[0]) == {"Name": "Task 00", "Priority": 0}  # zero is not empty
    by_id = await tasks.base.list(
        "Tasks", fields=["Status"], page_size=1,
        output=pb.Output(return_fields_by_field_id=True),
    )  # fmt: skip
    assert cells(by_id.records[0]) == {tasks.table.fields[2].id: "Todo"}


async def test_a_view_brings_its_filter_and_sort(tasks: Tasks) -> None:
    fields = {field.name: field.id for field in tasks.table.fields}
    view = await tasks.base.schema.CreateView(
        schema_pb2.CreateViewRequest(
            base_id=tasks.base.base_id,
            table_id=tasks.table.id,
            name="Urgent",
            filter_by_formula="{Priority} = 6",
            sorts=[schema_pb2.Sort(field_id=fields["Name"], direction="desc")],
        ),
        metadata=tasks.base.owner.md,
    )
    answer = await tasks.base.list("Tasks", view="Urgent")
    assert names(answer) == ["Task 20", "Task 13", "Task 06"]
    by_id = await tasks.base.list("Tasks", view=view.view.id, sorts=[pb.Sort(field="Name")])
    assert names(by_id) == ["Task 06", "Task 13", "Task 20"]


async def test_foreign_or_tampered_offsets_are_refused(tasks: Tasks) -> None:
    first = await tasks.base.list("Tasks", page_size=5)
    token = base64.urlsafe_b64decode(first.offset + "=" * (-len(first.offset) % 4)).decode()
    query, position, signature = token.split(".")
    forged = base64.urlsafe_b64encode(f"{query}.0.{signature}".encode()).decode().rstrip("=")
    for offset in ("garbage", forged, first.offset[:-2]):
        err = await fails(tasks.base.list("Tasks", page_size=5, offset=offset), INVALID)
        assert "offset" in field_violations(err)
    # An offset belongs to its query: another filter cannot use it.
    other = tasks.base.list("Tasks", page_size=5, offset=first.offset, filter_by_formula="1")
    await fails(other, INVALID)
    assert position == "5"


async def test_bad_formulas_are_invalid_arguments(tasks: Tasks) -> None:
    err = await fails(tasks.base.list("Tasks", filter_by_formula="{Priority} >"), INVALID)
    assert "filter_by_formula" in field_violations(err)


async def test_string_format_renders_ui_strings(tasks: Tasks) -> None:
    output = pb.Output(
        cell_format=pb.CELL_FORMAT_STRING, time_zone="Europe/Paris", user_locale="en-us"
    )
    answer = await tasks.base.list("Tasks", page_size=2, output=output)
    assert cells(answer.records[1]) == {
        "Name": "Task 01", "Priority": "1", "Status": "Done", "Due": "2024-01-02",
    }  # fmt: skip


async def test_formulas_sql_cannot_express_are_evaluated_in_python(tasks: Tasks) -> None:
    scanned = records_scanned()
    # Division by a field may divide by zero, an error only Python evaluation shows.
    request = {"filter_by_formula": "{Priority} / {Priority} = 1", "page_size": 10,
               "sorts": [pb.Sort(field="Name", direction="desc")]}  # fmt: skip
    first = await tasks.base.list("Tasks", **request)
    second = await tasks.base.list("Tasks", offset=first.offset, **request)
    expected = [f"Task {n:02d}" for n in reversed(range(COUNT)) if n % 7]
    assert names(first) + names(second) == expected[:20]
    assert records_scanned() >= scanned + 2 * COUNT


async def test_a_new_field_can_be_used_at_once(tasks: Tasks) -> None:
    await tasks.base.list("Tasks", page_size=1)  # the table is cached now
    await tasks.base.field(tasks.table.id, "Owner", "singleLineText")
    unowned = await tasks.base.list("Tasks", filter_by_formula="{Owner} = ''")
    assert len(unowned.records) == COUNT
    record = (await tasks.base.create("Tasks", {"Name": "Fresh", "Owner": "Ann"}))[0]
    answer = await tasks.base.list(
        "Tasks",
        fields=["Owner"],
        filter_by_formula="{Owner} = 'Ann'",
        sorts=[pb.Sort(field="Owner")],
    )
    assert [(r.id, cells(r)) for r in answer.records] == [(record.id, {"Owner": "Ann"})]


def wal_has_readers(database: str) -> bool:
    """Whether some connection still reads an old snapshot of the SQLite database: a
    TRUNCATE checkpoint cannot finish past one (and this probe does not wait for it)."""
    with closing(sqlite3.connect(database, timeout=0)) as probe:
        busy, _, _ = probe.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()
    return bool(busy)


async def test_a_scan_cut_short_leaves_no_reader_behind(
    fabric: Host, channel: grpc.aio.Channel, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A scan over budget stops part-way. Its statement must end with it: on SQLite, a pooled
    # connection still holding that read snapshot fails its next write at once ("database is
    # locked") after any other commit. No garbage collection may tidy up for the code.
    base = await new_base(fabric, channel)
    await base.table("Tasks", spec("Name", "singleLineText"))
    await base.create("Tasks", *({"Name": f"Task {n}"} for n in range(10)))
    monkeypatch.setattr(listing, "_BATCH", 2)
    monkeypatch.setattr(listing, "SCAN_BUDGET_S", 0.0)
    gc.disable()
    try:
        await fails(base.list("Tasks", filter_by_formula="{Name} / 1 = 0"), INVALID)
        await base.create("Tasks", {"Name": "written after"})
        database = fabric.settings.db_url.split("///", 1)[1]
        # Other work in the fabric reads now and then, briefly; a leaked reader stays.
        deadline = time.monotonic() + 10
        while wal_has_readers(database):
            assert time.monotonic() < deadline, "a reader of an old snapshot is still open"
            await asyncio.sleep(0.05)
    finally:
        gc.enable()
