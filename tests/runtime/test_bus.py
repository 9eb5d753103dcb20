"""The event bus contract, embedded (the outbox table, on SQLite and PostgreSQL) and on NATS
JetStream (shared and private servers)."""

from __future__ import annotations

import asyncio
import time
from collections import Counter
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from pathlib import Path

import pytest
from google.protobuf import duration_pb2, wrappers_pb2
from google.protobuf.message import Message
from pyat.events.v1.events_pb2 import Event, UserRegistered
from sqlalchemy import select

from services.shared.bus import EventBus, NatsBus, open_bus
from services.shared.config import Settings
from services.shared.db import Database
from services.shared.errors import Unavailable
from services.shared.ids import new_id
from services.shared.outbox import OutboxBus, OutboxConsumer
from services.shared.server import SHARED_MIGRATIONS
from tests.fixtures.infra import (
    NatsServer,
    create_database,
    delete_stream,
    drop_database,
    make_unique_name,
    pg_database_url,
)

USER = UserRegistered.DESCRIPTOR.full_name
TEXT = wrappers_pb2.StringValue.DESCRIPTOR.full_name
DURATION = duration_pb2.Duration.DESCRIPTOR.full_name


def event_of(payload: Message) -> Event:
    event = Event(id=new_id("evt"), type=payload.DESCRIPTOR.full_name, source="test")
    event.payload.Pack(payload)
    return event


def user_event(name: str = "") -> Event:
    return event_of(UserRegistered(user_id=new_id("usr"), name=name))


class Received:
    """A handler that records what it was given, and waits for it."""

    def __init__(self) -> None:
        self.events: list[Event] = []
        self._arrived = asyncio.Event()

    async def __call__(self, event: Event) -> None:
        self.events.append(event)
        self._arrived.set()

    @property
    def ids(self) -> list[str]:
        return [event.id for event in self.events]

    async def wait_for(self, done: Callable[[], bool], timeout_s: float = 10.0) -> None:
        async with asyncio.timeout(timeout_s):
            while not done():
                self._arrived.clear()
                await self._arrived.wait()

    async def wait_for_id(self, event_id: str, timeout_s: float = 10.0) -> None:
        await self.wait_for(lambda: event_id in self.ids, timeout_s)


BusFactory = Callable[[], Awaitable[EventBus]]
NatsBusFactory = Callable[[], Awaitable[NatsBus]]


@asynccontextmanager
async def nats_buses(url: str) -> AsyncIterator[NatsBusFactory]:
    """Opens NATS buses on one fresh stream; closes them and deletes the stream after."""
    stream = make_unique_name("T")
    buses: list[NatsBus] = []

    async def connect() -> NatsBus:
        bus = await NatsBus.connect(url, stream, redeliver_delay_s=0.1)
        buses.append(bus)
        return bus

    try:
        yield connect
    finally:
        for bus in buses:
            await bus.close()
        await delete_stream(url, stream)


async def migrated(url: str) -> Database:
    db = Database(url)
    await db.migrate(SHARED_MIGRATIONS, "alembic_version_shared")
    return db


@asynccontextmanager
async def outbox_databases(kind: str, tmp_path: Path) -> AsyncIterator[str]:
    """The URL of a fresh database of `kind` ("sqlite" or "postgres"), dropped after."""
    if kind == "sqlite":
        yield f"sqlite+aiosqlite:///{tmp_path / 'bus.db'}"
        return
    name = await create_database()
    try:
        yield pg_database_url(name)
    finally:
        await drop_database(name)


