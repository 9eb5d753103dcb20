"""Records of a native base over real gRPC: create, read, merge and replace, upsert, typecast,
delete, events in the outbox, quotas of roles and tenants, and bad input on every RPC."""

from __future__ import annotations

import asyncio
from typing import Any

import grpc
import pytest
from pyat.airtable.v1 import airtable_gateway_pb2 as pb
from pyat.events.v1 import events_pb2
from pyat.permission.v1 import permission_pb2 as perm
from pyat.schema.v1 import schema_pb2
from sqlalchemy import select

from services.airtable_gateway.native.storage import records
from services.shared.ids import looks_like
from services.shared.outbox import OutboxRow
from tests.airtable_gateway.helpers import Base, Fabric, cells, fails, new_base, spec, struct
from tests.contract.test_auth import field_violations

INVALID, NOT_FOUND = grpc.StatusCode.INVALID_ARGUMENT, grpc.StatusCode.NOT_FOUND


@pytest.fixture(scope="module")
async def base(any_fabric: Fabric) -> Base:
    return await new_base(any_fabric.host, any_fabric.channel)


@pytest.fixture(scope="module")
async def people(base: Base) -> schema_pb2.Table:
    return await base.table(
        "People",
        spec("Name", "singleLineText"),
        spec("Age", "number", precision=0),
        spec("Team", "singleSelect", choices=[{"name": "Red"}, {"name": "Blue"}]),
        spec("Active", "checkbox"),
        spec("Notes", "multilineText"),
    )


async def test_create_then_get_returns_the_cells(base: Base, people: schema_pb2.Table) -> None:
    created = await base.create("People", {"Name": "Ada", "Age": 36, "Team": "Red"})
    record = created[0]
    assert looks_like(record.id, "rec")
    assert cells(record) == {"Name": "Ada", "Age": 36, "Team": "Red"}
    assert record.created_time.seconds > 0
    assert await base.get(people.id, record.id) == {"Name": "Ada", "Age": 36, "Team": "Red"}


async def test_create_keys_by_field_id_when_asked(base: Base, people: schema_pb2.Table) -> None:
    name_id = people.fields[0].id
    created = await base.create(people.id, {name_id: "Grace"}, by_id=True)
    assert cells(created[0]) == {name_id: "Grace"}


async def test_empty_cells_are_not_stored(base: Base, people: schema_pb2.Table) -> None:
    created = await base.create("People", {"Name": "Empty", "Notes": "", "Active": False})
    assert cells(created[0]) == {"Name": "Empty"}
    async with base.api.host.runtime.db.read() as session:
        stored = (
            await session.execute(select(records.c.cells).where(records.c.id == created[0].id))
        ).scalar_one()
    assert stored == {people.fields[0].id: "Empty"}


async def test_auto_numbers_count_up_per_table(base: Base, people: schema_pb2.Table) -> None:
    created = await base.create("People", {"Name": "One"}, {"Name": "Two"})
    async with base.api.host.runtime.db.read() as session:
        numbers = {
            record_id: number
            for record_id, number in await session.execute(
                select(records.c.id, records.c.auto_number).where(
                    records.c.id.in_([r.id for r in created])
                )
            )
        }
    assert numbers[created[1].id] == numbers[created[0].id] + 1


async def test_concurrent_creates_get_distinct_auto_numbers(base: Base) -> None:
    table = await base.table("Tickets", spec("Title", "singleLineText"))
    await base.field(table.id, "No", "autoNumber")
    await asyncio.gather(*(base.create(table.id, {"Title": f"t{i}"}) for i in range(8)))
    numbers = [cells(r)["No"] for r in (await base.list(table.id, fields=["No"])).records]
    assert sorted(numbers) == list(range(1, 9))


