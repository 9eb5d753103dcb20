"""Indexing from events: record and schema events only mark records (or whole tables) as
waiting, which is cheap, durable and idempotent; a worker drains them in batches. It reads each
record as it is now from airtable-gateway, builds its text, embeds the texts that changed in one
call, and writes the documents and the in-memory index.

Records are read as the user who changed them: a platform caller holds no role in any base, and
airtable-gateway judges every read by role (as retyping does for its own reads).
"""

from __future__ import annotations

import asyncio
import dataclasses
import datetime as dt
import logging
import time
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import grpc
from google.protobuf import json_format
from pyat.airtable.v1 import airtable_gateway_pb2 as gw
from pyat.airtable.v1 import airtable_gateway_pb2_grpc
from pyat.events.v1 import events_pb2
from pyat.schema.v1 import schema_pb2, schema_pb2_grpc

from services.search import storage, texts
from services.search.embeddings import Embedder
from services.search.index import Indexes
from services.shared import identity
from services.shared.clients import translate
from services.shared.db import Database, utcnow
from services.shared.errors import (
    FailedPrecondition,
    InvalidArgument,
    NotFound,
    PermissionDenied,
)
from services.shared.identity import Caller
from services.shared.ids import looks_like
from services.shared.runtime import Runtime

log = logging.getLogger("pyat.search.indexer")

DURABLE = "semantic-search"
SERVICE = "search"
# Records per batch: one ListRecords page per table and one Embed call.
BATCH = 64
# How long without a wake-up before looking for waiting work anyway (left by another process
# or by a crash).
IDLE_POLL_S = 2.0
MAX_BACKOFF_S = 10.0
# How long records whose indexing failed for a passing reason wait before the next try.
RETRY_LATER = dt.timedelta(seconds=5)
SCHEMA_TTL_S = 60.0
# A table is scanned this long after its fields changed: airtable-gateway keeps a table's
# fields for up to 2 s, and would give the records as they were without the new field.
SCHEMA_SETTLE = dt.timedelta(seconds=2.5)

_RECORD_EVENTS = (events_pb2.RecordCreated, events_pb2.RecordUpdated, events_pb2.RecordDeleted)
_SCHEMA_EVENTS = (events_pb2.TableChanged, events_pb2.BaseChanged, events_pb2.FieldChanged)
EVENT_TYPES = [kind.DESCRIPTOR.full_name for kind in (*_RECORD_EVENTS, *_SCHEMA_EVENTS)]


class Schemas:
    """Tables' fields, as their records are read: kept a minute, forgotten on a schema event."""

    def __init__(self, runtime: Runtime) -> None:
        self._stub = schema_pb2_grpc.SchemaServiceStub(runtime.clients.channel("schema"))
        self._kept: dict[tuple[str, str], tuple[float, schema_pb2.Table]] = {}

    async def table(self, tenant_id: str, base_id: str, table_id: str) -> schema_pb2.Table:
        found = self._kept.get((tenant_id, table_id))
        if found is not None and time.monotonic() - found[0] < SCHEMA_TTL_S:
            return found[1]
        try:
            answer = await self._stub.GetTable(
                schema_pb2.GetTableRequest(base_id=base_id, table=table_id)
            )
        except grpc.aio.AioRpcError as err:
            raise translate("schema", err) from None
        self._kept[(tenant_id, table_id)] = (time.monotonic(), answer.table)
        if len(self._kept) > 10_000:
            self._kept.clear()
        return answer.table

    def forget(self, tenant_id: str, table_id: str) -> None:
        self._kept.pop((tenant_id, table_id), None)


@dataclass
class _Scan:
    """A table being indexed again, page by page."""

    pending: storage.Pending
    started: dt.datetime
    offset: str = ""
    seen: set[str] = field(default_factory=set)


