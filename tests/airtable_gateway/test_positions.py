"""ListRecords at any position (`start`) with the listing's total (`count_total`): in SQL and
in Python, followed by offsets, refused when bad, for another tenant and on connected bases."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass

import grpc
import pytest
from pyat.airtable.v1 import airtable_gateway_pb2 as pb
from pyat.schema.v1 import schema_pb2

from tests.airtable_gateway.helpers import (
    Base,
    Fabric,
    cells,
    fails,
    new_base,
    records_scanned,
    spec,
)
from tests.airtable_gateway.test_changes import error_reason
from tests.contract.test_auth import field_violations
from tests.fixtures.fake_airtable import FakeAirtable, running_fake

INVALID = grpc.StatusCode.INVALID_ARGUMENT
COUNT = 30
BY_PRIORITY = [pb.Sort(field="Priority"), pb.Sort(field="Name", direction="desc")]
# In order of BY_PRIORITY.
ORDERED = [f"Task {n:02d}" for n in sorted(range(COUNT), key=lambda n: (n % 7, -n))]
# Division by a field may divide by zero, an error only Python evaluation shows.
PYTHON_FILTER = "{Priority} / {Priority} = 1"


@dataclass
class Tasks:
    base: Base
    table: schema_pb2.Table


@pytest.fixture(scope="module")
async def tasks(any_fabric: Fabric) -> Tasks:
    base = await new_base(any_fabric.host, any_fabric.channel)
    table = await base.table(
        "Tasks", spec("Name", "singleLineText"), spec("Priority", "number", precision=0)
    )
    for start in range(0, COUNT, 10):
        await base.create(
            "Tasks",
            *({"Name": f"Task {n:02d}", "Priority": n % 7} for n in range(start, start + 10)),
        )
    return Tasks(base, table)


def names(answer: pb.ListRecordsResponse) -> list[str]:
    return [cells(record)["Name"] for record in answer.records]


async def test_a_page_starts_anywhere_and_its_offset_goes_on(tasks: Tasks) -> None:
    first = await tasks.base.list("Tasks", start=12, page_size=5, sorts=BY_PRIORITY)
    assert names(first) == ORDERED[12:17]
    second = await tasks.base.list("Tasks", offset=first.offset, page_size=5, sorts=BY_PRIORITY)
    assert names(second) == ORDERED[17:22]
    last = await tasks.base.list("Tasks", start=COUNT - 3, page_size=5, sorts=BY_PRIORITY)
    assert names(last) == ORDERED[-3:] and not last.offset
    past = await tasks.base.list("Tasks", start=COUNT + 5, count_total=True)
    assert not past.records and not past.offset and past.total == COUNT


async def test_the_total_counts_all_pages_in_sql(tasks: Tasks) -> None:
    scanned = records_scanned()
    everything = await tasks.base.list("Tasks", page_size=5, count_total=True, sorts=BY_PRIORITY)
    assert len(everything.records) == 5 and everything.total == COUNT
    high = await tasks.base.list(
        "Tasks", start=2, page_size=3, count_total=True, filter_by_formula="{Priority} >= 5"
    )
    expected = [f"Task {n:02d}" for n in range(COUNT) if n % 7 >= 5]
    assert names(high) == expected[2:5] and high.total == len(expected)
    capped = await tasks.base.list("Tasks", page_size=5, max_records=8, count_total=True)
    assert capped.total == 8
    assert records_scanned() == scanned, "the filter or sort was evaluated in Python"
    # Without count_total nothing is counted.
    assert (await tasks.base.list("Tasks", page_size=1)).total == 0


async def test_the_total_counts_what_a_python_scan_kept(tasks: Tasks) -> None:
    scanned = records_scanned()
    request = {"filter_by_formula": PYTHON_FILTER, "count_total": True, "sorts": BY_PRIORITY}
    first = await tasks.base.list("Tasks", start=4, page_size=6, **request)
    # Priority 0 divides by zero: those records are out.
    kept = [name for name in ORDERED if int(name[-2:]) % 7]
    assert names(first) == kept[4:10] and first.total == len(kept)
    second = await tasks.base.list("Tasks", offset=first.offset, page_size=6, **request)
    assert names(second) == kept[10:16] and second.total == len(kept)
    assert records_scanned() >= scanned + 2 * COUNT


async def test_bad_starts_are_invalid_arguments(tasks: Tasks) -> None:
    err = await fails(tasks.base.list("Tasks", start=-1), INVALID)
    assert "start" in field_violations(err)
    first = await tasks.base.list("Tasks", page_size=5)
    err = await fails(tasks.base.list("Tasks", page_size=5, start=5, offset=first.offset), INVALID)
    assert "start" in field_violations(err)


async def test_another_tenant_can_neither_read_nor_count_the_table(
    tasks: Tasks, any_fabric: Fabric
) -> None:
    stranger = await new_base(any_fabric.host, any_fabric.channel)
    request = pb.ListRecordsRequest(
        base_id=tasks.base.base_id, table=tasks.table.id, start=1, count_total=True
    )
    await fails(
        stranger.records.ListRecords(request, metadata=stranger.owner.md),
        grpc.StatusCode.NOT_FOUND,
    )
    # Their own table of the same name counts their records only.
    await stranger.table("Tasks", spec("Name", "singleLineText"))
    await stranger.create("Tasks", {"Name": "Theirs"})
    theirs = await stranger.list("Tasks", count_total=True)
    assert names(theirs) == ["Theirs"] and theirs.total == 1


@pytest.fixture(scope="module")
async def fake() -> AsyncIterator[FakeAirtable]:
    async for started in running_fake():
        yield started


async def test_a_connected_base_refuses_start_and_count(
    any_fabric: Fabric, fake: FakeAirtable
) -> None:
    owner = await new_base(any_fabric.host, any_fabric.channel)
    token = f"pat{owner.owner.user_id}.s3cr3t-t0ken"
    airtable_base_id = fake.add_base(token, ("People", {"Name": "singleLineText"}))
    connected = await owner.records.ConnectBase(
        pb.ConnectBaseRequest(
            workspace_id=owner.workspace_id,
            airtable_base_id=airtable_base_id,
            token=token,
            name="CRM",
            endpoint_url=fake.url + "/",
        ),
        metadata=owner.owner.md,
    )
    base_id = connected.connection.base_id
    hits = len(fake.hits_of(airtable_base_id))
    for asked in ({"start": 10}, {"count_total": True}):
        err = await fails(
            owner.records.ListRecords(
                pb.ListRecordsRequest(base_id=base_id, table="People", **asked),
                metadata=owner.owner.md,
            ),
            grpc.StatusCode.FAILED_PRECONDITION,
        )
        assert error_reason(err) == "NOT_NATIVE" and "offset" in (err.details() or "")
    assert len(fake.hits_of(airtable_base_id)) == hits, "refused without asking Airtable"
