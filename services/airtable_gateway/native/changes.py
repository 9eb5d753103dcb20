"""The change log of native records: every write logs one row per record it created, updated or
deleted, in its own transaction, and ListRecordChanges reads them back after a cursor, oldest
first, with each record as it is now. Changes older than RETENTION are pruned."""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import hashlib
import logging
import struct
import time
from collections.abc import Sequence
from typing import Any

from pyat.airtable.v1 import airtable_gateway_pb2 as pb
from sqlalchemy import Select, delete, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from services.airtable_gateway.native.output import OutputSpec, Renderer
from services.airtable_gateway.native.storage import (
    CREATED,
    DELETED,
    ROW_COLUMNS,
    UPDATED,
    LoggedChange,
    Row,
    Scope,
    change_heads,
    dialect_insert,
    log_changes,
    record_changes,
    records,
    to_row,
)
from services.airtable_gateway.native.tables import Schemas
from services.shared.db import Database, utcnow
from services.shared.errors import FailedPrecondition, InvalidArgument, NotFound
from services.shared.identity import Caller
from services.shared.protos import timestamp
from services.shared.versions import Versions, records_scope

log = logging.getLogger(__name__)

# How long changes are kept; a cursor that has missed a pruned change is CURSOR_EXPIRED.
# Tests shorten both through these module constants.
RETENTION = dt.timedelta(days=7)
# Writes prune at most this often (per process), after their own transaction.
PRUNE_INTERVAL_S = 60.0
# Changes deleted per prune at most, so that a backlog never holds up the write that prunes.
PRUNE_BATCH = 5000
MAX_PAGE = 1000
DEFAULT_PAGE = 100

_KINDS = {
    CREATED: pb.CHANGE_KIND_CREATED,
    UPDATED: pb.CHANGE_KIND_UPDATED,
    DELETED: pb.CHANGE_KIND_DELETED,
}

# A cursor is "chg" and the urlsafe base64 of the seq and a tag of its base, so that a cursor
# of another base is refused rather than silently skipping this base's changes.
_PREFIX = "chg"
_CURSOR = struct.Struct(">Q4s")


class ChangeLog:
    """The changes of one write call, merged per record, logged together at its end."""

    def __init__(self) -> None:
        self._entries: dict[tuple[str, str], LoggedChange] = {}

    def add(self, table_id: str, record_id: str, kind: str, field_ids: Sequence[str]) -> None:
        # A linked record may be edited twice in one call (an upsert updates and creates):
        # it is one update of the union of the fields.
        key = (record_id, kind)
        known = self._entries.get(key)
        if known is None:
            self._entries[key] = LoggedChange(table_id, record_id, kind, sorted(field_ids))
        else:
            known.field_ids = sorted({*known.field_ids, *field_ids})

    async def write(
        self, session: AsyncSession, scope: Scope, actor_id: str, now: dt.datetime
    ) -> None:
        entries = list(self._entries.values())
        await log_changes(session, scope.tenant_id, scope.base_id, actor_id, now, entries)


def encode_cursor(base_id: str, seq: int, tag: bytes = b"") -> str:
    packed = _CURSOR.pack(seq, tag or _base_tag(base_id))
    return _PREFIX + base64.urlsafe_b64encode(packed).decode().rstrip("=")


def decode_cursor(base_id: str, cursor: str) -> int:
    """The seq of a cursor of this base, or INVALID_ARGUMENT."""
    bad = InvalidArgument(
        "after is not a cursor of this base", fields={"after": "malformed cursor"}
    )
    if not cursor.startswith(_PREFIX):
        raise bad
    body = cursor[len(_PREFIX) :]
    try:
        packed = base64.urlsafe_b64decode(body + "=" * (-len(body) % 4))
    except (binascii.Error, ValueError):
        raise bad from None
    if len(packed) != _CURSOR.size:
        raise bad
    seq, tag = _CURSOR.unpack(packed)
    # Compared on the canonical form too, so one cursor has exactly one spelling.
    if tag != _base_tag(base_id) or encode_cursor(base_id, seq, tag) != cursor:
        raise bad
    return int(seq)


