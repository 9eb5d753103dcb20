"""The transactional outbox on SQLite and PostgreSQL, relayed to the embedded bus and to NATS."""

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
from pyat.events.v1.events_pb2 import Event, UserRegistered
from sqlalchemy import func, select, update
from sqlalchemy.engine import Connection

import services.shared
from services.shared.bus import NatsBus
from services.shared.db import Database, utcnow
from services.shared.outbox import (
    OutboxBase,
    OutboxBus,
    OutboxConsumer,
    OutboxRelay,
    OutboxRow,
    add_event,
)
from tests.fixtures.infra import NatsServer, delete_stream, make_unique_name
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
    bus = OutboxBus(db)
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
    bus = OutboxBus(db)
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
    bus = OutboxBus(db)
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


async def age(db: Database, event_ids: list[str], published: dt.datetime) -> None:
    """Make events look published at `published`."""
    async with db.transaction() as session:
        await session.execute(
            update(OutboxRow)
            .where(OutboxRow.event_id.in_(event_ids))
            .values(published_at=published)
        )


async def event_ids_left(db: Database) -> set[str]:
    async with db.read() as session:
        return set((await session.scalars(select(OutboxRow.event_id))).all())


async def positions(db: Database) -> dict[str, int]:
    async with db.read() as session:
        rows = await session.execute(select(OutboxConsumer.durable, OutboxConsumer.position))
        return {durable: position for durable, position in rows.all()}


async def until(condition: Callable[[], Awaitable[bool]], what: str) -> None:
    for _ in range(200):
        if await condition():
            return
        await asyncio.sleep(0.05)
    raise AssertionError(f"timed out waiting until {what}")


async def test_prune_deletes_only_events_published_more_than_a_day_ago(db: Database) -> None:
    bus = OutboxBus(db)
    relay = OutboxRelay(db, bus)
    old, recent = await add_user_event(db, "old"), await add_user_event(db, "recent")
    await relay.drain()
    pending = await add_user_event(db, "pending")
    two_days_ago = utcnow() - dt.timedelta(days=2)
    await age(db, [old], two_days_ago)
    async with db.transaction() as session:
        await session.execute(
            update(OutboxRow).where(OutboxRow.event_id == pending).values(created_at=two_days_ago)
        )
    assert await relay.prune() == 1
    assert await event_ids_left(db) == {recent, pending}
    await bus.close()


async def test_prune_keeps_events_until_every_durable_consumer_has_passed_them(
    db: Database,
) -> None:
    bus = OutboxBus(db, poll_interval_s=0.05, save_every_s=0.0)
    relay = OutboxRelay(db, bus)
    fast, slow = Received(), Received()
    slow_may_go = asyncio.Event()

    async def blocked_until_released(event: Event) -> None:
        await slow_may_go.wait()
        await slow(event)

    await bus.subscribe("fast", [USER], fast)
    await bus.subscribe("slow", [USER], blocked_until_released)
    try:
        ids = [await add_user_event(db, str(i)) for i in range(3)]
        await relay.drain()
        await fast.wait_for(lambda: len(fast.events) == 3)
        await until(lambda: _position_is(db, "fast", 3), "fast stored its position")
        await age(db, ids, utcnow() - dt.timedelta(days=2))
        # "slow" is still on the first event: nothing may go.
        assert await relay.prune() == 0
        slow_may_go.set()
        await slow.wait_for(lambda: len(slow.events) == 3)
        await until(lambda: _position_is(db, "slow", 3), "slow stored its position")
        assert await relay.prune() == 3
        assert await event_ids_left(db) == set()
    finally:
        await relay.stop()
        await bus.close()


async def _position_is(db: Database, durable: str, position: int) -> bool:
    return (await positions(db)).get(durable) == position


async def test_prune_drops_events_past_the_max_age_that_a_consumer_never_took(
    db: Database, caplog: pytest.LogCaptureFixture
) -> None:
    """A durable consumer gone for good (a renamed service, say) keeps events for a week at
    most, as a NATS stream does, and the log names it."""
    bus = OutboxBus(db)
    relay = OutboxRelay(db, bus)
    await bus.subscribe("gone", [USER], Received())
    await bus.close()  # its position stays behind, at the start
    old, recent = await add_user_event(db, "old"), await add_user_event(db, "recent")
    await relay.drain()
    await age(db, [old], utcnow() - dt.timedelta(days=8))
    await age(db, [recent], utcnow() - dt.timedelta(days=2))
    assert await relay.prune() == 1
    assert await event_ids_left(db) == {recent}
    assert "gone" in caplog.text


