"""Records per base counted from the RecordCreated and RecordDeleted events, once per event id:
the counter alone (SQLite and PostgreSQL), then through a running fabric on SQLite with the
embedded bus and on PostgreSQL with NATS, redeliveries included."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable

import grpc
import nats
import pytest
from google.protobuf.message import Message
from pyat.airtable.v1 import airtable_gateway_pb2 as gateway_pb
from pyat.airtable.v1 import airtable_gateway_pb2_grpc
from pyat.events.v1 import events_pb2
from pyat.schema.v1 import schema_pb2_grpc
from pyat.tenant.v1 import tenant_pb2
from sqlalchemy import select, update

from services.registry import SERVICES
from services.shared.db import Database
from services.shared.ids import new_id
from services.shared.outbox import OutboxConsumer, OutboxRow
from services.shared.server import Host, migrate
from services.tenant.events import RecordCounter
from services.tenant.quotas import RECORDS_PER_BASE, Counter, used
from services.tenant.storage import CountedEvent
from services.tenant.tenants import create_tenant
from tests.airtable_gateway.helpers import Base, new_base, spec
from tests.contract.test_workspace import api_on
from tests.fixtures.fabric import StartHost

CREATED = events_pb2.RecordCreated.DESCRIPTOR.full_name
DELETED = events_pb2.RecordDeleted.DESCRIPTOR.full_name


# --- the counter on its own ----------------------------------------------------------------


@pytest.fixture
async def tenant_db(db_url: str) -> AsyncIterator[Database]:
    db = Database(db_url)
    await migrate(db, [SERVICES["tenant"]])
    yield db
    await db.close()


def envelope(payload: Message, tenant_id: str) -> events_pb2.Event:
    event = events_pb2.Event(
        id=new_id("evt"), type=payload.DESCRIPTOR.full_name, tenant_id=tenant_id, source="test"
    )
    event.payload.Pack(payload)
    return event


def record_event(
    kind: type[events_pb2.RecordCreated | events_pb2.RecordDeleted], tenant_id: str, base_id: str
) -> events_pb2.Event:
    payload = kind(
        tenant_id=tenant_id, base_id=base_id, table_id=new_id("tbl"), record_id=new_id("rec")
    )
    return envelope(payload, tenant_id)


async def records_in(db: Database, tenant_id: str, base_id: str) -> int:
    async with db.read() as session:
        return await used(session, Counter(tenant_id, RECORDS_PER_BASE, base_id))


async def test_counter_counts_each_created_and_deleted_record_once_per_event_id(
    tenant_db: Database,
) -> None:
    tenant_id, base_id = new_id("ten"), new_id("app")
    await create_tenant(
        tenant_db,
        tenant_id=tenant_id,
        owner_user_id=new_id("usr"),
        name="T",
        plan=tenant_pb2.PLAN_FREE,
    )
    count = RecordCounter(tenant_db)
    events = [record_event(events_pb2.RecordCreated, tenant_id, base_id) for _ in range(3)]
    events.append(record_event(events_pb2.RecordDeleted, tenant_id, base_id))
    await count([events[0], events[1], events[0]])  # a batch that carries one event twice
    await count(events[2:])
    assert await records_in(tenant_db, tenant_id, base_id) == 2
    # Every event again, one after another, as one batch and concurrently: nothing more counts.
    for event in events:
        await count([event])
    await count(events * 2)
    await asyncio.gather(*(count([event]) for event in events * 3))
    assert await records_in(tenant_db, tenant_id, base_id) == 2


async def test_counter_drops_events_it_can_never_count(tenant_db: Database) -> None:
    tenant_id, base_id = new_id("ten"), new_id("app")
    await create_tenant(
        tenant_db,
        tenant_id=tenant_id,
        owner_user_id=new_id("usr"),
        name="T",
        plan=tenant_pb2.PLAN_FREE,
    )
    count = RecordCounter(tenant_db)
    mislabelled = envelope(events_pb2.BaseChanged(tenant_id=tenant_id, base_id=base_id), tenant_id)
    mislabelled.type = CREATED
    for event in (
        record_event(events_pb2.RecordCreated, tenant_id, "not-a-base"),
        record_event(events_pb2.RecordCreated, new_id("ten"), base_id),  # no such tenant
        mislabelled,
    ):
        await count([event])  # returns, so the bus moves on
    assert await records_in(tenant_db, tenant_id, base_id) == 0
    async with tenant_db.read() as session:
        assert (await session.scalars(select(CountedEvent.event_id))).all() == []


# --- through a running fabric --------------------------------------------------------------


async def records_used(base: Base) -> int:
    """The tenant's records-per-base usage as its owner sees it (the base is its only one)."""
    mine = await base.api.tenants.GetMyTenant(
        tenant_pb2.GetMyTenantRequest(), metadata=base.owner.md
    )
    kind = tenant_pb2.QUOTA_KIND_RECORDS_PER_BASE
    return next(quota.used for quota in mine.tenant.quotas if quota.kind == kind)


