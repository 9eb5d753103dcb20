"""The Airtable client and the forwarding of each record call, against a real HTTP fake:
requests in Airtable's shape, answers in ours, errors mapped, the rate limit kept."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator

import pytest
from google.protobuf import struct_pb2
from pyat.airtable.v1 import airtable_gateway_pb2 as pb

from services.airtable_gateway.connected import airtable
from services.airtable_gateway.connected.airtable import AirtableClient, Target
from services.airtable_gateway.connected.forwarding import Forwarder
from services.shared.cache import MemoryCache
from services.shared.errors import (
    FailedPrecondition,
    InvalidArgument,
    NotFound,
    PermissionDenied,
    ResourceExhausted,
    Unavailable,
)
from services.shared.ids import new_id
from tests.connected.conftest import SendLog
from tests.fixtures.fabric import free_port
from tests.fixtures.fake_airtable import FakeAirtable

TOKEN = "patFORWARDING.secret"
PEOPLE = ("People", {"Name": "singleLineText", "Age": "number"})


def cells(**values: object) -> struct_pb2.Struct:
    struct = struct_pb2.Struct()
    struct.update(values)
    return struct


@pytest.fixture
async def client() -> AsyncIterator[AirtableClient]:
    client = AirtableClient(MemoryCache())
    yield client
    await client.close()


@pytest.fixture
def forwarder(client: AirtableClient) -> Forwarder:
    return Forwarder(client)


@pytest.fixture
def target(fake: FakeAirtable) -> Target:
    return Target(fake.url, fake.add_base(TOKEN, PEOPLE), TOKEN)


async def create(forwarder: Forwarder, target: Target, *people: tuple[str, int]) -> list[str]:
    made = await forwarder.create_records(
        target,
        pb.CreateRecordsRequest(
            table="People", records=[cells(Name=name, Age=age) for name, age in people]
        ),
    )
    return [record.id for record in made.records]


async def test_create_then_get_answers_in_our_shape(forwarder: Forwarder, target: Target) -> None:
    [record_id] = await create(forwarder, target, ("Ada", 36))
    got = await forwarder.get_record(
        target, pb.GetRecordRequest(table="People", record_id=record_id)
    )
    assert got.record.id == record_id
    assert dict(got.record.fields) == {"Name": "Ada", "Age": 36}
    assert got.record.created_time.seconds > 0


async def test_typecast_is_forwarded_and_a_422_becomes_invalid_argument(
    forwarder: Forwarder, target: Target
) -> None:
    request = pb.CreateRecordsRequest(table="People", records=[cells(Name="Bo", Age="7")])
    with pytest.raises(InvalidArgument) as refused:
        await forwarder.create_records(target, request)
    assert refused.value.reason == "INVALID_VALUE_FOR_COLUMN"
    request.typecast = True
    made = await forwarder.create_records(target, request)
    assert made.records[0].fields["Age"] == 7


async def test_list_pages_through_offsets_with_fields_sort_and_filter(
    forwarder: Forwarder, target: Target, fake: FakeAirtable
) -> None:
    rows = [{"Name": f"P{n:02}", "Age": n % 3} for n in range(25)]
    fake.add_records(target.airtable_base_id, "People", *rows)
    request = pb.ListRecordsRequest(
        table="People",
        page_size=10,
        fields=["Name"],
        sorts=[pb.Sort(field="Name", direction="desc")],
    )
    names: list[str] = []
    for _ in range(10):  # three pages; more means the offsets loop
        page = await forwarder.list_records(target, request)
        names += [record.fields["Name"] for record in page.records]
        assert all(set(record.fields) == {"Name"} for record in page.records)
        if not page.offset:
            break
        request.offset = page.offset
    assert names == [f"P{n:02}" for n in reversed(range(25))]
    filtered = await forwarder.list_records(
        target, pb.ListRecordsRequest(table="People", filter_by_formula="{Age}=2", max_records=3)
    )
    assert [record.fields["Age"] for record in filtered.records] == [2, 2, 2]
    assert not filtered.offset


async def test_output_options_reach_airtable(
    forwarder: Forwarder, target: Target, fake: FakeAirtable
) -> None:
    [record_id] = await create(forwarder, target, ("Cy", 5))
    age_id = fake.table(target.airtable_base_id, "People").field("Age")
    assert age_id is not None
    output = pb.Output(
        cell_format=pb.CELL_FORMAT_STRING,
        time_zone="Europe/Paris",
        user_locale="fr",
        return_fields_by_field_id=True,
    )
    got = await forwarder.get_record(
        target, pb.GetRecordRequest(table="People", record_id=record_id, output=output)
    )
    assert got.record.fields[age_id.id] == "5"
    listing = pb.ListRecordsRequest(table="People", output=output)
    listed = await forwarder.list_records(target, listing)
    assert listed.records[0].fields[age_id.id] == "5"


async def test_a_long_list_request_goes_as_post(
    forwarder: Forwarder, target: Target, fake: FakeAirtable
) -> None:
    await create(forwarder, target, ("Di", 1))
    many = ["Name", *[f"unused field {n:05} " + "x" * 80 for n in range(200)]]
    listing = pb.ListRecordsRequest(table="People", fields=many, output=pb.Output(time_zone="UTC"))
    listed = await forwarder.list_records(target, listing)
    assert [dict(record.fields) for record in listed.records] == [{"Name": "Di"}]
    last = fake.hits_of(target.airtable_base_id)[-1]
    assert (last.method, last.path.endswith("/listRecords")) == ("POST", True)


async def test_update_merges_replaces_and_upserts(forwarder: Forwarder, target: Target) -> None:
    [ada] = await create(forwarder, target, ("Ada", 36))
    merged = await forwarder.update_records(
        target,
        pb.UpdateRecordsRequest(
            table="People", records=[pb.RecordUpdate(id=ada, fields=cells(Age=37))]
        ),
    )
    assert dict(merged.records[0].fields) == {"Name": "Ada", "Age": 37}
    replaced = await forwarder.update_records(
        target,
        pb.UpdateRecordsRequest(
            table="People", replace=True, records=[pb.RecordUpdate(id=ada, fields=cells(Age=1))]
        ),
    )
    assert dict(replaced.records[0].fields) == {"Age": 1}
    upserted = await forwarder.update_records(
        target,
        pb.UpdateRecordsRequest(
            table="People",
            fields_to_merge_on=["Age"],
            records=[
                pb.RecordUpdate(fields=cells(Age=1, Name="Ada again")),
                pb.RecordUpdate(fields=cells(Age=99, Name="New")),
            ],
        ),
    )
    assert list(upserted.updated_record_ids) == [ada]
    assert len(upserted.created_record_ids) == 1
    assert upserted.records[0].fields["Name"] == "Ada again"


async def test_delete_then_the_record_is_not_found(forwarder: Forwarder, target: Target) -> None:
    ids = await create(forwarder, target, ("A", 1), ("B", 2))
    deleted = await forwarder.delete_records(
        target, pb.DeleteRecordsRequest(table="People", record_ids=ids)
    )
    assert list(deleted.deleted_record_ids) == ids
    with pytest.raises(NotFound):
        await forwarder.get_record(target, pb.GetRecordRequest(table="People", record_id=ids[0]))


@pytest.mark.parametrize(
    "request_",
    [
        pb.ListRecordsRequest(table="People", page_size=101),
        pb.ListRecordsRequest(table="People", sorts=[pb.Sort(field="Name", direction="up")]),
        pb.ListRecordsRequest(table=" "),
        pb.GetRecordRequest(table="People", record_id="nope"),
        pb.CreateRecordsRequest(table="People"),
        pb.CreateRecordsRequest(table="People", records=[cells(Name="x")] * 11),
        pb.UpdateRecordsRequest(table="People", records=[pb.RecordUpdate(fields=cells(Age=1))]),
        pb.UpdateRecordsRequest(
            table="People",
            fields_to_merge_on=["a", "b", "c", "d"],
            records=[pb.RecordUpdate(fields=cells(Age=1))],
        ),
        pb.DeleteRecordsRequest(table="People", record_ids=["rec1"]),
    ],
)
async def test_bad_input_is_refused_before_airtable_is_called(
    forwarder: Forwarder, target: Target, fake: FakeAirtable, request_: object
) -> None:
    method = {
        pb.ListRecordsRequest: forwarder.list_records,
        pb.GetRecordRequest: forwarder.get_record,
        pb.CreateRecordsRequest: forwarder.create_records,
        pb.UpdateRecordsRequest: forwarder.update_records,
        pb.DeleteRecordsRequest: forwarder.delete_records,
    }[type(request_)]
    with pytest.raises(InvalidArgument) as refused:
        await method(target, request_)  # type: ignore[operator]
    assert refused.value.fields
    assert fake.hits_of(target.airtable_base_id) == []


async def test_airtable_errors_map_to_our_statuses(
    forwarder: Forwarder, target: Target, fake: FakeAirtable
) -> None:
    listing = pb.ListRecordsRequest(table="People")
    wrong_token = Target(target.endpoint_url, target.airtable_base_id, "patWRONG")
    with pytest.raises(PermissionDenied) as denied:
        await forwarder.list_records(wrong_token, listing)
    assert "patWRONG" not in denied.value.message
    other_base = Target(fake.url, fake.add_base("patOTHER", PEOPLE), TOKEN)
    with pytest.raises(PermissionDenied):
        await forwarder.list_records(other_base, listing)
    with pytest.raises(NotFound):
        await forwarder.list_records(target, pb.ListRecordsRequest(table="Nope"))
    with pytest.raises(InvalidArgument) as unknown:
        await forwarder.list_records(target, pb.ListRecordsRequest(table="People", view="Kanban"))
    assert unknown.value.reason == "VIEW_NAME_NOT_FOUND"
    nowhere = Target(f"http://127.0.0.1:{free_port()}", target.airtable_base_id, TOKEN)
    with pytest.raises(Unavailable):
        await forwarder.list_records(nowhere, listing)


async def test_verify_refuses_a_token_that_does_not_open_the_base(
    client: AirtableClient, target: Target
) -> None:
    await client.verify(target)
    with pytest.raises(PermissionDenied):
        await client.verify(Target(target.endpoint_url, target.airtable_base_id, "patWRONG"))
    missing = Target(target.endpoint_url, new_id("app"), TOKEN)
    with pytest.raises((PermissionDenied, FailedPrecondition)):
        await client.verify(missing)


async def test_a_burst_never_exceeds_five_requests_a_second(
    forwarder: Forwarder, target: Target, fake: FakeAirtable, sends: SendLog
) -> None:
    listing = pb.ListRecordsRequest(table="People")
    answers = await asyncio.gather(*(forwarder.list_records(target, listing) for _ in range(20)))
    assert len(answers) == 20
    base_id = target.airtable_base_id
    assert len(sends.times[base_id]) >= 20
    assert sends.most_in_a_second(base_id) <= 5
    assert {hit.status for hit in fake.hits_of(base_id)} <= {200, 429}


async def test_a_429_waits_for_retry_after_then_retries(
    forwarder: Forwarder, target: Target, fake: FakeAirtable
) -> None:
    fake.force_429(1, retry_after="0.5")
    started = time.monotonic()
    await forwarder.list_records(target, pb.ListRecordsRequest(table="People"))
    assert time.monotonic() - started >= 0.5
    assert [hit.status for hit in fake.hits_of(target.airtable_base_id)] == [429, 200]


async def test_a_429_without_retry_after_backs_off_then_gives_up(
    forwarder: Forwarder, target: Target, fake: FakeAirtable, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(airtable, "BACKOFF_S", 0.3)
    fake.force_429(1)
    started = time.monotonic()
    await forwarder.list_records(target, pb.ListRecordsRequest(table="People"))
    assert time.monotonic() - started >= 0.3
    fake.force_429(airtable.MAX_RETRIES + 1, retry_after="0")
    with pytest.raises(ResourceExhausted):
        await forwarder.list_records(target, pb.ListRecordsRequest(table="People"))


async def test_a_slow_airtable_times_out_as_unavailable(
    forwarder: Forwarder, target: Target, fake: FakeAirtable, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(airtable, "TIMEOUT_S", 0.2)
    monkeypatch.setattr(fake, "delay_s", 1.0)
    with pytest.raises(Unavailable):
        await forwarder.list_records(target, pb.ListRecordsRequest(table="People"))
