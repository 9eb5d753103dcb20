"""Connected bases through the real airtable-gateway gRPC server in the fabric: connecting
(with the token checked at Airtable and stored sealed), listing, forwarding every record
call to a real fake Airtable, tenancy, and disconnecting."""

from __future__ import annotations

import asyncio
import time

import grpc
import pytest
from google.protobuf import struct_pb2
from pyat.airtable.v1 import airtable_gateway_pb2 as pb
from pyat.airtable.v1 import airtable_gateway_pb2_grpc
from pyat.permission.v1 import permission_pb2

from services.airtable_gateway.connected.storage import ConnectionRow
from services.shared.ids import looks_like
from services.shared.server import Host
from tests.connected.conftest import SendLog
from tests.contract.test_auth import field_violations
from tests.contract.test_workspace import Api, Person, api_on, fails
from tests.fixtures.fake_airtable import FakeAirtable

Gateway = airtable_gateway_pb2_grpc.AirtableGatewayServiceStub
PEOPLE = ("People", {"Name": "singleLineText", "Age": "number"})
READ_ONLY = permission_pb2.ROLE_READ_ONLY
INVALID, DENIED, NOT_FOUND = (
    grpc.StatusCode.INVALID_ARGUMENT, grpc.StatusCode.PERMISSION_DENIED, grpc.StatusCode.NOT_FOUND,
)  # fmt: skip


@pytest.fixture
def api(fabric: Host, channel: grpc.aio.Channel) -> Api:
    return api_on(fabric, channel)


@pytest.fixture
def gateway(channel: grpc.aio.Channel) -> Gateway:
    return Gateway(channel)


class Connected:
    """An owner with a workspace, an Airtable base at the fake, and its connection here."""

    def __init__(self, owner: Person, workspace_id: str, token: str, airtable_base_id: str):
        self.owner, self.workspace_id = owner, workspace_id
        self.token, self.airtable_base_id = token, airtable_base_id
        self.connection = pb.Connection()


async def connect(api: Api, gateway: Gateway, fake: FakeAirtable) -> Connected:
    owner = await api.sign_up()
    workspace = await api.workspace(owner)
    token = f"pat{owner.user_id}.s3cr3t-t0ken"
    setup = Connected(owner, workspace.id, token, fake.add_base(token, PEOPLE))
    answer = await gateway.ConnectBase(
        pb.ConnectBaseRequest(
            workspace_id=workspace.id,
            airtable_base_id=setup.airtable_base_id,
            token=token,
            name="CRM",
            endpoint_url=fake.url + "/",
        ),
        metadata=owner.md,
    )
    setup.connection = answer.connection
    return setup


def cells(**values: object) -> struct_pb2.Struct:
    struct = struct_pb2.Struct()
    struct.update(values)
    return struct


async def test_connect_registers_a_base_and_seals_the_token(
    api: Api, gateway: Gateway, fake: FakeAirtable, fabric: Host
) -> None:
    setup = await connect(api, gateway, fake)
    conn = setup.connection
    assert looks_like(conn.base_id, "app") and conn.base_id != setup.airtable_base_id
    assert (conn.airtable_base_id, conn.workspace_id, conn.name, conn.endpoint_url) == (
        setup.airtable_base_id, setup.workspace_id, "CRM", fake.url,
    )  # fmt: skip
    assert conn.created_by == setup.owner.user_id and conn.created_at.seconds > 0
    # It is a base of the workspace like any other.
    got = await api.rpc(setup.owner, "GetBase", base_id=conn.base_id)
    assert (got.base.workspace_id, got.base.name) == (setup.workspace_id, "CRM")
    # The token was checked at Airtable once, and is stored only sealed.
    assert [h.path for h in fake.hits_of(setup.airtable_base_id)] == [
        f"/v0/meta/bases/{setup.airtable_base_id}/tables"
    ]
    async with fabric.runtime.db.read() as session:
        row = await session.get(ConnectionRow, conn.base_id)
    assert row is not None and row.tenant_id == setup.owner.tenant_id
    assert setup.token not in row.token_sealed and "s3cr3t" not in str(vars(row))