def _base_tag(base_id: str) -> bytes:
    return hashlib.sha256(base_id.encode()).digest()[:4]


_last_prune = float("-inf")


async def prune_if_due(db: Database, versions: Versions) -> None:
    """Prune old changes if this process has not in the last PRUNE_INTERVAL_S. A failure is
    logged, not raised: the write it follows has committed, and the next one retries."""
    global _last_prune
    now = time.monotonic()
    if now - _last_prune < PRUNE_INTERVAL_S:
        return
    _last_prune = now
    try:
        await prune(db, utcnow() - RETENTION, versions)
    except Exception:
        log.exception("pruning the record change log failed")


async def prune(db: Database, cutoff: dt.datetime, versions: Versions | None = None) -> int:
    """Delete the oldest changes made before `cutoff` (PRUNE_BATCH at most) and raise each
    base's `pruned_seq` to the last one deleted, in one transaction; then replace the records
    tokens of those bases in `versions`, if given. Returns how many were deleted. A cursor is
    then expired exactly when a change after it was deleted."""
    oldest = (
        select(record_changes.c.seq)
        .where(record_changes.c.changed_at < cutoff)
        .order_by(record_changes.c.seq)
        .limit(PRUNE_BATCH)
    )
    async with db.transaction() as session:
        deleted = await session.execute(
            delete(record_changes)
            .where(record_changes.c.seq.in_(oldest.scalar_subquery()))
            .returning(record_changes.c.tenant_id, record_changes.c.base_id, record_changes.c.seq)
        )
        rows = deleted.all()
        last: dict[tuple[str, str], int] = {}
        for tenant_id, base_id, seq in rows:
            last[(base_id, tenant_id)] = max(seq, last.get((base_id, tenant_id), 0))
        greatest = func.greatest if session.get_bind().dialect.name == "postgresql" else func.max
        # In base order, so that two pruners never wait on each other's head locks.
        for (base_id, tenant_id), seq in sorted(last.items()):
            statement = (
                dialect_insert(session)(change_heads)
                .values(base_id=base_id, tenant_id=tenant_id, pruned_seq=seq)
                .on_conflict_do_update(
                    index_elements=[change_heads.c.base_id],
                    set_={"pruned_seq": greatest(change_heads.c.pruned_seq, seq)},
                )
            )
            await session.execute(statement)
    if versions is not None:
        await versions.changed(records_scope(tenant_id, base_id) for base_id, tenant_id in last)
    return len(rows)