async def record_events(base: Base) -> list[events_pb2.Event]:
    """The base's RecordCreated and RecordDeleted events in the outbox, oldest first."""
    assert base.api.host.runtime is not None
    async with base.api.host.runtime.db.read() as session:
        rows = await session.scalars(
            select(OutboxRow.payload)
            .where(OutboxRow.tenant_id == base.owner.tenant_id)
            .where(OutboxRow.event_type.in_((CREATED, DELETED)))
            .order_by(OutboxRow.seq)
        )
        return [events_pb2.Event.FromString(payload) for payload in rows]


async def counted(base: Base) -> set[str]:
    """The ids of the base's record events that tenant-service has counted."""
    assert base.api.host.runtime is not None
    ids = [event.id for event in await record_events(base)]
    async with base.api.host.runtime.db.read() as session:
        found = await session.scalars(
            select(CountedEvent.event_id).where(CountedEvent.event_id.in_(ids))
        )
        return set(found)


async def until(condition: Callable[[], Awaitable[bool]], what: str) -> None:
    for _ in range(400):  # 20 s: generous, for a loaded machine
        if await condition():
            return
        await asyncio.sleep(0.05)
    raise AssertionError(f"timed out waiting until {what}")


async def until_all_counted(base: Base) -> None:
    async def done() -> bool:
        return await counted(base) == {event.id for event in await record_events(base)}

    await until(done, "tenant-service has counted every record event")


async def create_three_delete_one(base: Base) -> None:
    made = await base.create("Items", {"Name": "a"}, {"Name": "b"}, {"Name": "c"})
    await base.records.DeleteRecords(
        gateway_pb.DeleteRecordsRequest(
            base_id=base.base_id, table="Items", record_ids=[made[0].id]
        ),
        metadata=base.owner.md,
    )


async def base_on(host: Host, channel: grpc.aio.Channel) -> Base:
    base = await new_base(host, channel)
    await base.table("Items", spec("Name", "singleLineText"))
    return base


@pytest.fixture(
    params=["sqlite", pytest.param("postgres", marks=[pytest.mark.postgres, pytest.mark.nats])]
)
def fabric_and_channel(request: pytest.FixtureRequest) -> tuple[Host, grpc.aio.Channel]:
    """The SQLite fabric (embedded bus), then the one on PostgreSQL with NATS."""
    prefix = "" if request.param == "sqlite" else "pg_"
    host: Host = request.getfixturevalue(f"{prefix}fabric")
    channel: grpc.aio.Channel = request.getfixturevalue(f"{prefix}channel")
    return host, channel


async def test_created_and_deleted_records_are_counted_in_the_base_usage(
    fabric_and_channel: tuple[Host, grpc.aio.Channel],
) -> None:
    base = await base_on(*fabric_and_channel)
    await create_three_delete_one(base)
    await until_all_counted(base)
    assert await records_used(base) == 2


@pytest.mark.postgres
@pytest.mark.nats
async def test_a_record_event_nats_delivers_twice_counts_once(
    pg_fabric: Host, pg_channel: grpc.aio.Channel, nats_url: str
) -> None:
    base = await base_on(pg_fabric, pg_channel)
    await create_three_delete_one(base)
    await until_all_counted(base)
    # Published again without its message id, as a relay that crashed before marking it
    # would do after NATS's duplicate window: the stream takes it as new.
    first = (await record_events(base))[0]
    connection = await nats.connect(nats_url)
    try:
        subject = f"{pg_fabric.settings.nats_stream}.{first.type}"
        await connection.jetstream().publish(subject, first.SerializeToString())
    finally:
        await connection.close()
    # One more record after it: once that is counted, so is the duplicate (in order).
    await base.create("Items", {"Name": "d"})
    await until_all_counted(base)
    assert await records_used(base) == 3


async def test_record_events_delivered_again_after_a_restart_count_once(
    start_host: StartHost,
) -> None:
    """The embedded bus on SQLite: a process that died before keeping its position gets the
    events again after the restart; they are counted once."""
    host = await start_host()
    async with grpc.aio.insecure_channel(host.address) as channel:
        base = await base_on(host, channel)
        await create_three_delete_one(base)
        await until_all_counted(base)
        assert await records_used(base) == 2
    await host.stop(grace_s=1)
    # As if the process had died before keeping its position: everything comes again.
    db = Database(host.settings.db_url)
    async with db.transaction() as session:
        await session.execute(
            update(OutboxConsumer)
            .where(OutboxConsumer.durable == "tenant-usage")
            .values(position=0)
        )
    await db.close()

    again = await start_host()
    async with grpc.aio.insecure_channel(again.address) as channel:
        base = Base(
            api_on(again, channel),
            base.owner,
            base.workspace_id,
            base.base_id,
            schema_pb2_grpc.SchemaServiceStub(channel),
            airtable_gateway_pb2_grpc.AirtableGatewayServiceStub(channel),
        )
        # One more record after the redelivered ones: once it is counted, so are they.
        await base.create("Items", {"Name": "d"})
        await until_all_counted(base)
        assert await records_used(base) == 3