async def test_concurrent_merges_of_one_record_lose_no_change(
    base: Base, people: schema_pb2.Table
) -> None:
    # Each update merges a different cell: whatever order they commit in, all must stay. (On
    # SQLite two of them once read the same cells and the later one wrote back the older.)
    for attempt in range(5):
        record = (await base.create("People", {"Name": f"Ada {attempt}"}))[0]
        edits = [{"Age": 30 + attempt}, {"Team": "Red"}, {"Active": True}, {"Notes": "hi"}]
        await asyncio.gather(*(base.update("People", (record.id, edit)) for edit in edits))
        assert await base.get("People", record.id) == {
            "Name": f"Ada {attempt}",
            "Age": 30 + attempt,
            "Team": "Red",
            "Active": True,
            "Notes": "hi",
        }


async def test_merge_keeps_other_cells_and_replace_clears_them(
    base: Base, people: schema_pb2.Table
) -> None:
    record = (await base.create("People", {"Name": "Linus", "Age": 20, "Team": "Blue"}))[0]
    merged = await base.update("People", (record.id, {"Age": 21}))
    assert cells(merged.records[0]) == {"Name": "Linus", "Age": 21, "Team": "Blue"}
    replaced = await base.update("People", (record.id, {"Name": "Linus T"}), replace=True)
    assert cells(replaced.records[0]) == {"Name": "Linus T"}
    cleared = await base.update("People", (record.id, {"Name": None, "Age": 3}))
    assert cells(cleared.records[0]) == {"Age": 3}


async def test_typecast_converts_strings(base: Base, people: schema_pb2.Table) -> None:
    created = await base.create(
        "People", {"Name": "Cast", "Age": "42", "Team": "Green"}, typecast=True
    )
    assert cells(created[0]) == {"Name": "Cast", "Age": 42, "Team": "Green"}
    await fails(base.create("People", {"Age": "forty"}), INVALID)


async def test_upsert_creates_when_no_match_and_updates_one_match(
    base: Base, people: schema_pb2.Table
) -> None:
    first = await base.update(
        "People", ("", {"Name": "Upsy", "Age": 1}), fields_to_merge_on=["Name"]
    )
    assert len(first.created_record_ids) == 1 and not first.updated_record_ids
    second = await base.update(
        "People", ("", {"Name": "Upsy", "Age": 2}), ("", {"Name": "Daisy"}),
        fields_to_merge_on=["Name"],
    )  # fmt: skip
    assert list(second.updated_record_ids) == list(first.created_record_ids)
    assert len(second.created_record_ids) == 1
    assert [cells(r) for r in second.records] == [{"Name": "Upsy", "Age": 2}, {"Name": "Daisy"}]


async def test_upsert_merges_on_several_fields_a_multiple_select_among_them(base: Base) -> None:
    table = await base.table(
        "Notes", spec("Title", "singleLineText"), spec("Score", "number"),
        spec("Kinds", "multipleSelects", choices=[{"name": "a"}, {"name": "b"}]),
    )  # fmt: skip
    first = (await base.create(table.id, {"Title": "n1", "Kinds": ["b"]}))[0]
    upserted = await base.update(
        table.id, ("", {"Title": "n1", "Kinds": ["b"], "Score": 1}), ("", {"Title": "n1"}),
        fields_to_merge_on=["Title", "Kinds"],
    )  # fmt: skip
    assert list(upserted.updated_record_ids) == [first.id]
    assert len(upserted.created_record_ids) == 1
    assert await base.get(table.id, first.id) == {"Title": "n1", "Kinds": ["b"], "Score": 1}


async def test_upsert_refuses_several_matches(base: Base, people: schema_pb2.Table) -> None:
    await base.create("People", {"Name": "Twin"}, {"Name": "Twin"})
    await fails(base.update("People", ("", {"Name": "Twin"}), fields_to_merge_on=["Name"]), INVALID)
    # No value to merge on matches no record (not even those with none): it is created.
    blank = await base.update("People", ("", {"Age": 1}), fields_to_merge_on=["Name"])
    assert len(blank.created_record_ids) == 1 and not blank.updated_record_ids
    four = ["Name", "Age", "Team", "Notes"]
    await fails(base.update("People", ("", {"Name": "x"}), fields_to_merge_on=four), INVALID)
    await fails(base.update("People", ("", {"Name": "x"}), fields_to_merge_on=["Nope"]), INVALID)