async def test_list_connections_never_returns_tokens(
    api: Api, gateway: Gateway, fake: FakeAirtable
) -> None:
    setup = await connect(api, gateway, fake)
    listed = await gateway.ListConnections(pb.ListConnectionsRequest(), metadata=setup.owner.md)
    assert list(listed.connections) == [setup.connection]
    assert setup.token.encode() not in listed.SerializeToString()


async def test_connect_with_a_wrong_token_fails_and_registers_nothing(
    api: Api, gateway: Gateway, fake: FakeAirtable
) -> None:
    owner = await api.sign_up()
    workspace = await api.workspace(owner)
    airtable_base_id = fake.add_base("patRIGHT", PEOPLE)
    request = pb.ConnectBaseRequest(
        workspace_id=workspace.id,
        airtable_base_id=airtable_base_id,
        token="patWRONG",
        endpoint_url=fake.url,
    )
    err = await fails(gateway.ConnectBase(request, metadata=owner.md), DENIED)
    assert "patWRONG" not in (err.details() or "")
    bases = await api.rpc(owner, "ListBases", workspace_id=workspace.id)
    assert list(bases.bases) == []


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"airtable_base_id": "tblXXXXXXXXXXXXXX"}, "airtable_base_id"),
        ({"airtable_base_id": ""}, "airtable_base_id"),
        ({"token": "  "}, "token"),
        ({"token": "pat with spaces"}, "token"),
        ({"endpoint_url": "ftp://example.com"}, "endpoint_url"),
        # Only the hosts the server is configured to reach: not its own network.
        ({"endpoint_url": "http://169.254.169.254/latest"}, "endpoint_url"),
        ({"endpoint_url": "https://127.0.0.1"}, "endpoint_url"),
        ({"endpoint_url": "http://"}, "endpoint_url"),
        ({"endpoint_url": "http://[::1"}, "endpoint_url"),
        ({"workspace_id": ""}, "workspace_id"),
        ({"name": "n" * 201}, "name"),
    ],
)
async def test_connect_refuses_bad_input(
    api: Api, gateway: Gateway, change: dict[str, str], field: str
) -> None:
    owner = await api.sign_up()
    request = pb.ConnectBaseRequest(
        workspace_id="wspAAAAAAAAAAAAAA", airtable_base_id="appAAAAAAAAAAAAAA", token="patX"
    )
    for name, value in change.items():
        setattr(request, name, value)
    err = await fails(gateway.ConnectBase(request, metadata=owner.md), INVALID)
    assert field in field_violations(err)


async def test_a_read_only_member_cannot_connect_a_base(
    api: Api, gateway: Gateway, fake: FakeAirtable
) -> None:
    owner = await api.sign_up()
    workspace = await api.workspace(owner)
    reader = await api.colleague(owner)
    await api.add_member(owner, workspace.id, reader, READ_ONLY)
    request = pb.ConnectBaseRequest(
        workspace_id=workspace.id,
        airtable_base_id=fake.add_base("patREADER", PEOPLE),
        token="patREADER",
        endpoint_url=fake.url,
    )
    await fails(gateway.ConnectBase(request, metadata=reader.md), DENIED)


async def test_connect_and_forward_on_postgres(
    pg_fabric: Host, pg_channel: grpc.aio.Channel, fake: FakeAirtable
) -> None:
    api, gateway = api_on(pg_fabric, pg_channel), Gateway(pg_channel)
    setup = await connect(api, gateway, fake)
    base_id, md = setup.connection.base_id, setup.owner.md
    created = await gateway.CreateRecords(
        pb.CreateRecordsRequest(base_id=base_id, table="People", records=[cells(Name="Pg")]),
        metadata=md,
    )
    listing = pb.ListRecordsRequest(base_id=base_id, table="People")
    listed = await gateway.ListRecords(listing, metadata=md)
    assert [record.id for record in listed.records] == [created.records[0].id]
    await gateway.DisconnectBase(pb.DisconnectBaseRequest(base_id=base_id), metadata=md)
    await fails(gateway.ListRecords(listing, metadata=md), NOT_FOUND)


