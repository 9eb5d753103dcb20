"""ListRecordChanges over real gRPC: the change log that every native write keeps in its own
transaction, read after a cursor in order and in pages, with each record as it is now; bad
cursors, other tenants, read-only members, connected bases and expired cursors."""

from __future__ import annotations

import asyncio
import datetime as dt
from collections.abc import AsyncIterator, Iterator
from contextlib import contextmanager
from typing import Any

import grpc
import pytest
from google.protobuf import json_format
from google.rpc import error_details_pb2
from grpc_status import rpc_status
from pyat.airtable.v1 import airtable_gateway_pb2 as pb
from pyat.permission.v1 import permission_pb2 as perm
from pyat.schema.v1 import schema_pb2
from sqlalchemy import event
from sqlalchemy.engine import Connection

from services.airtable_gateway.native import changes as change_log
from services.shared.db import utcnow
from services.shared.errors import InvalidArgument
from services.shared.server import Host
from tests.airtable_gateway.helpers import (
    Base,
    Fabric,
    cells,
    fails,
    new_base,
    spec,
    struct,
    until,
)
from tests.contract.test_auth import field_violations
from tests.contract.test_workspace import Person
from tests.fixtures.fake_airtable import FakeAirtable, running_fake

INVALID, NOT_FOUND = grpc.StatusCode.INVALID_ARGUMENT, grpc.StatusCode.NOT_FOUND
FAILED = grpc.StatusCode.FAILED_PRECONDITION
CREATED, UPDATED, DELETED = pb.CHANGE_KIND_CREATED, pb.CHANGE_KIND_UPDATED, pb.CHANGE_KIND_DELETED


@pytest.fixture(scope="module")
async def base(any_fabric: Fabric) -> Base:
    return await new_base(any_fabric.host, any_fabric.channel)


@pytest.fixture(scope="module")
async def people(base: Base) -> schema_pb2.Table:
    table = await base.table(
        "People", spec("Name", "singleLineText"), spec("Age", "number", precision=0)
    )
    await base.field(table.id, "Greeting", "formula", {"formula": "'Hi ' & {Name}"})
    return await base.get_table(table.id)


async def list_changes(
    base: Base, after: str, table: str = "", page_size: int = 0, who: Person | None = None
) -> pb.ListRecordChangesResponse:
    answer: pb.ListRecordChangesResponse = await base.records.ListRecordChanges(
        pb.ListRecordChangesRequest(
            base_id=base.base_id, table=table, after=after, page_size=page_size
        ),
        metadata=(who or base.owner).md,
    )
    return answer


async def now_cursor(base: Base) -> str:
    answer = await list_changes(base, "")
    assert not answer.changes and not answer.has_more and answer.cursor
    return answer.cursor


def kinds(answer: pb.ListRecordChangesResponse) -> list[tuple[int, str]]:
    return [(change.kind, change.record_id) for change in answer.changes]


def error_reason(err: grpc.aio.AioRpcError) -> str:
    status = rpc_status.from_call(err)
    assert status is not None
    for detail in status.details:
        if detail.Is(error_details_pb2.ErrorInfo.DESCRIPTOR):
            info = error_details_pb2.ErrorInfo()
            detail.Unpack(info)
            return info.reason
    return ""


async def delete(base: Base, table: str, *record_ids: str) -> None:
    await base.records.DeleteRecords(
        pb.DeleteRecordsRequest(base_id=base.base_id, table=table, record_ids=record_ids),
        metadata=base.owner.md,
    )