async def test_delete_removes_records(base: Base, people: schema_pb2.Table) -> None:
    created = await base.create("People", {"Name": "Gone"})
    answer = await base.records.DeleteRecords(
        pb.DeleteRecordsRequest(base_id=base.base_id, table="People", record_ids=[created[0].id]),
        metadata=base.owner.md,
    )
    assert list(answer.deleted_record_ids) == [created[0].id]
    await fails(base.get("People", created[0].id), NOT_FOUND)


async def test_unknown_records_are_not_found(base: Base, people: schema_pb2.Table) -> None:
    missing = "recAAAAAAAAAAAAAA"
    await fails(base.get("People", missing), NOT_FOUND)
    await fails(base.update("People", (missing, {"Name": "x"})), NOT_FOUND)
    await fails(
        base.records.DeleteRecords(
            pb.DeleteRecordsRequest(base_id=base.base_id, table="People", record_ids=[missing]),
            metadata=base.owner.md,
        ),
        NOT_FOUND,
    )
    await fails(base.get("Nowhere", missing), NOT_FOUND)


async def test_bad_input_on_every_rpc(base: Base, people: schema_pb2.Table) -> None:
    md = base.owner.md
    b = base.base_id
    await fails(base.create("People"), INVALID)
    await fails(base.create("People", *({"Name": str(i)} for i in range(11))), INVALID)
    await fails(base.create("People", {"Nope": 1}), INVALID)
    await fails(base.update("People", ("", {"Name": "no id"})), INVALID)
    await fails(base.update("People"), INVALID)
    await fails(
        base.records.DeleteRecords(pb.DeleteRecordsRequest(base_id=b, table="People"), metadata=md),
        INVALID,
    )
    await fails(
        base.records.ListRecords(pb.ListRecordsRequest(table="People"), metadata=md), INVALID
    )
    await fails(base.list("People", page_size=101), INVALID)
    await fails(base.list("People", max_records=-1), INVALID)
    await fails(base.list("People", fields=["Nope"]), INVALID)
    await fails(base.list("People", sorts=[pb.Sort(field="Nope")]), INVALID)
    await fails(base.list("People", sorts=[pb.Sort(field="Name", direction="up")]), INVALID)
    await fails(base.list("People", view="No such view"), INVALID)
    string = pb.Output(cell_format=pb.CELL_FORMAT_STRING)
    err = await fails(base.list("People", output=string), INVALID)
    assert set(field_violations(err)) == {"output.time_zone", "output.user_locale"}
    bad_zone = pb.Output(cell_format=pb.CELL_FORMAT_STRING, time_zone="Mars/Base", user_locale="en")
    await fails(base.list("People", output=bad_zone), INVALID)
    await fails(base.get("People", "recAAAAAAAAAAAAAA", cell_format=2), INVALID)
    await fails(base.records.GetRecord(pb.GetRecordRequest(base_id=b), metadata=md), INVALID)
    await fails(base.create("", {"Name": "x"}), INVALID)


async def test_unauthenticated_calls_are_refused(base: Base, people: schema_pb2.Table) -> None:
    await fails(
        base.records.ListRecords(pb.ListRecordsRequest(base_id=base.base_id, table="People")),
        grpc.StatusCode.UNAUTHENTICATED,
    )


