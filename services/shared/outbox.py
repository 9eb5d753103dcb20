"""The transactional outbox: events commit with their change, then a relay publishes them."""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
import math
import time
from typing import Any, cast

from google.protobuf.message import Message
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
    delete,
    select,
    update,
)
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from services.shared.bus import EventBus
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


class OutboxRelay:
    """Publishes committed outbox rows to the bus in seq order and marks them published.

    Nothing is skipped: a row stays pending until the bus has taken it, so an event may be
    published twice (after a crash between publish and mark) but never lost. Several relays
    may share one PostgreSQL database; rows are claimed with FOR UPDATE SKIP LOCKED.
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
        prune_every_s: float = 600.0,
    ) -> None:
        self._db = db
        self._bus = bus
        self._batch_size = batch_size
        self._poll_interval_s = poll_interval_s
        self._min_backoff_s = min_backoff_s
        self._max_backoff_s = max_backoff_s
        self._retention = retention
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
        """Delete rows published longer ago than the retention; returns how many."""
        cutoff = utcnow() - self._retention
        async with self._db.transaction() as session:
            result = await session.execute(
                delete(OutboxRow).where(OutboxRow.published_at < cutoff),
                execution_options={"synchronize_session": False},
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