class Indexer:
    def __init__(self, runtime: Runtime, indexes: Indexes, embedder: Embedder) -> None:
        self._db: Database = runtime.db
        self._indexes = indexes
        self._embedder = embedder
        self._schemas = Schemas(runtime)
        self._records = airtable_gateway_pb2_grpc.AirtableGatewayServiceStub(
            runtime.clients.channel("airtable-gateway")
        )
        self._window_s = runtime.settings.search_batch_window_ms / 1000
        self._wake = asyncio.Event()
        self._stopping = asyncio.Event()
        self._scan: _Scan | None = None
        self._task: asyncio.Task[None] | None = None

    # -- events -----------------------------------------------------------------------------

    async def on_events(self, events: Sequence[events_pb2.Event]) -> None:
        """One delivery: waiting rows written in one transaction; deletions applied at once."""
        now = utcnow()
        waiting: list[storage.Pending] = []
        dropped: list[tuple[str, str, str | None]] = []
        tables: list[storage.Pending] = []
        for event in events:
            message = _unpack(event)
            if message is None:
                log.error("dropping event %s: not a well-formed %s", event.id, event.type)
                continue
            if isinstance(message, _RECORD_EVENTS):
                if not looks_like(message.record_id, "rec"):
                    log.error("dropping event %s: no record id", event.id)
                    continue
                waiting.append(
                    storage.Pending(
                        message.tenant_id,
                        message.base_id,
                        message.table_id,
                        message.record_id,
                        message.actor_id,
                        now,
                    )
                )
            elif isinstance(message, events_pb2.BaseChanged):
                if message.change == "deleted":
                    dropped.append((message.tenant_id, message.base_id, None))
            elif isinstance(message, events_pb2.TableChanged):
                self._schemas.forget(message.tenant_id, message.table_id)
                if message.change == "deleted":
                    dropped.append((message.tenant_id, message.base_id, message.table_id))
            elif isinstance(message, events_pb2.FieldChanged):
                self._schemas.forget(message.tenant_id, message.table_id)
                tables.append(
                    storage.Pending(
                        message.tenant_id,
                        message.base_id,
                        message.table_id,
                        "",
                        message.actor_id,
                        now,
                    )
                )
        async with self._db.transaction() as session:
            await storage.queue_records(session, waiting)
            for table in tables:
                await storage.queue_table(session, table)
            # After the queuing: a record written just before its table was deleted stays gone.
            for tenant_id, base_id, table_id in dropped:
                await storage.forget(session, tenant_id, base_id, table_id)
        for tenant_id, base_id, table_id in dropped:
            self._indexes.drop(tenant_id, base_id, table_id)
        if waiting or tables:
            self._wake.set()

    # -- the worker -------------------------------------------------------------------------

    def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name="search:indexer")

    async def stop(self) -> None:
        self._stopping.set()
        self._wake.set()
        if self._task is not None:
            try:
                await asyncio.wait_for(asyncio.shield(self._task), timeout=2.0)
            except (TimeoutError, asyncio.CancelledError):
                self._task.cancel()
                await asyncio.gather(self._task, return_exceptions=True)

    async def _run(self) -> None:
        backoff = 0.1
        while not self._stopping.is_set():
            self._wake.clear()
            try:
                more = await self.drain_once()
            except Exception:
                log.exception("indexing a batch failed; retrying in %.1fs", backoff)
                await self._pause(backoff)
                backoff = min(backoff * 2, MAX_BACKOFF_S)
                continue
            backoff = 0.1
            if more:
                continue
            await self._pause(IDLE_POLL_S, wakeable=True)
            # No window by default: changes that come while a batch is embedded make the next
            # batch, so bursts batch themselves, and a lone change is not kept waiting.
            if self._window_s > 0:
                await self._pause(self._window_s)

    async def _pause(self, seconds: float, *, wakeable: bool = False) -> None:
        waits = [asyncio.ensure_future(self._stopping.wait())]
        if wakeable:
            waits.append(asyncio.ensure_future(self._wake.wait()))
        _done, waiting = await asyncio.wait(waits, timeout=seconds, return_when="FIRST_COMPLETED")
        for task in waiting:
            task.cancel()
        await asyncio.gather(*waits, return_exceptions=True)

    async def drain_once(self) -> bool:
        """Index one batch of waiting records, then one page of a table scan; says whether
        more work is waiting."""
        async with self._db.read() as session:
            batch = await storage.next_records(session, BATCH)
        if batch:
            await self._index_records(batch)
        try:
            scanning = await self._scan_page()
        except Exception:
            # A table whose scan fails waits a while; the records of others go on meanwhile.
            log.exception("re-indexing a table failed; retrying later")
            scan, self._scan = self._scan, None
            if scan is not None:
                later = dataclasses.replace(scan.pending, queued_at=utcnow() + RETRY_LATER)
                async with self._db.transaction() as session:
                    await storage.queue_table(session, later)
            scanning = False
        # A batch is shared among tenants, so a short one may leave more waiting.
        return bool(batch) or scanning

    async def _index_records(self, batch: Sequence[storage.Pending]) -> None:
        groups: dict[tuple[str, str, str, str], list[storage.Pending]] = defaultdict(list)
        for row in batch:
            groups[(row.tenant_id, row.base_id, row.table_id, row.actor_id)].append(row)
        for (tenant_id, base_id, table_id, actor_id), rows in groups.items():
            try:
                await self._index_group(tenant_id, base_id, table_id, actor_id, rows)
            except (InvalidArgument, FailedPrecondition) as error:
                # Nothing a retry would change: these changes can't be indexed.
                log.warning("records of %s can't be indexed: %s", table_id, error)
                async with self._db.transaction() as session:
                    await storage.done_records(session, rows)
            except Exception:
                # A service down or slow: these wait a while, the other groups go on.
                log.exception("indexing records of %s failed; retrying later", table_id)
                async with self._db.transaction() as session:
                    await storage.defer_records(session, rows, utcnow() + RETRY_LATER)

    async def _index_group(
        self,
        tenant_id: str,
        base_id: str,
        table_id: str,
        actor_id: str,
        rows: Sequence[storage.Pending],
    ) -> None:
        ids = [row.record_id for row in rows]
        self._act_as(tenant_id, actor_id)
        try:
            table = await self._schemas.table(tenant_id, base_id, table_id)
            current = await self._read(base_id, table_id, _records_formula(ids))
        except NotFound:
            current = {}  # the table (or base) is gone for whoever changed it
            table = None
        except PermissionDenied:
            log.warning("records of %s can no longer be read by %s", table_id, actor_id)
            async with self._db.transaction() as session:
                await storage.done_records(session, rows)
            return
        await self._write(tenant_id, base_id, table_id, table, ids, current)
        async with self._db.transaction() as session:
            await storage.done_records(session, rows)

    async def _scan_page(self) -> bool:
        if self._scan is None:
            async with self._db.read() as session:
                pending = await storage.next_table(session, utcnow() - SCHEMA_SETTLE)
            if pending is None:
                return False
            self._scan = _Scan(pending, utcnow())
        scan = self._scan
        row = scan.pending
        self._act_as(row.tenant_id, row.actor_id)
        try:
            table = await self._schemas.table(row.tenant_id, row.base_id, row.table_id)
            answer = await self._list(row.base_id, row.table_id, offset=scan.offset)
        except (NotFound, PermissionDenied):
            self._scan = None
            async with self._db.transaction() as session:
                await storage.done_table(session, row)
            return True
        current = {record.id: _cells(record) for record in answer.records}
        scan.seen |= current.keys()
        await self._write(row.tenant_id, row.base_id, row.table_id, table, list(current), current)
        if answer.offset:
            scan.offset = answer.offset
            return True
        # Done: what the scan never saw, and nothing wrote since it began, is gone.
        async with self._db.transaction() as session:
            stale = await storage.record_ids_of_table(
                session, row.tenant_id, row.table_id, scan.started
            )
            gone = [key for key, record_id in stale if record_id not in scan.seen]
            await storage.remove(session, gone)
            await storage.done_table(session, row)
        self._indexes.remove(row.tenant_id, row.table_id, gone)
        self._scan = None
        return True

    def _act_as(self, tenant_id: str, actor_id: str) -> None:
        identity.act_as(Caller.service(SERVICE, tenant_id=tenant_id, user_id=actor_id))

    async def _read(self, base_id: str, table_id: str, formula: str) -> dict[str, dict[str, Any]]:
        answer = await self._list(base_id, table_id, formula=formula)
        return {record.id: _cells(record) for record in answer.records}

    async def _list(
        self, base_id: str, table_id: str, *, formula: str = "", offset: str = ""
    ) -> gw.ListRecordsResponse:
        try:
            answer: gw.ListRecordsResponse = await self._records.ListRecords(
                gw.ListRecordsRequest(
                    base_id=base_id,
                    table=table_id,
                    page_size=100,
                    offset=offset,
                    filter_by_formula=formula,
                    output=gw.Output(return_fields_by_field_id=True),
                )
            )
        except grpc.aio.AioRpcError as err:
            raise translate("airtable-gateway", err) from None
        return answer

    async def _write(
        self,
        tenant_id: str,
        base_id: str,
        table_id: str,
        table: schema_pb2.Table | None,
        record_ids: Sequence[str],
        current: dict[str, dict[str, Any]],
    ) -> None:
        """Bring the documents of `record_ids` in line with `current` (absent: deleted)."""
        async with self._db.read() as session:
            stored = {
                doc.record_id: doc for doc in await storage.known(session, tenant_id, record_ids)
            }
        changed: list[tuple[str, str, str]] = []
        unchanged: list[int] = []
        for record_id, cells in current.items():
            if table is None:
                break
            text = texts.record_text(table, cells)
            digest = texts.text_hash(text)
            doc = stored.get(record_id)
            if doc is not None and doc.text_hash == digest:
                unchanged.append(doc.id)
            else:
                changed.append((record_id, text, digest))
        gone = [doc.id for record_id, doc in stored.items() if record_id not in current]
        vectors = await self._embedder.texts([text for _, text, _ in changed]) if changed else None
        new = [
            storage.NewText(
                tenant_id,
                base_id,
                table_id,
                record_id,
                text,
                digest,
                vectors[i].astype("<f4").tobytes() if vectors is not None else b"",
                self._embedder.model,
            )
            for i, (record_id, text, digest) in enumerate(changed)
        ]
        now = utcnow()
        async with self._db.transaction() as session:
            ids = await storage.save(session, new, now)
            await storage.touch(session, unchanged)
            await storage.remove(session, gone)
        for key, saved in zip(ids, new, strict=True):
            self._indexes.upsert(tenant_id, base_id, table_id, key, saved.vector, now, saved.model)
        self._indexes.remove(tenant_id, table_id, gone)