async def test_created_updated_deleted_each_appear_once_in_order(
    base: Base, people: schema_pb2.Table
) -> None:
    name_id, age_id = people.fields[0].id, people.fields[1].id
    start = await now_cursor(base)
    ada, bob = await base.create("People", {"Name": "Ada", "Age": 36}, {"Name": "Bob"})
    await base.update("People", (ada.id, {"Age": 37}))
    # An update that changes nothing is no change.
    await base.update("People", (bob.id, {"Name": "Bob"}))
    await delete(base, "People", bob.id)
    answer = await list_changes(base, start)
    assert kinds(answer) == [
        (CREATED, ada.id),
        (CREATED, bob.id),
        (UPDATED, ada.id),
        (DELETED, bob.id),
    ]
    created, _, updated, deleted = answer.changes
    assert list(created.changed_field_ids) == sorted([name_id, age_id])
    assert list(updated.changed_field_ids) == [age_id]
    assert not deleted.changed_field_ids
    assert {change.table_id for change in answer.changes} == {people.id}
    assert {change.actor_id for change in answer.changes} == {base.owner.user_id}
    assert all(change.changed_at.seconds > 0 for change in answer.changes)
    # Every change shows the record as it is now; the deleted one has none.
    assert cells(created.record) == cells(updated.record)
    assert cells(updated.record)[age_id] == 37
    assert not answer.changes[1].HasField("record") and not deleted.HasField("record")
    assert answer.cursor == deleted.cursor and not answer.has_more
    # Reading on from the end finds nothing, and keeps the cursor.
    again = await list_changes(base, answer.cursor)
    assert not again.changes and again.cursor == answer.cursor and not again.has_more


async def test_records_carry_fields_by_id_with_computed_ones(
    base: Base, people: schema_pb2.Table
) -> None:
    name_id, greeting_id = people.fields[0].id, people.fields[2].id
    start = await now_cursor(base)
    grace = (await base.create("People", {"Name": "Grace"}))[0]
    answer = await list_changes(base, start)
    assert cells(answer.changes[0].record) == {name_id: "Grace", greeting_id: "Hi Grace"}
    assert answer.changes[0].record.id == grace.id
    assert answer.changes[0].record.created_time == grace.created_time


async def test_pages_follow_each_other_with_has_more(base: Base, people: schema_pb2.Table) -> None:
    start = await now_cursor(base)
    made = await base.create("People", *({"Name": f"P{i}"} for i in range(5)))
    first = await list_changes(base, start, page_size=2)
    assert first.has_more and len(first.changes) == 2
    assert first.cursor == first.changes[-1].cursor
    second = await list_changes(base, first.cursor, page_size=2)
    third = await list_changes(base, second.cursor, page_size=2)
    assert second.has_more and not third.has_more
    seen = [change.record_id for page in (first, second, third) for change in page.changes]
    assert seen == [record.id for record in made]
    # A change's own cursor reads on from just after it.
    middle = await list_changes(base, first.changes[0].cursor, page_size=1000)
    assert [change.record_id for change in middle.changes] == seen[1:]


async def test_empty_after_gives_the_current_cursor_then_later_changes(
    base: Base, people: schema_pb2.Table
) -> None:
    await base.create("People", {"Name": "Before"})
    cursor = await now_cursor(base)
    assert cursor == await now_cursor(base)
    assert not (await list_changes(base, cursor)).changes
    later = (await base.create("People", {"Name": "After"}))[0]
    assert kinds(await list_changes(base, cursor)) == [(CREATED, later.id)]


async def test_newest_first_reads_back_from_now_and_gives_the_cursor_to_follow(
    base: Base, people: schema_pb2.Table
) -> None:
    def newest(page_size: int, after: str = "") -> Any:
        return base.records.ListRecordChanges(
            pb.ListRecordChangesRequest(
                base_id=base.base_id, after=after, page_size=page_size, newest_first=True
            ),
            metadata=base.owner.md,
        )

    first, second = await base.create("People", {"Name": "First"}, {"Name": "Second"})
    await base.update("People", (first.id, {"Age": 1}))
    latest = await newest(2)
    (newest_kind, newest_id), (older_kind, older_id) = kinds(latest)
    assert (newest_kind, newest_id) == (UPDATED, first.id) and latest.has_more
    # The two were created together, in either order.
    assert older_kind == CREATED and older_id in {first.id, second.id}
    assert latest.changes[0].record.fields[people.fields[0].id] == "First"
    # Its cursor is now: reading on from it gives only what comes later.
    assert latest.cursor == await now_cursor(base)
    third = (await base.create("People", {"Name": "Third"}))[0]
    assert kinds(await list_changes(base, latest.cursor)) == [(CREATED, third.id)]
    # Newest first reads back from now only.
    with pytest.raises(grpc.aio.AioRpcError) as refused:
        await newest(2, after=latest.cursor)
    assert refused.value.code() is grpc.StatusCode.INVALID_ARGUMENT