class Changes:
    """ListRecordChanges over a native base."""

    def __init__(self, db: Database, schemas: Schemas, renderer: Renderer) -> None:
        self._db = db
        self._schemas = schemas
        self._renderer = renderer

    async def page(
        self, caller: Caller, request: pb.ListRecordChangesRequest
    ) -> pb.ListRecordChangesResponse:
        page_size = request.page_size or DEFAULT_PAGE
        if not 1 <= page_size <= MAX_PAGE:
            raise InvalidArgument(
                f"page_size must be between 1 and {MAX_PAGE}", fields={"page_size": "out of range"}
            )
        after = decode_cursor(request.base_id, request.after) if request.after else None
        if request.newest_first and after is not None:
            raise InvalidArgument(
                "newest_first reads back from now: leave after empty",
                fields={"after": "must be empty with newest_first"},
            )
        table_id = ""
        if request.table:
            table_id = (await self._schemas.get(caller, request.base_id, request.table)).id
        base = (
            record_changes.c.tenant_id == caller.tenant_id,
            record_changes.c.base_id == request.base_id,
        )
        async with self._db.read() as session:
            if after is None:
                # One statement for both: the head is what a reader asks for most.
                newest, pruned = (
                    await session.execute(
                        select(
                            select(func.max(record_changes.c.seq)).where(*base).scalar_subquery(),
                            _pruned_query(caller.tenant_id, request.base_id).scalar_subquery(),
                        )
                    )
                ).one()
                head = encode_cursor(request.base_id, max(newest or 0, pruned or 0))
                if not request.newest_first:
                    return pb.ListRecordChangesResponse(cursor=head)
            query = select(
                record_changes.c.seq,
                record_changes.c.table_id,
                record_changes.c.record_id,
                record_changes.c.kind,
                record_changes.c.changed_field_ids,
                record_changes.c.actor_id,
                record_changes.c.changed_at,
            ).where(*base)
            if table_id:
                query = query.where(record_changes.c.table_id == table_id)
            if after is None:  # newest first
                query = query.order_by(record_changes.c.seq.desc())
            else:
                query = query.where(record_changes.c.seq > after).order_by(record_changes.c.seq)
            found = (await session.execute(query.limit(page_size + 1))).all()
            # Read after the changes: a prune that committed in between is noticed here.
            if after is not None and after < await _pruned_seq(
                session, caller.tenant_id, request.base_id
            ):
                raise FailedPrecondition(
                    "the changes after this cursor are no longer kept: read the records afresh",
                    reason="CURSOR_EXPIRED",
                )
        page = found[:page_size]
        # Reading and rendering the records is most of a page's cost; a feed of activity
        # asks for none of them.
        now = (
            {}
            if request.omit_records
            else await self._records(
                caller, request.base_id, {(row.table_id, row.record_id) for row in page}
            )
        )
        tag = _base_tag(request.base_id)
        changes = [
            pb.RecordChange(
                cursor=encode_cursor(request.base_id, row.seq, tag),
                kind=_KINDS[row.kind],
                table_id=row.table_id,
                record_id=row.record_id,
                changed_at=timestamp(row.changed_at),
                actor_id=row.actor_id,
                changed_field_ids=row.changed_field_ids,
                record=now.get(row.record_id),
            )
            for row in page
        ]
        if after is None:  # newest first: follow on from the head
            cursor = head
        else:
            cursor = changes[-1].cursor if changes else request.after
        return pb.ListRecordChangesResponse(
            changes=changes, cursor=cursor, has_more=len(found) > page_size
        )

    async def _records(
        self, caller: Caller, base_id: str, wanted: set[tuple[str, str]]
    ) -> dict[str, pb.Record]:
        """The records that still exist, as GetRecord shows them with fields by id."""
        if not wanted:
            return {}
        async with self._db.read() as session:
            found = (
                await session.execute(
                    select(records.c.table_id, *ROW_COLUMNS).where(
                        records.c.tenant_id == caller.tenant_id,
                        records.c.base_id == base_id,
                        records.c.id.in_(sorted({record_id for _, record_id in wanted})),
                    )
                )
            ).all()
        by_table: dict[str, list[Row]] = {}
        for table_id, *values in found:
            if (table_id, values[0]) in wanted:
                by_table.setdefault(table_id, []).append(to_row(values))
        answers: dict[str, pb.Record] = {}
        spec = OutputSpec(by_field_id=True)
        for table_id, rows in by_table.items():
            try:
                table = await self._schemas.get(caller, base_id, table_id)
            except NotFound:
                # The table is being deleted; its records follow shortly.
                continue
            for answer in await self._renderer.records(caller, base_id, table, rows, spec):
                answers[answer.id] = answer
        return answers


def _pruned_query(tenant_id: str, base_id: str) -> Select[Any]:
    return select(change_heads.c.pruned_seq).where(
        change_heads.c.base_id == base_id, change_heads.c.tenant_id == tenant_id
    )


async def _pruned_seq(session: AsyncSession, tenant_id: str, base_id: str) -> int:
    pruned = await session.scalar(_pruned_query(tenant_id, base_id))
    return int(pruned or 0)
