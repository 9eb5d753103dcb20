"""The transactional outbox: events commit with their change, then a relay publishes them.

With NATS the relay copies each row to JetStream. Embedded, the table is the bus itself
(`OutboxBus`): the relay gives each committed row its place in one order, and each durable
consumer reads the rows in that order from where it stopped, even across a crash.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
import math
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, cast

from google.protobuf.message import DecodeError, Message
from opentelemetry.propagate import inject
from pyat.events.v1.events_pb2 import Event
from sqlalchemy import (
    BigInteger,
    CursorResult,
    Index,
    Integer,
    LargeBinary,
    String,
    UniqueConstraint,
    and_,
    delete,
    func,
    or_,
    select,
    update,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import InterfaceError, OperationalError
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from services.shared.bus import BatchHandler, EventBus, Handler, hand_over
from services.shared.db import Database, UTCDateTime, utcnow
from services.shared.errors import Unavailable
from services.shared.ids import new_id

log = logging.getLogger(__name__)


class OutboxBase(DeclarativeBase):
    """The shared tables, migrated by services/shared/migrations."""


class OutboxRow(OutboxBase):
    __tablename__ = "outbox"
    __table_args__ = (
        UniqueConstraint("event_id", name="uq_outbox_event_id"),
        # Serves both "unpublished (NULL) in seq order" and "published before a cutoff".
        Index("ix_outbox_published_at_seq", "published_at", "seq"),
        Index("uq_outbox_published_seq", "published_seq", unique=True),
    )

    # BIGINT on PostgreSQL; on SQLite only INTEGER PRIMARY KEY auto-increments.
    seq: Mapped[int] = mapped_column(
        BigInteger().with_variant(Integer(), "sqlite"), primary_key=True, autoincrement=True
    )
    event_id: Mapped[str] = mapped_column(String(32))
    event_type: Mapped[str] = mapped_column(String(255))
    tenant_id: Mapped[str] = mapped_column(String(64))
    # The serialized Event envelope, exactly as it will be published.
    payload: Mapped[bytes] = mapped_column(LargeBinary)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    published_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime, nullable=True)
    # The embedded bus's order, given when it publishes the row (see
    # OutboxBus.publish_pending); its consumers read in it. Always NULL with NATS.
    published_seq: Mapped[int | None] = mapped_column(BigInteger, nullable=True)


# The one row of outbox_sequence.
_SEQUENCE_ROW = 1
# Beyond any position a consumer can reach.
_END = 2**62


class OutboxSequence(OutboxBase):
    """The last `published_seq` given. Updating its row is the embedded bus's write lock."""

    __tablename__ = "outbox_sequence"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    last: Mapped[int] = mapped_column(BigInteger)


class OutboxConsumer(OutboxBase):
    """A durable consumer of the embedded bus: it is done with every event up to `position`."""

    __tablename__ = "outbox_consumers"

    durable: Mapped[str] = mapped_column(String(255), primary_key=True)
    position: Mapped[int] = mapped_column(BigInteger)
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)


def add_event(session: AsyncSession, payload: Message, *, tenant_id: str, source: str) -> Event:
    """Add an event to the caller's transaction: it is published only if that commits.

    Call `OutboxRelay.notify()` after the commit to publish it without waiting for a poll.
    """
    now = utcnow()
    trace_context: dict[str, str] = {}
    inject(trace_context)
    event = Event(
        id=new_id("evt"),
        type=payload.DESCRIPTOR.full_name,
        tenant_id=tenant_id,
        source=source,
        trace_context=trace_context,
    )
    event.occurred_at.FromDatetime(now)
    event.payload.Pack(payload)
    session.add(
        OutboxRow(
            event_id=event.id,
            event_type=event.type,
            tenant_id=tenant_id,
            payload=event.SerializeToString(),
            created_at=now,
        )
    )
    return event


@dataclass
class _Consumer:
    durable: str
    event_types: tuple[str, ...]
    # The events of one read, in order: a batch handler's, or one at a time to a handler.
    handler: BatchHandler
    # Done with every event up to here; `saved` is what the database holds.
    position: int = 0
    saved: int = 0
    saved_at: float = -math.inf
    wake: asyncio.Event = field(default_factory=asyncio.Event)
    task: asyncio.Task[None] | None = None
    # A listener (`OutboxBus.listen`) keeps its position in memory only.
    stored: bool = True