@contextmanager
def record_reads(host: Host) -> Iterator[list[str]]:
    """The SELECT statements on the records table, as they are sent."""
    assert host.runtime is not None
    engine = host.runtime.db.engine.sync_engine
    seen: list[str] = []

    def capture(conn: Connection, cursor: Any, sql: str, *_: Any) -> None:
        if sql.startswith("SELECT") and "FROM airtable_records" in sql:
            seen.append(sql)

    event.listen(engine, "before_cursor_execute", capture)
    try:
        yield seen
    finally:
        event.remove(engine, "before_cursor_execute", capture)


async def test_omit_records_lists_the_same_changes_without_reading_records(
    base: Base, people: schema_pb2.Table, any_fabric: Fabric
) -> None:
    start = await now_cursor(base)
    ada, bob = await base.create("People", {"Name": "Ada"}, {"Name": "Bob"})
    await base.update("People", (ada.id, {"Age": 40}))

    async def both(**request: Any) -> tuple[Any, Any]:
        fields = {"base_id": base.base_id, **request}
        full = await base.records.ListRecordChanges(
            pb.ListRecordChangesRequest(**fields), metadata=base.owner.md
        )
        # A call that read records would read them every time; semantic-search's indexer
        # reads them too, in the background, so one quiet call among a few is the proof.
        for _ in range(5):
            with record_reads(any_fabric.host) as reads:
                bare = await base.records.ListRecordChanges(
                    pb.ListRecordChangesRequest(**fields, omit_records=True), metadata=base.owner.md
                )
            if not reads:
                return full, bare
            await asyncio.sleep(0.5)
        raise AssertionError(f"ListRecordChanges(omit_records) read records: {reads}")

    for request in ({"after": start}, {"newest_first": True, "page_size": 3}):
        full, bare = await both(**request)
        assert all(change.HasField("record") for change in full.changes)
        assert not any(change.HasField("record") for change in bare.changes)
        for change in full.changes:
            change.ClearField("record")
        assert bare == full
    assert {change.record_id for change in bare.changes} == {ada.id, bob.id}


async def test_a_fresh_base_has_a_cursor_too(any_fabric: Fabric) -> None:
    fresh = await new_base(any_fabric.host, any_fabric.channel)
    cursor = await now_cursor(fresh)
    await fresh.table("Things", spec("Name", "singleLineText"))
    thing = (await fresh.create("Things", {"Name": "first"}))[0]
    assert kinds(await list_changes(fresh, cursor)) == [(CREATED, thing.id)]


async def test_one_table_by_name_or_id(base: Base, people: schema_pb2.Table) -> None:
    pets = await base.table("Pets", spec("Name", "singleLineText"))
    start = await now_cursor(base)
    person = (await base.create("People", {"Name": "Owner"}))[0]
    pet = (await base.create("Pets", {"Name": "Rex"}))[0]
    assert kinds(await list_changes(base, start, table="Pets")) == [(CREATED, pet.id)]
    assert kinds(await list_changes(base, start, table=people.id)) == [(CREATED, person.id)]
    assert len((await list_changes(base, start)).changes) == 2
    await fails(list_changes(base, start, table="Nope"), NOT_FOUND)
    # The cursor of a table's page reads on in the whole base too.
    page = await list_changes(base, start, table=people.id)
    assert kinds(await list_changes(base, page.cursor)) == [(CREATED, pet.id)]
    assert pets.id == (await list_changes(base, page.cursor)).changes[0].table_id


