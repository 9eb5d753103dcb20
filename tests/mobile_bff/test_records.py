"""ListRecords over real gRPC as real users: compact records by field id without empty cells,
pages walked to the end with opaque sealed cursors, one sync cursor for a whole listing, and
tokens or bases that are not the caller's refused."""

from __future__ import annotations

import base64
from dataclasses import dataclass
from typing import Any

import grpc
import pytest
from google.protobuf import json_format
from pyat.airtable.v1 import airtable_gateway_pb2 as gw
from pyat.mobilebff.v1 import mobile_bff_pb2 as pb
from pyat.mobilebff.v1 import mobile_bff_pb2_grpc
from pyat.schema.v1 import schema_pb2

from services.mobile_bff.records import compact, fold
from services.shared.structs import plain
from tests.airtable_gateway.helpers import Base, Fabric, fails, new_base, spec, struct
from tests.contract.test_auth import field_violations

INVALID = grpc.StatusCode.INVALID_ARGUMENT
COUNT = 250
HIDDEN = {grpc.StatusCode.NOT_FOUND, grpc.StatusCode.PERMISSION_DENIED}


@dataclass
class Table:
    base: Base
    table: schema_pb2.Table
    ids: list[str]

    def field_id(self, name: str) -> str:
        return next(field.id for field in self.table.fields if field.name == name)


@pytest.fixture(scope="module")
async def tasks(sqlite_fabric: Fabric) -> Table:
    """A table of 250 records: every third one done, notes on every fifth."""
    base = await new_base(sqlite_fabric.host, sqlite_fabric.channel)
    table = await base.table(
        "Tasks",
        spec("Name", "singleLineText"),
        spec("Priority", "number", precision=0),
        spec("Done", "checkbox", icon="check", color="greenBright"),
        spec("Notes", "multilineText"),
    )
    ids: list[str] = []
    for start in range(0, COUNT, 10):
        rows = [
            {"Name": f"Task {n:03d}", "Priority": n % 4, "Done": n % 3 == 0,
             "Notes": "see me" if n % 5 == 0 else ""}
            for n in range(start, start + 10)
        ]  # fmt: skip
        ids += [record.id for record in await base.create("Tasks", *rows)]
    return Table(base, table, ids)


def cells_of(record: pb.CompactRecord) -> dict[str, Any]:
    values: dict[str, Any] = plain(json_format.MessageToDict(record.cells))
    return values


async def list_page(
    mobile: mobile_bff_pb2_grpc.MobileBffServiceStub, table: Table, **request: Any
) -> pb.ListRecordsResponse:
    fields = {"base_id": table.base.base_id, "table_id": table.table.id, **request}
    answer: pb.ListRecordsResponse = await mobile.ListRecords(
        pb.ListRecordsRequest(**fields), metadata=table.base.owner.md
    )
    return answer


