"""The transactional outbox on SQLite and PostgreSQL, relayed to the in-process bus and to NATS."""

from __future__ import annotations

import asyncio
import datetime as dt
from collections import Counter
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from opentelemetry.sdk.trace import TracerProvider
from pyat.events.v1.events_pb2 import UserRegistered
from sqlalchemy import func, select, update
from sqlalchemy.engine import Connection

import services.shared
from services.shared.bus import MemoryBus, NatsBus
from services.shared.db import Database, utcnow
from services.shared.outbox import OutboxBase, OutboxRelay, OutboxRow, add_event
from tests.fixtures.infra import NatsServer, make_unique_name
from tests.runtime.test_bus import USER, Received

MIGRATIONS = Path(services.shared.__file__).parent / "migrations"
VERSION_TABLE = "alembic_version_shared"


@pytest.fixture
async def db(db_url: str) -> AsyncIterator[Database]:
    database = Database(db_url)
    await database.migrate(MIGRATIONS, VERSION_TABLE)
    yield database
    await database.close()


async def add_user_event(db: Database, name: str = "") -> str:
    async with db.transaction() as session:
        event = add_event(
            session, UserRegistered(user_id="usr1", name=name), tenant_id="ten1", source="test"
        )
    return event.id


async def unpublished_count(db: Database) -> int:
    async with db.read() as session:
        count = await session.scalar(
            select(func.count()).select_from(OutboxRow).where(OutboxRow.published_at.is_(None))
        )
    return count or 0


async def test_migrations_create_exactly_the_table_the_model_declares(db: Database) -> None:
    def diff(connection: Connection) -> list[object]:
        context = MigrationContext.configure(
            connection, opts={"compare_type": True, "version_table": VERSION_TABLE}
        )
        return list(compare_metadata(context, OutboxBase.metadata))

    async with db.engine.connect() as conn:
        assert await conn.run_sync(diff) == []
    # Applying them again is a no-op.
    await db.migrate(MIGRATIONS, VERSION_TABLE)


async def test_add_event_builds_the_envelope_with_the_current_trace(db: Database) -> None:
    tracer = TracerProvider().get_tracer("test")
    before = utcnow()
    with tracer.start_as_current_span("register") as span:
        async with db.transaction() as session:
            payload = UserRegistered(user_id="usr1", tenant_id="ten1", email="a@b.co")
            event = add_event(session, payload, tenant_id="ten1", source="auth")
    trace_id = format(span.get_span_context().trace_id, "032x")

    assert event.id.startswith("evt") and len(event.id) == 17
    assert event.type == "pyat.events.v1.UserRegistered"
    assert (event.tenant_id, event.source) == ("ten1", "auth")
    assert before <= event.occurred_at.ToDatetime(dt.UTC) <= utcnow()
    unpacked = UserRegistered()
    assert event.payload.Unpack(unpacked) and unpacked == payload
    assert trace_id in event.trace_context["traceparent"]
    async with db.read() as session:
        row = (await session.scalars(select(OutboxRow))).one()
    assert (row.event_id, row.event_type, row.tenant_id) == (event.id, event.type, "ten1")
    assert row.payload == event.SerializeToString()
    assert row.published_at is None


async def test_event_added_in_a_rolled_back_transaction_is_never_published(
    db: Database,
) -> None:
    bus = MemoryBus()
    received = Received()
    await bus.subscribe("rollback", [USER], received)
    relay = OutboxRelay(db, bus)
    try:
        with pytest.raises(RuntimeError):
            async with db.transaction() as session:
                add_event(session, UserRegistered(name="lost"), tenant_id="t", source="test")
                raise RuntimeError("the change failed")
        committed = await add_user_event(db, "kept")
        await relay.drain()
        await received.wait_for_id(committed)
        assert received.ids == [committed]
        async with db.read() as session:
            assert await session.scalar(select(func.count()).select_from(OutboxRow)) == 1
    finally:
        await relay.stop()
        await bus.close()


async def test_committed_events_are_published_once_in_commit_order(db: Database) -> None:
    bus = MemoryBus()
    received = Received()
    await bus.subscribe("order", [USER], received)
    # A small batch, so the order must also hold across batches.
    relay = OutboxRelay(db, bus, batch_size=3)
    relay.start()
    try:
        ids = [await add_user_event(db, str(i)) for i in range(4)]
        async with db.transaction() as session:
            ids += [
                add_event(session, UserRegistered(name=f"b{i}"), tenant_id="t", source="x").id
                for i in range(4)
            ]
        relay.notify()
        await received.wait_for(lambda: len(received.events) >= len(ids), timeout_s=5)
        await relay.drain()
        assert received.ids == ids
        assert await unpublished_count(db) == 0
    finally:
        await relay.stop()
        await bus.close()