class OutboxBus(EventBus):
    """The embedded bus, durable as NATS is: the outbox table is its log.

    Publishing gives a row the next `published_seq`. Each durable consumer reads the rows
    after its stored position in that order, hands them to its handler one at a time and
    stores its new position after each batch. A process killed at any point resumes where it
    stopped: an event handled but not yet stored is delivered again (handlers drop it by id),
    none is lost. A failing handler is retried with backoff and holds back the events behind
    it. Processes sharing the database share the log, but a durable name consumed in two
    processes gets every event in each (NATS shares them out).
    """

    def __init__(
        self,
        db: Database,
        *,
        batch_size: int = 100,
        poll_interval_s: float = 0.5,
        retry_delay_s: float = 0.05,
        max_retry_delay_s: float = 5.0,
        save_every_s: float = 1.0,
    ) -> None:
        self._db = db
        self._batch_size = batch_size
        # Events published by another process are found by polling; this process's wake us.
        self._poll_interval_s = poll_interval_s
        self._retry_delay_s = retry_delay_s
        self._max_retry_delay_s = max_retry_delay_s
        # A position that only skipped events of other types is stored at most this often.
        self._save_every_s = save_every_s
        self._consumers: dict[str, _Consumer] = {}
        self._listeners: list[_Consumer] = []
        self._closed = False

    async def publish(self, event: Event) -> None:
        """Append `event` to the log; an id already there is dropped, as NATS drops one.

        Events of the outbox are published by the relay through `publish_pending` instead.
        """
        if self._closed:
            raise Unavailable("event bus is closed")
        now = utcnow()
        insert = sqlite.insert if self._db.is_sqlite else postgresql.insert
        try:
            async with self._db.transaction() as session:
                last = await _lock_sequence(session)
                added = await session.execute(
                    insert(OutboxRow)
                    .values(
                        event_id=event.id,
                        event_type=event.type,
                        tenant_id=event.tenant_id,
                        payload=event.SerializeToString(),
                        created_at=now,
                        published_at=now,
                        published_seq=last + 1,
                    )
                    .on_conflict_do_nothing(index_elements=[OutboxRow.event_id])
                    .returning(OutboxRow.seq)
                )
                if added.first() is not None:
                    await _set_sequence(session, last + 1)
        except (OperationalError, InterfaceError, OSError) as exc:
            raise Unavailable(f"cannot publish event {event.id}: {exc!r}") from exc
        self._wake_consumers()

    async def publish_pending(self, limit: int) -> int:
        """Publish up to `limit` committed outbox rows, oldest seq first; returns how many.

        Consumers cannot follow `seq`: on PostgreSQL commit order is not seq order (a
        transaction holding seq 5 may commit after one holding seq 6, and a reader past 6
        would never see 5). So rows get a `published_seq` here, once committed, from one
        writer at a time: the counter row's lock is held until commit, which makes every
        `published_seq` visible only after all smaller ones. A consumer past N misses nothing.
        """
        async with self._db.read() as session:
            pending = select(OutboxRow.seq).where(OutboxRow.published_at.is_(None))
            if await session.scalar(pending.limit(1)) is None:
                return 0  # the common case, without taking the write lock
        now = utcnow()
        async with self._db.transaction() as session:
            # The lock first: it also keeps other relays off these rows until commit.
            last = await _lock_sequence(session)
            seqs = (await session.scalars(pending.order_by(OutboxRow.seq).limit(limit))).all()
            if seqs:
                # One UPDATE by primary key, executed for every row.
                await session.execute(
                    update(OutboxRow),
                    [
                        {"seq": seq, "published_seq": last + number, "published_at": now}
                        for number, seq in enumerate(seqs, start=1)
                    ],
                )
                await _set_sequence(session, last + len(seqs))
        if seqs:
            self._wake_consumers()
        return len(seqs)

    async def subscribe(self, durable: str, event_types: Sequence[str], handler: Handler) -> None:
        # Events of the batch being delivered that the handler took; a retry of the batch
        # skips them.
        handled: set[str] = set()

        async def one_at_a_time(events: Sequence[Event]) -> None:
            for event in events:
                if event.id not in handled:
                    await handler(event)
                    handled.add(event.id)
            handled.clear()

        await self.subscribe_batches(durable, event_types, one_at_a_time)

    async def subscribe_batches(
        self, durable: str, event_types: Sequence[str], handler: BatchHandler
    ) -> None:
        if self._closed:
            raise Unavailable("event bus is closed")
        if not 0 < len(durable) <= 255:
            raise ValueError("a durable name has 1 to 255 characters")
        if durable in self._consumers:
            raise ValueError(f"durable {durable!r} is already subscribed on this bus")
        consumer = _Consumer(durable, tuple(sorted(set(event_types))), handler)
        self._consumers[durable] = consumer
        try:
            consumer.position = consumer.saved = await self._join(durable)
        except BaseException:
            del self._consumers[durable]
            raise
        consumer.task = asyncio.create_task(self._consume(consumer), name=f"bus:{durable}")

    async def listen(self, event_types: Sequence[str], handler: Handler) -> None:
        """An in-memory consumer that starts at the head of the log and stores nothing."""
        if self._closed:
            raise Unavailable("event bus is closed")
        name = f"listener-{len(self._listeners) + 1}"

        async def each(events: Sequence[Event]) -> None:
            for event in events:
                await hand_over(handler, event, name)

        consumer = _Consumer(name, tuple(sorted(set(event_types))), each, stored=False)
        async with self._db.read() as session:
            head = await session.scalar(
                select(OutboxSequence.last).where(OutboxSequence.id == _SEQUENCE_ROW)
            )
        consumer.position = consumer.saved = head or 0
        self._listeners.append(consumer)
        consumer.task = asyncio.create_task(self._consume(consumer), name=f"bus:{name}")

    async def close(self) -> None:
        if self._closed:
            return
        self._closed = True
        tasks = [c.task for c in self._consumers.values() if c.task is not None]
        tasks += [c.task for c in self._listeners if c.task is not None]
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        # Store what was handled, so a graceful restart delivers nothing twice.
        for consumer in self._consumers.values():
            try:
                await self._save(consumer)
            except Exception as exc:
                log.warning("consumer %s: position not stored at close: %r", consumer.durable, exc)
        self._consumers.clear()
        self._listeners.clear()

    def _wake_consumers(self) -> None:
        for consumer in self._consumers.values():
            consumer.wake.set()
        for listener in self._listeners:
            listener.wake.set()

    async def _join(self, durable: str) -> int:
        """The stored position of `durable`; a new one starts at the oldest event kept."""
        insert = sqlite.insert if self._db.is_sqlite else postgresql.insert
        async with self._db.transaction() as session:
            await session.execute(
                insert(OutboxConsumer)
                .values(durable=durable, position=0, updated_at=utcnow())
                .on_conflict_do_nothing(index_elements=[OutboxConsumer.durable])
            )
            position = await session.scalar(
                select(OutboxConsumer.position).where(OutboxConsumer.durable == durable)
            )
        return position or 0

    async def _consume(self, consumer: _Consumer) -> None:
        backoff = self._retry_delay_s
        # Also checked, not only cancelled: on Python 3.11 a wait_for that times out as it is
        # cancelled swallows the cancellation, and the loop would run on after close.
        while not self._closed:
            # Cleared before reading, so a wake during the work is not lost.
            consumer.wake.clear()
            try:
                rows, head = await self._read(consumer)
                if rows:
                    await self._deliver(consumer, [payload for _, payload in rows])
                    consumer.position = rows[-1][0]
                if len(rows) < self._batch_size:
                    # Nothing else up to head is for this consumer.
                    consumer.position = max(consumer.position, head)
                if rows or time.monotonic() - consumer.saved_at >= self._save_every_s:
                    await self._save(consumer)
            except Exception:
                # The database is unreachable, say; keep trying, as a dead consumer is silent.
                log.exception(
                    "consumer %s: reading events or storing its place failed", consumer.durable
                )
                await asyncio.sleep(backoff)
                backoff = min(backoff * 2, self._max_retry_delay_s)
                continue
            backoff = self._retry_delay_s
            if len(rows) == self._batch_size:
                continue  # a full batch: there is probably more
            try:
                await asyncio.wait_for(consumer.wake.wait(), timeout=self._poll_interval_s)
            except TimeoutError:
                pass

    async def _read(self, consumer: _Consumer) -> tuple[list[tuple[int, bytes]], int]:
        """The next batch of the consumer's events, and the last published_seq given."""
        async with self._db.read() as session:
            head = await session.scalar(
                select(OutboxSequence.last).where(OutboxSequence.id == _SEQUENCE_ROW)
            )
            head = head or 0
            if head <= consumer.position:
                return [], head
            # Every row up to head is committed (see publish_pending), so none comes later.
            query = select(OutboxRow.published_seq, OutboxRow.payload).where(
                OutboxRow.published_seq > consumer.position, OutboxRow.published_seq <= head
            )
            if consumer.event_types:
                query = query.where(OutboxRow.event_type.in_(consumer.event_types))
            query = query.order_by(OutboxRow.published_seq).limit(self._batch_size)
            rows = (await session.execute(query)).all()
        return [(cast(int, published_seq), payload) for published_seq, payload in rows], head

    async def _deliver(self, consumer: _Consumer, payloads: Sequence[bytes]) -> None:
        """Hand one read's events to the handler until it takes them."""
        events = []
        for payload in payloads:
            try:
                events.append(Event.FromString(payload))
            except DecodeError:
                # It can never be handled; retrying it would only block the consumer.
                log.error("consumer %s: skipping an undecodable event", consumer.durable)
        if not events:
            return
        delay = self._retry_delay_s
        while True:
            try:
                await consumer.handler(events)
                return
            except Exception:
                log.exception(
                    "consumer %s: handler failed on %d event(s) from %s (%s); retrying in %.2fs",
                    consumer.durable,
                    len(events),
                    events[0].id,
                    events[0].type,
                    delay,
                )
            await asyncio.sleep(delay)
            delay = min(delay * 2, self._max_retry_delay_s)

    async def _save(self, consumer: _Consumer) -> None:
        position = consumer.position
        if position != consumer.saved and consumer.stored:
            async with self._db.transaction() as session:
                # Never backwards, should another process consume the same durable.
                await session.execute(
                    update(OutboxConsumer)
                    .where(OutboxConsumer.durable == consumer.durable)
                    .where(OutboxConsumer.position < position)
                    .values(position=position, updated_at=utcnow()),
                    execution_options={"synchronize_session": False},
                )
            consumer.saved = position
        consumer.saved_at = time.monotonic()