async def test_record_calls_are_forwarded_to_airtable(
    api: Api, gateway: Gateway, fake: FakeAirtable
) -> None:
    setup = await connect(api, gateway, fake)
    base_id, md = setup.connection.base_id, setup.owner.md
    made = await gateway.CreateRecords(
        pb.CreateRecordsRequest(
            base_id=base_id, table="People", records=[cells(Name="Ada", Age=36), cells(Name="Bo")]
        ),
        metadata=md,
    )
    ada, bo = (record.id for record in made.records)
    stored = fake.table(setup.airtable_base_id, "People").records
    assert [record.id for record in stored] == [ada, bo]
    got = await gateway.GetRecord(
        pb.GetRecordRequest(base_id=base_id, table="People", record_id=ada), metadata=md
    )
    assert dict(got.record.fields) == {"Name": "Ada", "Age": 36}
    updated = await gateway.UpdateRecords(
        pb.UpdateRecordsRequest(
            base_id=base_id, table="People", records=[pb.RecordUpdate(id=bo, fields=cells(Age=7))]
        ),
        metadata=md,
    )
    assert dict(updated.records[0].fields) == {"Name": "Bo", "Age": 7}
    deleted = await gateway.DeleteRecords(
        pb.DeleteRecordsRequest(base_id=base_id, table="People", record_ids=[ada]), metadata=md
    )
    assert list(deleted.deleted_record_ids) == [ada]
    listed = await gateway.ListRecords(
        pb.ListRecordsRequest(base_id=base_id, table="People"), metadata=md
    )
    assert [record.id for record in listed.records] == [bo]
    methods = [hit.method for hit in fake.hits_of(setup.airtable_base_id) if hit.status != 429]
    assert methods == ["GET", "POST", "GET", "PATCH", "DELETE", "GET"]


async def test_list_passes_offsets_through(api: Api, gateway: Gateway, fake: FakeAirtable) -> None:
    setup = await connect(api, gateway, fake)
    fake.add_records(setup.airtable_base_id, "People", *[{"Name": f"P{n:02}"} for n in range(7)])
    request = pb.ListRecordsRequest(base_id=setup.connection.base_id, table="People", page_size=3)
    pages = []
    for _ in range(10):  # three pages; more means the offsets loop
        page = await gateway.ListRecords(request, metadata=setup.owner.md)
        pages.append([record.fields["Name"] for record in page.records])
        if not page.offset:
            break
        request.offset = page.offset
    assert pages == [["P00", "P01", "P02"], ["P03", "P04", "P05"], ["P06"]]


async def test_airtable_errors_come_back_with_our_statuses(
    api: Api, gateway: Gateway, fake: FakeAirtable
) -> None:
    setup = await connect(api, gateway, fake)
    base_id, md = setup.connection.base_id, setup.owner.md
    missing = pb.GetRecordRequest(base_id=base_id, table="People", record_id="recAAAAAAAAAAAAAA")
    await fails(gateway.GetRecord(missing, metadata=md), NOT_FOUND)
    unknown_field = pb.CreateRecordsRequest(base_id=base_id, table="People", records=[cells(X=1)])
    await fails(gateway.CreateRecords(unknown_field, metadata=md), INVALID)
    fake.tokens.pop(setup.token)  # the token is revoked at Airtable
    listing = pb.ListRecordsRequest(base_id=base_id, table="People")
    err = await fails(gateway.ListRecords(listing, metadata=md), DENIED)
    assert setup.token not in (err.details() or "")


async def test_a_burst_of_calls_keeps_to_five_a_second(
    api: Api, gateway: Gateway, fake: FakeAirtable, sends: SendLog
) -> None:
    setup = await connect(api, gateway, fake)
    listing = pb.ListRecordsRequest(base_id=setup.connection.base_id, table="People")
    answers = await asyncio.gather(
        *(gateway.ListRecords(listing, metadata=setup.owner.md) for _ in range(20))
    )
    assert len(answers) == 20
    # The check at connect time, then the 20 calls (and a retry for any 429 the fake gave).
    assert len(sends.times[setup.airtable_base_id]) >= 21
    assert sends.most_in_a_second(setup.airtable_base_id) <= 5


