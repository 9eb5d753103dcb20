"""Live changes of a table for many watchers at once.

One `Tail` per watched table per process reads the table's change log (airtable-gateway
ListRecordChanges) and hands each change to every watcher that is at the tail's position
("joined"). Cursors are opaque, so a watcher that starts elsewhere (an older cursor, say) reads
for itself, in the tail's rounds, until its cursor is the tail's; from then on it is joined.
The tail is woken by record events on the bus (`EventBus.listen`) and polls as a fallback.

Each watcher has a bounded queue: a watcher too slow to keep up is ended with
RESOURCE_EXHAUSTED and resumes from the cursor it last received, so no watcher slows the
tail, the writers or the others.
"""

from __future__ import annotations

import asyncio
import contextvars
import logging
from collections.abc import Sequence
from dataclasses import dataclass, field

import grpc
from pyat.airtable.v1 import airtable_gateway_pb2 as records_pb2
from pyat.events.v1 import events_pb2
from pyat.events.v1.events_pb2 import Event

from services.shared import identity
from services.shared.bus import EventBus
from services.shared.errors import (
    DomainError,
    FailedPrecondition,
    PermissionDenied,
    ResourceExhausted,
)
from services.shared.identity import Caller
from services.web_bff.upstream import Upstream

log = logging.getLogger(__name__)

# The name calls made for watchers go out under, as when serving WebBffService itself.
SERVING_AS = "WebBffService"
MAX_WATCHERS = 10_000
MAX_WATCHERS_PER_CALLER = 20
QUEUE_SIZE = 1_000
POLL_S = 2.0
# Pages read in one round before the watchers are served and the next round starts.
_PAGES_PER_ROUND = 10
_PAGE_SIZE = 500
# Watchers reading for themselves at once.
_SOLO_CONCURRENCY = 16
# Failures of a read that a later round may not have.
_TRANSIENT = frozenset({grpc.StatusCode.UNAVAILABLE, grpc.StatusCode.DEADLINE_EXCEEDED})
# Failures that say the reading watcher itself may no longer read the table.
_NO_ACCESS = frozenset({grpc.StatusCode.PERMISSION_DENIED, grpc.StatusCode.NOT_FOUND})
_RECORD_EVENTS = {
    events_pb2.RecordCreated.DESCRIPTOR.full_name: events_pb2.RecordCreated,
    events_pb2.RecordUpdated.DESCRIPTOR.full_name: events_pb2.RecordUpdated,
    events_pb2.RecordDeleted.DESCRIPTOR.full_name: events_pb2.RecordDeleted,
}

TableKey = tuple[str, str, str]  # tenant id, base id, table id


def access_lost() -> PermissionDenied:
    return PermissionDenied("you may no longer read this table", reason="ACCESS_REVOKED")


@dataclass(eq=False)
class Watcher:
    """One WatchTable stream: what it has been handed and not yet sent, and how it ended."""

    caller: Caller
    # The position after the last change handed over (or where it started).
    cursor: str
    queue_size: int = QUEUE_SIZE
    joined: bool = False
    ended: DomainError | None = None
    queue: asyncio.Queue[records_pb2.RecordChange] = field(init=False)
    # Set when a change arrives or the watcher ends.
    ready: asyncio.Event = field(default_factory=asyncio.Event)

    def __post_init__(self) -> None:
        self.queue = asyncio.Queue(maxsize=self.queue_size)

    def offer(self, change: records_pb2.RecordChange) -> None:
        if self.ended is not None:
            return
        try:
            self.queue.put_nowait(change)
        except asyncio.QueueFull:
            self.end(
                ResourceExhausted(
                    "this watcher fell too far behind; resume from the last cursor received",
                    reason="WATCHER_TOO_SLOW",
                )
            )
            return
        self.ready.set()

    def end(self, error: DomainError) -> None:
        """Stop the stream with `error` once what was already sent is through."""
        if self.ended is None:
            self.ended = error
            # What was not sent yet is read again after the resume.
            while not self.queue.empty():
                self.queue.get_nowait()
        self.ready.set()