async def _lock_sequence(session: AsyncSession) -> int:
    """The last published_seq given, its row locked until the transaction ends.

    An UPDATE, not a SELECT: SQLite then takes its write lock at once, too.
    """
    last: int | None = await session.scalar(
        update(OutboxSequence)
        .where(OutboxSequence.id == _SEQUENCE_ROW)
        .values(last=OutboxSequence.last)
        .returning(OutboxSequence.last),
        execution_options={"synchronize_session": False},
    )
    if last is None:
        raise RuntimeError("outbox_sequence has no row: are the shared migrations applied?")
    return last


async def _set_sequence(session: AsyncSession, last: int) -> None:
    await session.execute(
        update(OutboxSequence).where(OutboxSequence.id == _SEQUENCE_ROW).values(last=last),
        execution_options={"synchronize_session": False},
    )


class OutboxRelay:
    """Publishes committed outbox rows to the bus in seq order and marks them published.

    Nothing is skipped: a row stays pending until the bus has taken it, so an event may be
    published twice (after a crash between publish and mark) but never lost. Several relays
    may share one PostgreSQL database; rows are claimed with FOR UPDATE SKIP LOCKED. With the
    embedded bus the rows stay where they are: publishing gives them their published_seq.
    """

    def __init__(
        self,
        db: Database,
        bus: EventBus,
        *,
        batch_size: int = 100,
        poll_interval_s: float = 0.5,
        min_backoff_s: float = 0.1,
        max_backoff_s: float = 5.0,
        retention: dt.timedelta = dt.timedelta(days=1),
        max_age: dt.timedelta = dt.timedelta(days=7),
        prune_every_s: float = 600.0,
    ) -> None:
        self._db = db
        self._bus = bus
        self._embedded = bus if isinstance(bus, OutboxBus) else None
        self._batch_size = batch_size
        self._poll_interval_s = poll_interval_s
        self._min_backoff_s = min_backoff_s
        self._max_backoff_s = max_backoff_s
        self._retention = retention
        self._max_age = max_age
        self._prune_every_s = prune_every_s
        self._last_prune = -math.inf
        self._wake = asyncio.Event()
        self._stopping = asyncio.Event()
        # The background loop and drain() must not publish the same rows side by side.
        self._lock = asyncio.Lock()
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        """Start relaying in the background (idempotent)."""
        if self._task is None or self._task.done():
            self._stopping.clear()
            self._task = asyncio.create_task(self._run(), name="outbox-relay")

    def notify(self) -> None:
        """Publish pending events now rather than at the next poll."""
        self._wake.set()

    async def drain(self) -> None:
        """Publish everything pending now. Raises `Unavailable` if the bus is down."""
        while await self._publish_batch() == self._batch_size:
            pass

    async def stop(self, timeout_s: float = 10.0) -> None:
        """Let the current batch finish (cancelling it after `timeout_s`) and stop."""
        task, self._task = self._task, None
        if task is None:
            return
        self._stopping.set()
        self._wake.set()
        try:
            await asyncio.wait_for(task, timeout=timeout_s)
        except TimeoutError:
            log.warning("outbox relay did not stop within %.1fs; cancelled it", timeout_s)

    async def prune(self) -> int:
        """Delete what no consumer needs any more; returns how many rows.

        That is a row published longer ago than the retention which every durable consumer
        of the embedded bus has passed (with NATS no row has a published_seq: the stream
        keeps its own copy). Past the max age a row goes whoever has not handled it, as a
        NATS stream drops it: a consumer gone for good must not keep the table growing.
        """
        now = utcnow()
        passed = select(func.coalesce(func.min(OutboxConsumer.position), _END)).scalar_subquery()
        old = OutboxRow.published_at < now - self._retention
        expired = OutboxRow.published_at < now - self._max_age
        last_expired = select(func.max(OutboxRow.published_seq)).where(expired).scalar_subquery()
        async with self._db.transaction() as session:
            behind = (
                await session.scalars(
                    select(OutboxConsumer.durable).where(OutboxConsumer.position < last_expired)
                )
            ).all()
            result = await session.execute(
                delete(OutboxRow).where(
                    or_(
                        expired,
                        and_(
                            old,
                            or_(
                                OutboxRow.published_seq.is_(None), OutboxRow.published_seq <= passed
                            ),
                        ),
                    )
                ),
                execution_options={"synchronize_session": False},
            )
        if behind:
            log.warning(
                "outbox: dropped events older than %s that consumers %s never handled",
                self._max_age,
                ", ".join(behind),
            )
        return cast("CursorResult[Any]", result).rowcount

    async def _run(self) -> None:
        backoff = self._min_backoff_s
        while not self._stopping.is_set():
            # Cleared before the work, so a notify() that arrives during it is not lost.
            self._wake.clear()
            try:
                claimed = await self._publish_batch()
                await self._prune_now_and_then()
            except Unavailable as exc:
                log.warning("outbox: bus unavailable (%s); retrying in %.1fs", exc, backoff)
                await self._sleep_unless_stopping(backoff)
                backoff = min(backoff * 2, self._max_backoff_s)
                continue
            except Exception:
                log.exception("outbox: relay failed; retrying in %.1fs", backoff)
                await self._sleep_unless_stopping(backoff)
                backoff = min(backoff * 2, self._max_backoff_s)
                continue
            backoff = self._min_backoff_s
            if claimed == self._batch_size:
                continue  # a full batch: there is probably more
            try:
                # The poll is a backstop for a notify() that never came (another process).
                await asyncio.wait_for(self._wake.wait(), timeout=self._poll_interval_s)
            except TimeoutError:
                pass

    async def _sleep_unless_stopping(self, seconds: float) -> None:
        try:
            await asyncio.wait_for(self._stopping.wait(), timeout=seconds)
        except TimeoutError:
            pass

    async def _publish_batch(self) -> int:
        """Publish the oldest pending rows and mark them; returns how many were claimed."""
        async with self._lock:
            if self._embedded is not None:
                return await self._embedded.publish_pending(self._batch_size)
            failure: Unavailable | None = None
            async with self._db.transaction() as session:
                # On PostgreSQL the row locks keep other relays off these rows until commit;
                # SQLite ignores FOR UPDATE (one relay per SQLite database).
                rows = (
                    await session.execute(
                        select(OutboxRow.seq, OutboxRow.payload)
                        .where(OutboxRow.published_at.is_(None))
                        .order_by(OutboxRow.seq)
                        .limit(self._batch_size)
                        .with_for_update(skip_locked=True)
                    )
                ).all()
                sent: list[int] = []
                for seq, payload in rows:
                    try:
                        await self._bus.publish(Event.FromString(payload))
                    except Unavailable as exc:
                        # Stop here, so later events never overtake this one.
                        failure = exc
                        break
                    sent.append(seq)
                if sent:
                    # Commit what got through, so it is not published again after the outage.
                    await session.execute(
                        update(OutboxRow)
                        .where(OutboxRow.seq.in_(sent))
                        .values(published_at=utcnow()),
                        execution_options={"synchronize_session": False},
                    )
            if failure is not None:
                raise failure
            return len(rows)

    async def _prune_now_and_then(self) -> None:
        now = time.monotonic()
        if now - self._last_prune < self._prune_every_s:
            return
        self._last_prune = now
        pruned = await self.prune()
        if pruned:
            log.info("outbox: pruned %d published events", pruned)