async def test_pages_walk_the_whole_table_with_one_sync_cursor(
    tasks: Table, mobile: mobile_bff_pb2_grpc.MobileBffServiceStub
) -> None:
    seen: list[str] = []
    cursors: set[str] = set()
    page = ""
    sizes: list[int] = []
    for _ in range(COUNT // 100 + 2):  # bounded: a loop that never ends fails instead
        answer = await list_page(mobile, tasks, page=page)
        seen += [record.id for record in answer.records]
        sizes.append(len(answer.records))
        cursors.add(answer.sync_cursor)
        page = answer.next_page
        if not page:
            break
    assert not page
    assert sizes == [100, 100, 50]
    assert seen == tasks.ids
    assert len(cursors) == 1


async def test_every_page_carries_the_cursor_taken_before_the_first(
    tasks: Table, mobile: mobile_bff_pb2_grpc.MobileBffServiceStub
) -> None:
    """Needs airtable-gateway's ListRecordChanges: the cursor comes from its change feed."""
    first = await list_page(mobile, tasks, page_size=100)
    second = await list_page(mobile, tasks, page_size=100, page=first.next_page)
    assert first.sync_cursor
    assert second.sync_cursor == first.sync_cursor
    # A new listing takes the feed's position afresh (the same while nothing changed).
    again = await list_page(mobile, tasks, page_size=100)
    assert again.sync_cursor == first.sync_cursor


async def test_records_are_compact_by_field_id_without_empty_cells(
    tasks: Table, mobile: mobile_bff_pb2_grpc.MobileBffServiceStub
) -> None:
    answer = await list_page(mobile, tasks, page_size=6)
    assert len(answer.records) == 6
    name, priority, done, notes = (tasks.field_id(n) for n in ("Name", "Priority", "Done", "Notes"))
    expected = [
        {name: "Task 000", priority: 0, done: True, notes: "see me"},
        {name: "Task 001", priority: 1},
        {name: "Task 002", priority: 2},
        {name: "Task 003", priority: 3, done: True},
        {name: "Task 004", priority: 0},
        {name: "Task 005", priority: 1, notes: "see me"},
    ]
    assert [cells_of(record) for record in answer.records] == expected
    assert all(record.created_time.seconds > 0 for record in answer.records)


def test_compact_drops_whatever_empty_value_slips_through() -> None:
    record = gw.Record(
        id="recAAAAAAAAAAAAAA",
        fields=struct(
            {"fldA": "", "fldB": [], "fldC": False, "fldD": None, "fldE": {}, "fldF": 0,
             "fldG": "x", "fldH": ["a"], "fldI": True}
        ),
    )  # fmt: skip
    assert cells_of(compact(record)) == {"fldF": 0, "fldG": "x", "fldH": ["a"], "fldI": True}
    assert not compact(record).HasField("created_time")


def test_fold_keeps_the_latest_state_and_deletions_win() -> None:
    def change(kind: int, record_id: str, name: str | None = None) -> gw.RecordChange:
        made = gw.RecordChange(kind=kind, record_id=record_id)  # type: ignore[arg-type]
        if name is not None:
            made.record.CopyFrom(gw.Record(id=record_id, fields=struct({"fldN": name})))
        return made

    upserted, deleted = fold(
        [
            change(gw.CHANGE_KIND_CREATED, "recA", "a"),
            change(gw.CHANGE_KIND_CREATED, "recB"),  # record absent: deleted later
            change(gw.CHANGE_KIND_UPDATED, "recC", "c"),
            change(gw.CHANGE_KIND_UPDATED, "recA", "a2"),
            change(gw.CHANGE_KIND_DELETED, "recB"),
            change(gw.CHANGE_KIND_DELETED, "recD"),
        ]
    )
    assert [(r.id, r.fields["fldN"]) for r in upserted] == [("recC", "c"), ("recA", "a2")]
    assert deleted == ["recB", "recD"]


async def test_tampered_and_foreign_page_tokens_are_refused(
    tasks: Table, mobile: mobile_bff_pb2_grpc.MobileBffServiceStub, sqlite_fabric: Fabric
) -> None:
    token = (await list_page(mobile, tasks, page_size=10)).next_page
    assert token
    body, _, mac = token.partition(".")
    raw = base64.urlsafe_b64decode(body + "=" * (-len(body) % 4))
    edited = base64.urlsafe_b64encode(raw.replace(b'"p1","', b'"p1","x')).decode().rstrip("=")
    for bad in (
        f"{edited}.{mac}",
        token[:-2] + ("AA" if not token.endswith("AA") else "BB"),
        "garbage",
        ".",
        token + ".extra",
    ):
        err = await fails(list_page(mobile, tasks, page=bad), INVALID)
        assert set(field_violations(err)) == {"page"}, bad

    # Another table of the same base.
    other = await tasks.base.table("Other", spec("Name", "singleLineText"))
    await fails(
        mobile.ListRecords(
            pb.ListRecordsRequest(base_id=tasks.base.base_id, table_id=other.id, page=token),
            metadata=tasks.base.owner.md,
        ),
        INVALID,
    )
    # Another tenant, with my token, on my base or on theirs with the same ids.
    stranger = await new_base(sqlite_fabric.host, sqlite_fabric.channel)
    await fails(
        mobile.ListRecords(
            pb.ListRecordsRequest(base_id=tasks.base.base_id, table_id=tasks.table.id, page=token),
            metadata=stranger.owner.md,
        ),
        INVALID,
    )
    their_table = await stranger.table("Tasks", spec("Name", "singleLineText"))
    await fails(
        mobile.ListRecords(
            pb.ListRecordsRequest(base_id=stranger.base_id, table_id=their_table.id, page=token),
            metadata=stranger.owner.md,
        ),
        INVALID,
    )
    # The genuine token still works.
    assert len((await list_page(mobile, tasks, page_size=10, page=token)).records) == 10


async def test_another_tenants_table_is_not_found(
    tasks: Table, mobile: mobile_bff_pb2_grpc.MobileBffServiceStub, sqlite_fabric: Fabric
) -> None:
    stranger = await new_base(sqlite_fabric.host, sqlite_fabric.channel)
    request = pb.ListRecordsRequest(base_id=tasks.base.base_id, table_id=tasks.table.id)
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await mobile.ListRecords(request, metadata=stranger.owner.md)
    assert caught.value.code() in HIDDEN
    # A colleague in my tenant with no role on the base is kept out too.
    colleague = await tasks.base.api.colleague(tasks.base.owner)
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await mobile.ListRecords(request, metadata=colleague.md)
    assert caught.value.code() in HIDDEN


async def test_bad_requests_are_invalid_arguments(
    tasks: Table, mobile: mobile_bff_pb2_grpc.MobileBffServiceStub
) -> None:
    err = await fails(
        mobile.ListRecords(pb.ListRecordsRequest(), metadata=tasks.base.owner.md), INVALID
    )
    assert set(field_violations(err)) == {"base_id", "table_id"}
    for size in (-1, 101):
        err = await fails(list_page(mobile, tasks, page_size=size), INVALID)
        assert set(field_violations(err)) == {"page_size"}
    await fails(
        mobile.ListRecords(
            pb.ListRecordsRequest(base_id=tasks.base.base_id, table_id="tblNoSuchTable0000"),
            metadata=tasks.base.owner.md,
        ),
        grpc.StatusCode.NOT_FOUND,
    )
