"""A connected base (records at a real fake Airtable) through mobile-bff: its pages list like a
native base's, with no sync cursor, since Airtable keeps no change log we can read."""

from __future__ import annotations

from collections.abc import AsyncIterator

import grpc
import pytest
from pyat.airtable.v1 import airtable_gateway_pb2_grpc
from pyat.mobilebff.v1 import mobile_bff_pb2 as pb
from pyat.mobilebff.v1 import mobile_bff_pb2_grpc

from services.shared.server import Host
from tests.airtable_gateway.helpers import fails
from tests.connected.test_connections import connect
from tests.contract.test_workspace import api_on
from tests.fixtures.fake_airtable import FakeAirtable, running_fake


@pytest.fixture(scope="module")
async def fake() -> AsyncIterator[FakeAirtable]:
    async for started in running_fake():
        yield started


async def test_a_connected_base_lists_without_a_sync_cursor(
    fabric: Host,
    channel: grpc.aio.Channel,
    mobile: mobile_bff_pb2_grpc.MobileBffServiceStub,
    fake: FakeAirtable,
) -> None:
    gateway = airtable_gateway_pb2_grpc.AirtableGatewayServiceStub(channel)
    setup = await connect(api_on(fabric, channel), gateway, fake)
    base_id = setup.connection.base_id
    fake.add_records(
        setup.airtable_base_id, "People", *({"Name": f"P{n}", "Age": n + 20} for n in range(3))
    )
    people = fake.table(setup.airtable_base_id, "People")
    name_id, age_id = (f.id for f in people.fields)

    first = await mobile.ListRecords(
        pb.ListRecordsRequest(base_id=base_id, table_id=people.id, page_size=2),
        metadata=setup.owner.md,
    )
    assert first.sync_cursor == ""
    assert first.next_page
    rest = await mobile.ListRecords(
        pb.ListRecordsRequest(base_id=base_id, table_id=people.id, page=first.next_page),
        metadata=setup.owner.md,
    )
    assert not rest.next_page
    records = [*first.records, *rest.records]
    assert [dict(r.cells) for r in records] == [
        {name_id: f"P{n}", age_id: n + 20} for n in range(3)
    ]

    await fails(
        mobile.SyncTable(
            pb.SyncTableRequest(base_id=base_id, table_id=people.id, since="chgAAAAAAAAAAAAA"),
            metadata=setup.owner.md,
        ),
        grpc.StatusCode.FAILED_PRECONDITION,
    )
    # ListBases still answers for an owner of a connected base.
    listed = await mobile.ListBases(pb.ListBasesRequest(), metadata=setup.owner.md)
    assert base_id in [base.id for base in listed.bases]