class Tail:
    """The reader of one table's changes for all its watchers in this process."""

    def __init__(self, hub: Hub, key: TableKey, cursor: str) -> None:
        self.hub = hub
        self.key = key
        self.cursor = cursor
        self.watchers: list[Watcher] = []
        self.wake = asyncio.Event()
        # A fresh context: the tail outlives the call that started it (and its deadline).
        self.task = asyncio.create_task(
            self._run(), name=f"tail:{key[1]}/{key[2]}", context=contextvars.Context()
        )

    def add(self, watcher: Watcher) -> None:
        watcher.joined = watcher.cursor == self.cursor
        self.watchers.append(watcher)
        if not watcher.joined:
            self.wake.set()  # its catching up starts now, not at the next poll

    def remove(self, watcher: Watcher) -> None:
        if watcher in self.watchers:
            self.watchers.remove(watcher)
        if not self.watchers:
            self.wake.set()  # to end now

    async def _run(self) -> None:
        try:
            while True:
                self.watchers = [w for w in self.watchers if w.ended is None]
                if not self.watchers:
                    break
                self.wake.clear()
                more = False
                try:
                    more = await self._round()
                except Exception:
                    log.exception("tail %s: a round failed", self.key)
                if more:
                    continue
                try:
                    await asyncio.wait_for(self.wake.wait(), timeout=self.hub.poll_s)
                except TimeoutError:
                    pass
        finally:
            # No await between the last look at the watchers and leaving the hub, so a
            # watcher added meanwhile finds a new tail instead of this one.
            self.hub.forget(self)

    async def _round(self) -> bool:
        """Read for the joined watchers and then for the others; whether more is waiting."""
        more = await self._read_joined()
        solos = [w for w in self.watchers if not w.joined and w.ended is None]
        if solos:
            gate = asyncio.Semaphore(_SOLO_CONCURRENCY)

            async def catch_up(watcher: Watcher) -> bool:
                async with gate:
                    return await self._read_solo(watcher)

            results = await asyncio.gather(*(catch_up(w) for w in solos))
            more = more or any(results)
            if not any(w.joined for w in self.watchers if w.ended is None):
                # Nobody at the tail's position: it moves to the first of them.
                for watcher in solos:
                    if watcher.ended is None:
                        self.cursor = watcher.cursor
                        break
            for watcher in solos:
                if watcher.ended is None and watcher.cursor == self.cursor:
                    watcher.joined = True
        return more

    async def _read_joined(self) -> bool:
        for reader in [w for w in self.watchers if w.joined and w.ended is None][:3]:
            try:
                changes, cursor, more = await self._read(reader, self.cursor)
            except DomainError as error:
                if error.code in _NO_ACCESS:
                    reader.end(access_lost())  # read as another
                    continue
                if error.code in _TRANSIENT:
                    log.info("tail %s: read failed (%s); retrying", self.key, error.code.name)
                    return False
                for watcher in self.watchers:
                    if watcher.joined:
                        watcher.end(error)
                return False
            # No await from here on: the watchers joined now are the ones at `self.cursor`.
            joined = [w for w in self.watchers if w.joined and w.ended is None]
            for change in changes:
                for watcher in joined:
                    watcher.offer(change)
            self.cursor = cursor
            for watcher in joined:
                watcher.cursor = cursor
            return more
        return False

    async def _read_solo(self, watcher: Watcher) -> bool:
        try:
            changes, cursor, more = await self._read(watcher, watcher.cursor)
        except DomainError as error:
            if error.code in _NO_ACCESS:
                watcher.end(access_lost())
            elif error.code not in _TRANSIENT:
                watcher.end(error)
            return False
        for change in changes:
            watcher.offer(change)
        watcher.cursor = cursor
        return more

    async def _read(
        self, reader: Watcher, after: str
    ) -> tuple[list[records_pb2.RecordChange], str, bool]:
        """Up to a round's pages of changes after `after`, read as `reader`."""
        identity.act_as(reader.caller.on_behalf(SERVING_AS))
        _, base_id, table_id = self.key
        found: list[records_pb2.RecordChange] = []
        cursor = after
        for _ in range(_PAGES_PER_ROUND):
            try:
                page = await self.hub.upstream.changes(
                    base_id, table_id, after=cursor, page_size=_PAGE_SIZE
                )
            except DomainError as error:
                if error.code is grpc.StatusCode.FAILED_PRECONDITION:
                    raise FailedPrecondition(
                        error.message or "the cursor has expired; read the table afresh",
                        reason="CURSOR_EXPIRED",
                    ) from None
                if found:
                    break  # hand over what was read; the rest comes next round
                raise
            # The log is filtered by table already; this keeps a stray one out regardless.
            found.extend(c for c in page.changes if c.table_id == table_id)
            cursor = page.cursor
            if not page.has_more:
                return found, cursor, False
        return found, cursor, True