@pytest.mark.nats
async def test_prune_of_events_relayed_to_nats_ignores_embedded_positions(
    db: Database, nats_url: str
) -> None:
    """NATS keeps its own copy, so rows it took go after the retention as before, even with
    embedded consumers left behind in the table."""
    stream = make_unique_name("T")
    bus = await NatsBus.connect(nats_url, stream)
    relay = OutboxRelay(db, bus)
    try:
        async with db.transaction() as session:
            session.add(OutboxConsumer(durable="leftover", position=0, updated_at=utcnow()))
        event_id = await add_user_event(db)
        await relay.drain()
        await age(db, [event_id], utcnow() - dt.timedelta(days=2))
        assert await relay.prune() == 1
    finally:
        await bus.close()
        await delete_stream(nats_url, stream)


@pytest.mark.postgres
@pytest.mark.parametrize("db_url", ["postgres"], indirect=True)
async def test_an_event_that_commits_after_a_later_one_is_still_delivered(
    db: Database,
) -> None:
    """On PostgreSQL a transaction holding a smaller seq can commit after one holding a
    larger seq; a consumer that has passed the larger must still get the smaller."""
    bus = OutboxBus(db, poll_interval_s=0.05)
    relay = OutboxRelay(db, bus)
    received = Received()
    await bus.subscribe("late", [USER], received)
    try:
        async with db.transaction() as late_session:
            late = add_event(late_session, UserRegistered(name="late"), tenant_id="t", source="x")
            await late_session.flush()  # takes its seq now, and holds it uncommitted
            early = await add_user_event(db, "early")
            await relay.drain()
            await received.wait_for_id(early)
        await relay.drain()
        await received.wait_for_id(late.id)
        assert received.ids == [early, late.id]
        async with db.read() as session:
            seqs = dict((await session.execute(select(OutboxRow.event_id, OutboxRow.seq))).all())
        assert seqs[late.id] < seqs[early]
    finally:
        await relay.stop()
        await bus.close()


@pytest.mark.postgres
@pytest.mark.parametrize("db_url", ["postgres"], indirect=True)
async def test_several_processes_on_postgres_deliver_each_event_exactly_once(
    db_url: str,
) -> None:
    """Three "processes" (a database, an embedded bus and a relay each) relay events that
    producers commit concurrently; the one consumer gets every event once."""
    databases = [Database(db_url) for _ in range(3)]
    await databases[0].migrate(MIGRATIONS, VERSION_TABLE)
    buses = [OutboxBus(database, poll_interval_s=0.05) for database in databases]
    relays = [
        OutboxRelay(database, bus, batch_size=20, poll_interval_s=0.05)
        for database, bus in zip(databases, buses, strict=True)
    ]
    received = Received()
    await buses[0].subscribe("many", [USER], received)

    async def produce(database: Database, count: int) -> list[str]:
        made = []
        for i in range(count):
            async with database.transaction() as session:
                made += [
                    add_event(
                        session, UserRegistered(name=f"{i}.{j}"), tenant_id="t", source="x"
                    ).id
                    for j in range(3)
                ]
        return made

    for relay in relays:
        relay.start()
    try:
        produced = await asyncio.gather(*(produce(database, 40) for database in databases))
        ids = [event_id for made in produced for event_id in made]
        await received.wait_for(lambda: len(received.events) >= len(ids), timeout_s=20)
        assert Counter(received.ids) == Counter(ids)
        for made in produced:  # each producer's events in the order it committed them
            assert [i for i in received.ids if i in set(made)] == made
        await until(lambda: _unpublished_is_zero(databases[0]), "every event is published")
    finally:
        for relay in relays:
            await relay.stop()
        for bus in buses:
            await bus.close()
        for database in databases:
            await database.close()


async def _unpublished_is_zero(db: Database) -> bool:
    return await unpublished_count(db) == 0


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