async def test_a_429_with_retry_after_is_waited_out_and_retried(
    api: Api, gateway: Gateway, fake: FakeAirtable
) -> None:
    setup = await connect(api, gateway, fake)
    fake.force_429(1, retry_after="1")
    started = time.monotonic()
    listing = pb.ListRecordsRequest(base_id=setup.connection.base_id, table="People")
    await gateway.ListRecords(listing, metadata=setup.owner.md)
    assert time.monotonic() - started >= 1.0
    assert [hit.status for hit in fake.hits_of(setup.airtable_base_id)][-2:] == [429, 200]


async def test_another_tenant_can_neither_see_nor_use_the_connection(
    api: Api, gateway: Gateway, fake: FakeAirtable
) -> None:
    setup = await connect(api, gateway, fake)
    stranger = await api.sign_up()
    listed = await gateway.ListConnections(pb.ListConnectionsRequest(), metadata=stranger.md)
    assert list(listed.connections) == []
    base_id = setup.connection.base_id
    listing = pb.ListRecordsRequest(base_id=base_id, table="People")
    await fails(gateway.ListRecords(listing, metadata=stranger.md), NOT_FOUND)
    disconnect = pb.DisconnectBaseRequest(base_id=base_id)
    await fails(gateway.DisconnectBase(disconnect, metadata=stranger.md), NOT_FOUND)
    # Nothing reached Airtable on the stranger's behalf, and the connection still works.
    assert len(fake.hits_of(setup.airtable_base_id)) == 1
    await gateway.ListRecords(listing, metadata=setup.owner.md)


async def test_a_colleague_without_a_role_cannot_see_or_disconnect(
    api: Api, gateway: Gateway, fake: FakeAirtable
) -> None:
    setup = await connect(api, gateway, fake)
    colleague = await api.colleague(setup.owner)
    listed = await gateway.ListConnections(pb.ListConnectionsRequest(), metadata=colleague.md)
    assert list(listed.connections) == []
    disconnect = pb.DisconnectBaseRequest(base_id=setup.connection.base_id)
    with pytest.raises(grpc.aio.AioRpcError) as refused:
        await gateway.DisconnectBase(disconnect, metadata=colleague.md)
    assert refused.value.code() in (NOT_FOUND, DENIED)


async def test_disconnect_forgets_the_base_and_its_token(
    api: Api, gateway: Gateway, fake: FakeAirtable, fabric: Host
) -> None:
    setup = await connect(api, gateway, fake)
    base_id, md = setup.connection.base_id, setup.owner.md
    await gateway.DisconnectBase(pb.DisconnectBaseRequest(base_id=base_id), metadata=md)
    listed = await gateway.ListConnections(pb.ListConnectionsRequest(), metadata=md)
    assert list(listed.connections) == []
    await fails(api.rpc(setup.owner, "GetBase", base_id=base_id), NOT_FOUND)
    listing = pb.ListRecordsRequest(base_id=base_id, table="People")
    await fails(gateway.ListRecords(listing, metadata=md), NOT_FOUND)
    async with fabric.runtime.db.read() as session:
        assert await session.get(ConnectionRow, base_id) is None
    disconnect = pb.DisconnectBaseRequest(base_id=base_id)
    await fails(gateway.DisconnectBase(disconnect, metadata=md), NOT_FOUND)


async def test_deleting_the_base_in_its_workspace_drops_the_connection(
    api: Api, gateway: Gateway, fake: FakeAirtable, fabric: Host
) -> None:
    setup = await connect(api, gateway, fake)
    base_id = setup.connection.base_id
    await api.rpc(setup.owner, "DeleteBase", base_id=base_id)
    # The base's deletion reaches the gateway as an event: wait for it, within reason.
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        async with fabric.runtime.db.read() as session:
            if await session.get(ConnectionRow, base_id) is None:
                return
        await asyncio.sleep(0.05)
    pytest.fail("the connection outlived its base by 20 s")