@pytest.fixture(
    params=[
        "sqlite",
        pytest.param("postgres", marks=pytest.mark.postgres),
        pytest.param("nats", marks=pytest.mark.nats),
    ]
)
async def new_bus(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[BusFactory]:
    """Opens buses that share one backend: one embedded bus, or one fresh NATS stream."""
    if request.param == "nats":
        async with nats_buses(request.getfixturevalue("nats_url")) as connect:
            yield connect
        return
    async with outbox_databases(request.param, tmp_path) as url:
        db = await migrated(url)
        bus = OutboxBus(db, retry_delay_s=0.05, poll_interval_s=0.1)

        async def same_outbox_bus() -> EventBus:
            return bus

        try:
            yield same_outbox_bus
        finally:
            await bus.close()
            await db.close()


@pytest.fixture
async def new_nats_bus(nats_url: str) -> AsyncIterator[NatsBusFactory]:
    async with nats_buses(nats_url) as connect:
        yield connect


async def test_subscriber_receives_published_events_in_order(new_bus: BusFactory) -> None:
    bus = await new_bus()
    received = Received()
    await bus.subscribe("orders", [USER], received)
    sent = [user_event(str(i)) for i in range(5)]
    for event in sent:
        await bus.publish(event)
    await received.wait_for(lambda: len(received.events) == 5)
    assert received.ids == [event.id for event in sent]
    assert received.events[0] == sent[0]


async def test_each_durable_gets_only_the_types_it_asked_for(new_bus: BusFactory) -> None:
    bus = await new_bus()
    users, users_and_text, everything = Received(), Received(), Received()
    await bus.subscribe("users", [USER], users)
    await bus.subscribe("users-and-text", [USER, TEXT], users_and_text)
    await bus.subscribe("everything", [], everything)
    user, text, duration = (
        user_event(),
        event_of(wrappers_pb2.StringValue(value="hi")),
        event_of(duration_pb2.Duration(seconds=1)),
    )
    # Delivery is in order per subscriber, so once the last event is in, nothing else comes.
    last = user_event("last")
    for event in (user, text, duration, last):
        await bus.publish(event)
    for received in (users, users_and_text, everything):
        await received.wait_for_id(last.id)
    assert users.ids == [user.id, last.id]
    assert users_and_text.ids == [user.id, text.id, last.id]
    assert everything.ids == [user.id, text.id, duration.id, last.id]


async def test_event_is_delivered_again_after_its_handler_fails(new_bus: BusFactory) -> None:
    bus = await new_bus()
    attempts: Counter[str] = Counter()
    handled: list[str] = []
    first, second = user_event("first"), user_event("second")

    async def fails_once_on_first(event: Event) -> None:
        attempts[event.id] += 1
        if event.id == first.id and attempts[event.id] == 1:
            raise RuntimeError("the handler's dependency is down")
        handled.append(event.id)

    done = asyncio.Event()

    async def handler(event: Event) -> None:
        await fails_once_on_first(event)
        if set(handled) == {first.id, second.id}:
            done.set()

    await bus.subscribe("flaky", [USER], handler)
    await bus.publish(first)
    await bus.publish(second)
    await asyncio.wait_for(done.wait(), timeout=10)
    assert attempts == {first.id: 2, second.id: 1}
    assert sorted(handled) == sorted([first.id, second.id])


async def test_a_listener_gets_only_what_is_published_after_it_starts(new_bus: BusFactory) -> None:
    bus = await new_bus()
    before = user_event("before")
    await bus.publish(before)
    # A durable consumer that has seen `before` proves it is in the log before listening.
    durable = Received()
    await bus.subscribe("witness", [USER], durable)
    await durable.wait_for_id(before.id)
    users, everything = Received(), Received()
    await bus.listen([USER], users)
    await bus.listen([], everything)
    text, after = event_of(wrappers_pb2.StringValue(value="hi")), user_event("after")
    await bus.publish(text)
    await bus.publish(after)
    await users.wait_for_id(after.id)
    await everything.wait_for_id(after.id)
    assert users.ids == [after.id]
    assert everything.ids == [text.id, after.id]


async def test_a_failing_listener_is_not_given_the_event_again(new_bus: BusFactory) -> None:
    bus = await new_bus()
    seen: list[str] = []
    done = asyncio.Event()
    first, second = user_event("first"), user_event("second")

    async def fails_on_first(event: Event) -> None:
        seen.append(event.id)
        if event.id == first.id:
            raise RuntimeError("a listener's failure is only logged")
        done.set()

    await bus.listen([USER], fails_on_first)
    await bus.publish(first)
    await bus.publish(second)
    await asyncio.wait_for(done.wait(), timeout=10)
    assert seen == [first.id, second.id]


async def test_a_listener_stores_no_position(outbox_db: Database) -> None:
    bus = OutboxBus(outbox_db, poll_interval_s=0.1)
    try:
        received = Received()
        await bus.listen([USER], received)
        event = user_event()
        await bus.publish(event)
        await received.wait_for_id(event.id)
    finally:
        await bus.close()
    async with outbox_db.read() as session:
        stored = (await session.scalars(select(OutboxConsumer.durable))).all()
    assert stored == []


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
async def outbox_url(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[str]:
    async with outbox_databases(request.param, tmp_path) as url:
        yield url


@pytest.fixture
async def outbox_db(outbox_url: str) -> AsyncIterator[Database]:
    db = await migrated(outbox_url)
    yield db
    await db.close()


async def test_embedded_bus_holds_later_events_until_a_failing_one_succeeds(
    outbox_db: Database,
) -> None:
    bus = OutboxBus(outbox_db, retry_delay_s=0.01)
    received = Received()
    failures = 3
    first, second = user_event("first"), user_event("second")

    async def handler(event: Event) -> None:
        nonlocal failures
        if event.id == first.id and failures:
            failures -= 1
            raise RuntimeError("not yet")
        await received(event)

    try:
        await bus.subscribe("ordered", [USER], handler)
        await bus.publish(first)
        await bus.publish(second)
        await received.wait_for(lambda: len(received.events) == 2)
        assert received.ids == [first.id, second.id]
    finally:
        await bus.close()


async def test_embedded_bus_refuses_a_second_subscription_with_the_same_durable(
    outbox_db: Database,
) -> None:
    bus = OutboxBus(outbox_db)
    try:
        await bus.subscribe("one", [USER], Received())
        with pytest.raises(ValueError, match="one"):
            await bus.subscribe("one", [USER], Received())
    finally:
        await bus.close()


async def test_embedded_durable_resumes_where_it_stopped_after_a_restart(
    outbox_url: str,
) -> None:
    """Like NATS: what is published while no process consumes a durable waits for it, and a
    restarted consumer gets only what it had not handled."""
    db = await migrated(outbox_url)
    before = OutboxBus(db, poll_interval_s=0.1)
    seen_before = Received()
    await before.subscribe("resumer", [USER], seen_before)
    old = [user_event("old1"), user_event("old2")]
    for event in old:
        await before.publish(event)
    await seen_before.wait_for(lambda: len(seen_before.events) == 2)
    await before.close()
    await db.close()

    db = await migrated(outbox_url)
    after = OutboxBus(db, poll_interval_s=0.1)
    try:
        missed = user_event("missed")
        await after.publish(missed)
        seen_after = Received()
        await after.subscribe("resumer", [USER], seen_after)
        live = user_event("live")
        await after.publish(live)
        await seen_after.wait_for_id(live.id)
        assert seen_after.ids == [missed.id, live.id]
    finally:
        await after.close()
        await db.close()


async def test_embedded_bus_drops_a_republished_event_id(outbox_db: Database) -> None:
    bus = OutboxBus(outbox_db)
    received = Received()
    try:
        await bus.subscribe("dedupe", [USER], received)
        event, last = user_event("once"), user_event("last")
        await bus.publish(event)
        await bus.publish(event)
        await bus.publish(last)
        await received.wait_for_id(last.id)
        assert received.ids == [event.id, last.id]
    finally:
        await bus.close()


@pytest.mark.nats
async def test_nats_durable_resumes_where_it_stopped_after_resubscribing(
    new_nats_bus: NatsBusFactory,
) -> None:
    before = await new_nats_bus()
    seen_before = Received()
    await before.subscribe("resumer", [USER], seen_before)
    old = [user_event("old1"), user_event("old2")]
    for event in old:
        await before.publish(event)
    await seen_before.wait_for(lambda: len(seen_before.events) == 2)
    await before.close()

    # Published while no process consumes "resumer": kept in the stream for it.
    after = await new_nats_bus()
    missed = user_event("missed")
    await after.publish(missed)
    seen_after = Received()
    await after.subscribe("resumer", [USER], seen_after)
    live = user_event("live")
    await after.publish(live)
    await seen_after.wait_for_id(live.id)
    assert seen_after.ids == [missed.id, live.id]


@pytest.mark.nats
async def test_nats_drops_a_republished_event_id(new_nats_bus: NatsBusFactory) -> None:
    bus = await new_nats_bus()
    received = Received()
    await bus.subscribe("dedupe", [USER], received)
    event, last = user_event("once"), user_event("last")
    await bus.publish(event)
    await bus.publish(event)
    await bus.publish(last)
    await received.wait_for_id(last.id)
    assert received.ids == [event.id, last.id]


@pytest.mark.nats
async def test_nats_publish_fails_promptly_while_the_server_is_down_and_works_after(
    nats_server_factory: Callable[[], Awaitable[NatsServer]],
) -> None:
    server = await nats_server_factory()
    bus = await NatsBus.connect(server.url, "DOWN", publish_timeout_s=1.0)
    received = Received()
    try:
        await bus.subscribe("down", [USER], received)
        await server.stop()
        started = time.monotonic()
        with pytest.raises(Unavailable):
            await bus.publish(user_event())
        assert time.monotonic() - started < 2.0
        await server.start()
        after = user_event("after")
        async with asyncio.timeout(10):
            while True:
                try:
                    await bus.publish(after)
                    break
                except Unavailable:
                    await asyncio.sleep(0.1)
        await received.wait_for_id(after.id)
    finally:
        await bus.close()


@pytest.mark.nats
async def test_nats_connect_fails_naming_the_url_when_nothing_listens() -> None:
    started = time.monotonic()
    with pytest.raises(ConnectionError, match=r"nats://127\.0\.0\.1:1"):
        await NatsBus.connect("nats://127.0.0.1:1", "NOPE", connect_timeout_s=0.5)
    assert time.monotonic() - started < 3.0


async def test_open_bus_is_the_embedded_one_without_a_nats_url(tmp_path: Path) -> None:
    db = Database(f"sqlite+aiosqlite:///{tmp_path / 'open.db'}")
    bus = await open_bus(Settings(nats_url=None), db)
    assert isinstance(bus, OutboxBus)
    await bus.close()
    await db.close()


@pytest.mark.nats
async def test_open_bus_uses_nats_with_the_configured_stream(nats_url: str, tmp_path: Path) -> None:
    stream = make_unique_name("T")
    db = Database(f"sqlite+aiosqlite:///{tmp_path / 'open.db'}")
    bus = await open_bus(Settings(nats_url=nats_url, nats_stream=stream), db)
    try:
        assert isinstance(bus, NatsBus)
        assert bus.stream == stream
        received = Received()
        await bus.subscribe("open", [USER], received)
        event = user_event()
        await bus.publish(event)
        await received.wait_for_id(event.id)
    finally:
        await bus.close()
        await db.close()
        await delete_stream(nats_url, stream)