async def test_inverse_link_edits_are_updates_of_the_linked_records(base: Base) -> None:
    items = await base.table("Items", spec("Name", "singleLineText"))
    orders = await base.table("Orders", spec("Ref", "singleLineText"))
    link = await base.field(orders.id, "Items", "multipleRecordLinks", {"linkedTableId": items.id})
    inverse_id = link.options["inverseLinkFieldId"]
    pen = (await base.create("Items", {"Name": "Pen"}))[0]
    start = await now_cursor(base)
    order = (await base.create("Orders", {"Ref": "A1", "Items": [pen.id]}))[0]
    await delete(base, "Orders", order.id)
    answer = await list_changes(base, start)
    assert kinds(answer) == [
        (CREATED, order.id),
        (UPDATED, pen.id),
        (DELETED, order.id),
        (UPDATED, pen.id),
    ]
    linked, unlinked = answer.changes[1], answer.changes[3]
    assert linked.table_id == items.id and list(linked.changed_field_ids) == [inverse_id]
    assert list(unlinked.changed_field_ids) == [inverse_id]
    # The record as it is now: no longer linked.
    assert inverse_id not in cells(linked.record)


async def test_upsert_logs_its_updates_and_creates(base: Base, people: schema_pb2.Table) -> None:
    existing = (await base.create("People", {"Name": "Upsy", "Age": 1}))[0]
    start = await now_cursor(base)
    answer = await base.update(
        "People",
        ("", {"Name": "Upsy", "Age": 2}),
        ("", {"Name": "Daisy"}),
        fields_to_merge_on=["Name"],
    )
    assert kinds(await list_changes(base, start)) == [
        (UPDATED, existing.id),
        (CREATED, answer.created_record_ids[0]),
    ]


async def test_concurrent_writes_are_all_listed_once(base: Base, people: schema_pb2.Table) -> None:
    start = await now_cursor(base)
    made = await asyncio.gather(*(base.create("People", {"Name": f"c{i}"}) for i in range(6)))
    answer = await list_changes(base, start)
    assert sorted(change.record_id for change in answer.changes) == sorted(
        records[0].id for records in made
    )


async def test_renamed_choices_are_updates_of_the_records_that_hold_them(base: Base) -> None:
    table = await base.table(
        "Tasks", spec("Status", "singleSelect", choices=[{"name": "Todo"}, {"name": "Done"}])
    )
    status = table.fields[0]
    todo, done = await base.create("Tasks", {"Status": "Todo"}, {"Status": "Done"})
    start = await now_cursor(base)
    choices = json_format.MessageToDict(status.options)["choices"]
    renamed = [
        {"id": choice["id"], "name": "Later" if choice["name"] == "Todo" else choice["name"]}
        for choice in choices
    ]
    await base.schema.UpdateField(
        schema_pb2.UpdateFieldRequest(
            base_id=base.base_id,
            table_id=table.id,
            field_id=status.id,
            options=struct({"choices": renamed}),
        ),
        metadata=base.owner.md,
    )

    async def logged() -> bool:
        return bool((await list_changes(base, start)).changes)

    # The rename reaches the records through an event.
    await until(logged, "the renamed choice is logged")
    answer = await list_changes(base, start)
    assert kinds(answer) == [(UPDATED, todo.id)]
    assert list(answer.changes[0].changed_field_ids) == [status.id]
    assert cells(answer.changes[0].record) == {status.id: "Later"}
    assert done.id not in {change.record_id for change in answer.changes}


@contextmanager
def change_inserts(host: Host) -> Iterator[list[str]]:
    """The INSERT statements into the change log, as they are sent."""
    assert host.runtime is not None
    engine = host.runtime.db.engine.sync_engine
    seen: list[str] = []

    def capture(conn: Connection, cursor: Any, sql: str, *_: Any) -> None:
        if sql.startswith("INSERT INTO airtable_record_changes"):
            seen.append(sql)

    event.listen(engine, "before_cursor_execute", capture)
    try:
        yield seen
    finally:
        event.remove(engine, "before_cursor_execute", capture)