def _records_formula(record_ids: Sequence[str]) -> str:
    # Only well-formed record ids are queued (on_events), so none can break out of the quotes.
    return "OR(" + ",".join(f"RECORD_ID()='{rid}'" for rid in record_ids) + ")"


def _cells(record: gw.Record) -> dict[str, Any]:
    values: dict[str, Any] = json_format.MessageToDict(record.fields)
    return values


def _unpack(event: events_pb2.Event) -> Any:
    for kind in (*_RECORD_EVENTS, *_SCHEMA_EVENTS):
        if event.type == kind.DESCRIPTOR.full_name:
            message = kind()
            return message if event.payload.Unpack(message) else None
    return None


async def start(runtime: Runtime) -> None:
    """Start the index load, and unless indexing is off (search_indexing), the worker and the
    event subscription of this host's search."""
    from services.search.servicer import state_of

    state = state_of(runtime)
    await state.indexes.start()
    indexer: Indexer | None = None
    if runtime.settings.search_indexing:
        indexer = Indexer(runtime, state.indexes, state.embedder)
        indexer.start()

    async def stop() -> None:
        if indexer is not None:
            await indexer.stop()
        # After the worker: nothing changes a graph while its snapshot is written.
        await state.indexes.stop()

    # Before the server stops: the worker's calls go through it.
    runtime.on_stop_listening(stop)
    if indexer is not None:
        await runtime.bus.subscribe_batches(DURABLE, EVENT_TYPES, indexer.on_events)