class Hub:
    """The tails of this process, and the limits on watchers."""

    def __init__(
        self,
        upstream: Upstream,
        bus: EventBus,
        *,
        max_watchers: int = MAX_WATCHERS,
        max_per_caller: int = MAX_WATCHERS_PER_CALLER,
        queue_size: int = QUEUE_SIZE,
        poll_s: float = POLL_S,
    ) -> None:
        self.upstream = upstream
        self.bus = bus
        self.max_watchers = max_watchers
        self.max_per_caller = max_per_caller
        self.queue_size = queue_size
        self.poll_s = poll_s
        self.tails: dict[TableKey, Tail] = {}
        self._count = 0
        self._per_caller: dict[tuple[str, str], int] = {}
        self._listening = False

    def admit(self, caller: Caller) -> None:
        """Count a new watcher in, or RESOURCE_EXHAUSTED when there are too many."""
        who = (caller.tenant_id, caller.user_id)
        if self._count >= self.max_watchers:
            raise ResourceExhausted(
                "this server follows too many tables right now; try again later",
                reason="TOO_MANY_WATCHERS",
            )
        if self._per_caller.get(who, 0) >= self.max_per_caller:
            raise ResourceExhausted(
                f"you may watch at most {self.max_per_caller} tables at once",
                reason="TOO_MANY_WATCHERS_PER_CALLER",
            )
        self._count += 1
        self._per_caller[who] = self._per_caller.get(who, 0) + 1

    def release(self, caller: Caller) -> None:
        who = (caller.tenant_id, caller.user_id)
        self._count -= 1
        left = self._per_caller.get(who, 1) - 1
        if left:
            self._per_caller[who] = left
        else:
            self._per_caller.pop(who, None)

    async def join(self, key: TableKey, caller: Caller, cursor: str) -> Watcher:
        await self._listen()
        watcher = Watcher(caller, cursor, self.queue_size)
        tail = self.tails.get(key)
        if tail is None:
            tail = self.tails[key] = Tail(self, key, cursor)
        tail.add(watcher)
        return watcher

    def leave(self, key: TableKey, watcher: Watcher) -> None:
        tail = self.tails.get(key)
        if tail is not None:
            tail.remove(watcher)

    def forget(self, tail: Tail) -> None:
        if self.tails.get(tail.key) is tail:
            del self.tails[tail.key]

    async def _listen(self) -> None:
        """Wake tails on record events, from the first watcher on; polling covers a failure."""
        if self._listening:
            return
        self._listening = True
        try:
            await self.bus.listen(list(_RECORD_EVENTS), self._on_event)
        except Exception as exc:
            self._listening = False
            log.warning("web-bff: cannot listen for record events (%r); polling only", exc)

    async def _on_event(self, event: Event) -> None:
        kind = _RECORD_EVENTS.get(event.type)
        if kind is None:
            return
        payload = kind()
        if not event.payload.Unpack(payload):
            return
        tail = self.tails.get((payload.tenant_id, payload.base_id, payload.table_id))
        if tail is not None:
            tail.wake.set()

    async def close(self) -> None:
        tails = list(self.tails.values())
        for tail in tails:
            tail.task.cancel()
        await asyncio.gather(*(tail.task for tail in tails), return_exceptions=True)

    def watching(self) -> Sequence[Watcher]:
        """Every watcher of this process (for tests and metrics)."""
        return [w for tail in self.tails.values() for w in tail.watchers]