async def test_a_write_logs_its_records_in_one_insert(
    base: Base, people: schema_pb2.Table, any_fabric: Fabric
) -> None:
    with change_inserts(any_fabric.host) as seen:
        await base.create("People", {"Name": "x"}, {"Name": "y"}, {"Name": "z"})
    assert len(seen) == 1


async def test_a_failed_write_logs_nothing(base: Base, people: schema_pb2.Table) -> None:
    start = await now_cursor(base)
    await fails(base.create("People", {"Age": "forty"}), INVALID)
    ok = (await base.create("People", {"Name": "Fine"}))[0]
    # One unknown record fails the whole update, and its valid part is not logged either.
    await fails(
        base.update("People", (ok.id, {"Age": 5}), ("recAAAAAAAAAAAAAA", {"Age": 6})), NOT_FOUND
    )
    await fails(delete(base, "People", ok.id, "recAAAAAAAAAAAAAA"), NOT_FOUND)
    assert kinds(await list_changes(base, start)) == [(CREATED, ok.id)]


async def test_bad_input_is_invalid_argument(
    base: Base, people: schema_pb2.Table, any_fabric: Fabric
) -> None:
    start = await now_cursor(base)
    for cursor in ("nope", "chg", "chg!!!!", start + "A", start[:-1], "chg" + "A" * 16):
        err = await fails(list_changes(base, cursor), INVALID)
        assert "after" in field_violations(err), cursor
    for size in (-1, 1001):
        err = await fails(list_changes(base, start, page_size=size), INVALID)
        assert "page_size" in field_violations(err)
    assert not (await list_changes(base, start, page_size=1000)).has_more
    await fails(
        base.records.ListRecordChanges(pb.ListRecordChangesRequest(), metadata=base.owner.md),
        INVALID,
    )
    # A cursor of another base is not one of this base.
    other = await new_base(any_fabric.host, any_fabric.channel)
    err = await fails(list_changes(base, await now_cursor(other)), INVALID)
    assert "after" in field_violations(err)


async def test_another_tenant_sees_nothing(
    base: Base, people: schema_pb2.Table, any_fabric: Fabric
) -> None:
    start = await now_cursor(base)
    await base.create("People", {"Name": "Secret"})
    stranger = await new_base(any_fabric.host, any_fabric.channel)
    for after in (start, ""):
        await fails(list_changes(base, after, who=stranger.owner), NOT_FOUND)
    # Their own base with our cursor: refused, never our changes.
    await fails(list_changes(stranger, start), INVALID)
    await fails(
        base.records.ListRecordChanges(
            pb.ListRecordChangesRequest(base_id=base.base_id, after=start)
        ),
        grpc.StatusCode.UNAUTHENTICATED,
    )


async def test_a_read_only_member_can_list_changes(base: Base, people: schema_pb2.Table) -> None:
    reader = await base.api.colleague(base.owner)
    await base.api.add_member(base.owner, base.workspace_id, reader, perm.ROLE_READ_ONLY)
    start = (await list_changes(base, "", who=reader)).cursor
    record = (await base.create("People", {"Name": "Seen"}))[0]
    answer = await list_changes(base, start, who=reader)
    assert kinds(answer) == [(CREATED, record.id)]
    assert cells(answer.changes[0].record)[people.fields[0].id] == "Seen"


@pytest.fixture(scope="module")
async def fake() -> AsyncIterator[FakeAirtable]:
    async for started in running_fake():
        yield started


async def test_a_connected_base_is_refused(any_fabric: Fabric, fake: FakeAirtable) -> None:
    outsider = await new_base(any_fabric.host, any_fabric.channel)
    token = f"pat{outsider.owner.user_id}.s3cr3t-t0ken"
    airtable_base_id = fake.add_base(token, ("People", {"Name": "singleLineText"}))
    connected = await outsider.records.ConnectBase(
        pb.ConnectBaseRequest(
            workspace_id=outsider.workspace_id,
            airtable_base_id=airtable_base_id,
            token=token,
            name="CRM",
            endpoint_url=fake.url + "/",
        ),
        metadata=outsider.owner.md,
    )
    err = await fails(
        outsider.records.ListRecordChanges(
            pb.ListRecordChangesRequest(base_id=connected.connection.base_id),
            metadata=outsider.owner.md,
        ),
        FAILED,
    )
    assert error_reason(err) == "NOT_NATIVE"