async def test_relay_publishes_without_notify_by_polling(db: Database) -> None:
    bus = MemoryBus()
    received = Received()
    await bus.subscribe("poll", [USER], received)
    relay = OutboxRelay(db, bus, poll_interval_s=0.1)
    relay.start()
    try:
        await asyncio.sleep(0.05)  # let the relay go idle first
        event_id = await add_user_event(db)
        await received.wait_for_id(event_id, timeout_s=2)
    finally:
        await relay.stop()
        await bus.close()


async def test_prune_deletes_only_events_published_more_than_a_day_ago(db: Database) -> None:
    bus = MemoryBus()
    relay = OutboxRelay(db, bus)
    old, recent = await add_user_event(db, "old"), await add_user_event(db, "recent")
    await relay.drain()
    pending = await add_user_event(db, "pending")
    two_days_ago = utcnow() - dt.timedelta(days=2)
    async with db.transaction() as session:
        await session.execute(
            update(OutboxRow).where(OutboxRow.event_id == old).values(published_at=two_days_ago)
        )
        await session.execute(
            update(OutboxRow).where(OutboxRow.event_id == pending).values(created_at=two_days_ago)
        )
    assert await relay.prune() == 1
    async with db.read() as session:
        left = set((await session.scalars(select(OutboxRow.event_id))).all())
    assert left == {recent, pending}
    await bus.close()


@pytest.mark.postgres
@pytest.mark.parametrize("db_url", ["postgres"], indirect=True)
async def test_several_relays_on_postgres_publish_each_event_exactly_once(db_url: str) -> None:
    databases = [Database(db_url) for _ in range(3)]
    await databases[0].migrate(MIGRATIONS, VERSION_TABLE)
    bus = MemoryBus()
    received = Received()
    await bus.subscribe("many", [USER], received)
    async with databases[0].transaction() as session:
        ids = [
            add_event(session, UserRegistered(name=str(i)), tenant_id="t", source="x").id
            for i in range(300)
        ]
    relays = [OutboxRelay(database, bus, batch_size=20) for database in databases]
    try:
        await asyncio.gather(*(relay.drain() for relay in relays))
        await received.wait_for(lambda: len(received.events) >= len(ids), timeout_s=5)
        assert Counter(received.ids) == Counter(ids)
        assert await unpublished_count(databases[0]) == 0
    finally:
        await bus.close()
        for database in databases:
            await database.close()


@pytest.mark.nats
async def test_every_event_arrives_once_across_a_nats_server_crash(
    db: Database, nats_server_factory: Callable[[], Awaitable[NatsServer]]
) -> None:
    """Kill the bus mid-stream, keep committing events while it is down, bring it back: none
    is lost, and the consumer sees each event id exactly once after dropping redeliveries."""
    server = await nats_server_factory()
    stream = make_unique_name("T")
    publisher = await NatsBus.connect(server.url, stream, publish_timeout_s=1.0)
    consumer = await NatsBus.connect(server.url, stream, redeliver_delay_s=0.1)
    relay = OutboxRelay(db, publisher, poll_interval_s=0.1, max_backoff_s=0.5)
    received = Received()
    await consumer.subscribe("crash", [USER], received)
    sent: list[str] = []
    stop_producing, produced = asyncio.Event(), asyncio.Event()

    async def produce() -> None:
        # Each event in its own transaction, as services do, and a notify after each commit.
        while not stop_producing.is_set():
            sent.append(await add_user_event(db, str(len(sent))))
            relay.notify()
            produced.set()
            await asyncio.sleep(0.005)

    relay.start()
    producer = asyncio.create_task(produce())
    try:
        async with asyncio.timeout(20):
            await received.wait_for(lambda: len(received.events) >= 20)
            await server.stop()
            sent_at_crash = len(sent)
            while len(sent) < sent_at_crash + 30:
                produced.clear()
                await produced.wait()
            # The relay cannot publish while the server is down, so those events are pending.
            assert await unpublished_count(db) > 0
            await server.start()
            await received.wait_for(lambda: len(set(received.ids)) >= sent_at_crash + 60)
            stop_producing.set()
            await producer
            await received.wait_for(lambda: set(received.ids) >= set(sent))
        unique = list(dict.fromkeys(received.ids))
        assert sorted(unique) == sorted(sent)
        # The relay may still be committing the batch the consumer already has.
        await relay.drain()
        assert await unpublished_count(db) == 0
    finally:
        stop_producing.set()
        await asyncio.gather(producer, return_exceptions=True)
        await relay.stop()
        await publisher.close()
        await consumer.close()