async def test_another_tenant_sees_nothing(
    base: Base, people: schema_pb2.Table, any_fabric: Fabric
) -> None:
    record = (await base.create("People", {"Name": "Secret"}))[0]
    stranger = await new_base(any_fabric.host, any_fabric.channel)
    for call in (
        stranger.records.GetRecord(
            pb.GetRecordRequest(base_id=base.base_id, table="People", record_id=record.id),
            metadata=stranger.owner.md,
        ),
        stranger.records.ListRecords(
            pb.ListRecordsRequest(base_id=base.base_id, table=people.id), metadata=stranger.owner.md
        ),
        stranger.records.UpdateRecords(
            pb.UpdateRecordsRequest(
                base_id=base.base_id,
                table=people.id,
                records=[pb.RecordUpdate(id=record.id, fields=struct({"Name": "Mine"}))],
            ),
            metadata=stranger.owner.md,
        ),
        stranger.records.DeleteRecords(
            pb.DeleteRecordsRequest(base_id=base.base_id, table=people.id, record_ids=[record.id]),
            metadata=stranger.owner.md,
        ),
    ):
        await fails(call, NOT_FOUND)
    # Their own base cannot reach our record by id either.
    await stranger.table("Theirs", spec("Name", "singleLineText"))
    await fails(stranger.get("Theirs", record.id), NOT_FOUND)
    assert await base.get("People", record.id) == {"Name": "Secret"}


async def test_read_only_member_can_read_but_not_write(
    base: Base, people: schema_pb2.Table
) -> None:
    reader = await base.api.colleague(base.owner)
    await base.api.add_member(base.owner, base.workspace_id, reader, perm.ROLE_READ_ONLY)
    record = (await base.create("People", {"Name": "Visible"}))[0]
    got = await base.records.GetRecord(
        pb.GetRecordRequest(base_id=base.base_id, table="People", record_id=record.id),
        metadata=reader.md,
    )
    assert cells(got.record) == {"Name": "Visible"}
    denied = grpc.StatusCode.PERMISSION_DENIED
    await fails(
        base.records.CreateRecords(
            pb.CreateRecordsRequest(
                base_id=base.base_id, table="People", records=[struct({"Name": "x"})]
            ),
            metadata=reader.md,
        ),
        denied,
    )
    await fails(
        base.records.DeleteRecords(
            pb.DeleteRecordsRequest(base_id=base.base_id, table="People", record_ids=[record.id]),
            metadata=reader.md,
        ),
        denied,
    )


async def _events(base: Base, record_id: str) -> list[Any]:
    async with base.api.host.runtime.db.read() as session:
        rows = (
            await session.execute(
                select(OutboxRow.event_type, OutboxRow.payload)
                .where(OutboxRow.tenant_id == base.owner.tenant_id)
                .order_by(OutboxRow.seq)
            )
        ).all()
    found = []
    for event_type, payload in rows:
        if not event_type.startswith("pyat.events.v1.Record"):
            continue
        envelope = events_pb2.Event.FromString(payload)
        message = getattr(events_pb2, event_type.rsplit(".", 1)[1])()
        envelope.payload.Unpack(message)
        if message.record_id == record_id:
            found.append(message)
    return found


async def test_changes_emit_events_in_the_outbox(base: Base, people: schema_pb2.Table) -> None:
    name_id, age_id = people.fields[0].id, people.fields[1].id
    record = (await base.create("People", {"Name": "Eve", "Age": 1}))[0]
    await base.update("People", (record.id, {"Age": 2}))
    await base.update("People", (record.id, {"Age": 2}))  # no change, no event
    await base.records.DeleteRecords(
        pb.DeleteRecordsRequest(base_id=base.base_id, table="People", record_ids=[record.id]),
        metadata=base.owner.md,
    )
    created, updated, deleted = await _events(base, record.id)
    assert isinstance(created, events_pb2.RecordCreated)
    assert dict(created.fields) == {name_id: "Eve", age_id: 1}
    assert created.actor_id == base.owner.user_id
    assert isinstance(updated, events_pb2.RecordUpdated)
    assert list(updated.changed_field_ids) == [age_id]
    assert dict(updated.fields) == {age_id: 2} and dict(updated.previous_fields) == {age_id: 1}
    assert isinstance(deleted, events_pb2.RecordDeleted)