async def test_a_cursor_past_pruned_changes_has_expired(
    any_fabric: Fabric, monkeypatch: pytest.MonkeyPatch
) -> None:
    base = await new_base(any_fabric.host, any_fabric.channel)
    await base.table("Notes", spec("Text", "singleLineText"))
    before = await now_cursor(base)
    first = (await base.create("Notes", {"Text": "old"}))[0]
    kept_from = (await list_changes(base, before)).cursor
    # Keep nothing (a retention below zero: every change so far is old), prune on the next write.
    monkeypatch.setattr(change_log, "RETENTION", -dt.timedelta(seconds=1))
    monkeypatch.setattr(change_log, "PRUNE_INTERVAL_S", 0.0)
    await base.update("Notes", (first.id, {"Text": "new"}))
    monkeypatch.undo()
    for cursor in (before, kept_from):
        err = await fails(list_changes(base, cursor), FAILED)
        assert error_reason(err) == "CURSOR_EXPIRED"
    # The current cursor is past the pruned changes, and follows the base from there.
    current = await now_cursor(base)
    assert not (await list_changes(base, current)).changes
    second = (await base.create("Notes", {"Text": "fresh"}))[0]
    assert kinds(await list_changes(base, current)) == [(CREATED, second.id)]
    # A cursor that saw every pruned change has missed nothing.
    assert kinds(await list_changes(base, current, table="Notes")) == [(CREATED, second.id)]


async def test_prune_keeps_recent_changes(any_fabric: Fabric) -> None:
    base = await new_base(any_fabric.host, any_fabric.channel)
    await base.table("Notes", spec("Text", "singleLineText"))
    start = await now_cursor(base)
    note = (await base.create("Notes", {"Text": "recent"}))[0]
    assert any_fabric.host.runtime is not None
    await change_log.prune(any_fabric.host.runtime.db, utcnow() - change_log.RETENTION)
    assert kinds(await list_changes(base, start)) == [(CREATED, note.id)]


async def test_expiry_is_exact_when_pruning_in_batches(
    any_fabric: Fabric, monkeypatch: pytest.MonkeyPatch
) -> None:
    base = await new_base(any_fabric.host, any_fabric.channel)
    await base.table("Notes", spec("Text", "singleLineText"))
    cursors = [await now_cursor(base)]
    notes = []
    for text in ("one", "two", "three"):
        notes.append((await base.create("Notes", {"Text": text}))[0])
        cursors.append((await list_changes(base, cursors[-1])).cursor)
    assert any_fabric.host.runtime is not None
    db = any_fabric.host.runtime.db
    monkeypatch.setattr(change_log, "PRUNE_BATCH", 1)
    # Oldest first, one change at a time (of any base), until the first of ours is gone.
    for _ in range(10_000):
        assert await change_log.prune(db, utcnow() + dt.timedelta(seconds=1)) == 1
        try:
            await list_changes(base, cursors[0])
        except grpc.aio.AioRpcError as err:
            assert err.code() is FAILED and error_reason(err) == "CURSOR_EXPIRED"
            break
    # Only the cursor before the pruned change has expired; the next one has missed nothing.
    assert kinds(await list_changes(base, cursors[1])) == [
        (CREATED, notes[1].id),
        (CREATED, notes[2].id),
    ]


def test_cursors_round_trip() -> None:
    for seq in (0, 1, 35, 2**40, 2**63 - 1):
        cursor = change_log.encode_cursor("appAAAAAAAAAAAAAA", seq)
        assert cursor.startswith("chg")
        assert change_log.decode_cursor("appAAAAAAAAAAAAAA", cursor) == seq
    with pytest.raises(InvalidArgument):
        change_log.decode_cursor("appBBBBBBBBBBBBBB", change_log.encode_cursor("appA", 1))
