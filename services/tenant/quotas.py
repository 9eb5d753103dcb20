"""Quota checks and usage counters: gauges (per tenant, or per base) and monthly counters, moved
by RecordUsage calls or counted from events."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, cast

from pyat.tenant.v1 import tenant_pb2
from sqlalchemy import ColumnElement, CursorResult, case, delete, func, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from services.shared.db import Database, utcnow
from services.shared.errors import FailedPrecondition, InvalidArgument, NotFound, PermissionDenied
from services.shared.identity import Caller
from services.shared.ids import looks_like
from services.tenant.plans import PLANS, fits, plan_named
from services.tenant.storage import CountedEvent, Member, Tenant, Usage, UsageRecord

# One call may move a counter by at most this much (a petabyte of storage, say).
MAX_DELTA = 10**15
# Counters stop here rather than overflow a BIGINT.
MAX_USAGE = 2**62
_IDEMPOTENCY_KEY = re.compile(r"^[\x21-\x7e]{1,128}$")


@dataclass(frozen=True)
class Kind:
    """How one QuotaKind is counted."""

    kind: tenant_pb2.QuotaKind
    name: str
    # Counted per calendar month (UTC), rather than a level that goes up and down.
    monthly: bool = False
    # Counted per base, with the base id as the scope.
    per_base: bool = False


KINDS: dict[tenant_pb2.QuotaKind, Kind] = {
    kind.kind: kind
    for kind in (
        Kind(tenant_pb2.QUOTA_KIND_SEATS, "seats"),
        Kind(tenant_pb2.QUOTA_KIND_BASES, "bases"),
        Kind(tenant_pb2.QUOTA_KIND_RECORDS_PER_BASE, "records_per_base", per_base=True),
        Kind(tenant_pb2.QUOTA_KIND_API_CALLS_PER_MONTH, "api_calls_per_month", monthly=True),
        Kind(tenant_pb2.QUOTA_KIND_STORAGE_BYTES, "storage_bytes"),
        Kind(tenant_pb2.QUOTA_KIND_LLM_TOKENS_PER_MONTH, "llm_tokens_per_month", monthly=True),
    )
}
SEATS = KINDS[tenant_pb2.QUOTA_KIND_SEATS]
RECORDS_PER_BASE = KINDS[tenant_pb2.QUOTA_KIND_RECORDS_PER_BASE]


@dataclass(frozen=True)
class Counter:
    """One usage row: a kind in a tenant, in a scope ("" or a base id) and a period."""

    tenant_id: str
    kind: Kind
    scope: str = ""
    period: str = ""


def month_of(now: dt.datetime) -> str:
    return now.astimezone(dt.UTC).strftime("%Y-%m")


def period_of(kind: Kind, now: dt.datetime) -> str:
    """ "YYYY-MM" (UTC) for monthly kinds, "" for gauges."""
    return month_of(now) if kind.monthly else ""


def counter_for(
    tenant_id: str, kind_value: tenant_pb2.QuotaKind, scope: str, now: dt.datetime
) -> Counter:
    """The counter a request names, or INVALID_ARGUMENT."""
    kind = KINDS.get(kind_value)
    if kind is None:
        raise InvalidArgument(
            "kind must be a quota kind", fields={"kind": "must be one of the QuotaKind values"}
        )
    if kind.per_base and not looks_like(scope, "app"):
        raise InvalidArgument(
            "scope must be a base id", fields={"scope": "must be the base id (app...)"}
        )
    if not kind.per_base and scope:
        raise InvalidArgument(
            "scope is only for per-base quotas", fields={"scope": "must be empty for this kind"}
        )
    return Counter(tenant_id, kind, scope, period_of(kind, now))


def limit_of(tenant: Tenant, kind: Kind) -> int:
    return PLANS[plan_named(tenant.plan)].limit(kind.kind)


async def used(session: AsyncSession, counter: Counter) -> int:
    value = await session.scalar(
        select(Usage.used).where(
            Usage.tenant_id == counter.tenant_id,
            Usage.kind == counter.kind.name,
            Usage.scope == counter.scope,
            Usage.period == counter.period,
        )
    )
    return value or 0


def _used_plus(delta: int) -> ColumnElement[int]:
    """used + delta, kept within 0..MAX_USAGE without ever computing an overflowing sum."""
    if delta >= 0:
        return case((Usage.used > MAX_USAGE - delta, MAX_USAGE), else_=Usage.used + delta)
    return case((Usage.used < -delta, 0), else_=Usage.used + delta)


async def add_usage(
    session: AsyncSession, db: Database, counter: Counter, delta: int, now: dt.datetime
) -> int:
    """Add `delta` to a counter (never below zero) in one statement; returns the new value.

    INSERT ... ON CONFLICT DO UPDATE is atomic on both databases: concurrent calls queue on
    the row instead of reading and writing back, so no increment is lost.
    """
    insert = sqlite.insert if db.is_sqlite else postgresql.insert
    statement = (
        insert(Usage)
        .values(
            tenant_id=counter.tenant_id,
            kind=counter.kind.name,
            scope=counter.scope,
            period=counter.period,
            used=min(max(delta, 0), MAX_USAGE),
            updated_at=now,
        )
        .on_conflict_do_update(
            index_elements=[Usage.tenant_id, Usage.kind, Usage.scope, Usage.period],
            set_={"used": _used_plus(delta), "updated_at": now},
        )
        .returning(Usage.used)
    )
    return int((await session.execute(statement)).scalar_one())


async def check_quota(
    db: Database, caller: Caller, kind_value: tenant_pb2.QuotaKind, amount: int, scope: str
) -> tuple[bool, int, int]:
    """Whether `amount` more fits in the caller's tenant: (allowed, limit, used).

    The hottest tenant call (every create asks it), so the tenant, the caller's membership and
    the counter come back in one statement rather than three ORM reads.
    """
    counter = counter_for(caller.tenant_id, kind_value, scope, utcnow())
    if amount < 0:
        raise InvalidArgument("amount must not be negative", fields={"amount": "must be >= 0"})
    statement = (
        select(Tenant.plan, Member.role, Usage.used)
        .outerjoin(Member, (Member.tenant_id == Tenant.id) & (Member.user_id == caller.user_id))
        .outerjoin(
            Usage,
            (Usage.tenant_id == Tenant.id)
            & (Usage.kind == counter.kind.name)
            & (Usage.scope == counter.scope)
            & (Usage.period == counter.period),
        )
        .where(Tenant.id == caller.tenant_id)
    )
    async with db.engine.connect() as connection:
        row = (await connection.execute(statement)).first()
    if row is None:
        raise NotFound("tenant not found", reason="TENANT_NOT_FOUND")
    plan, role, current = row
    if role is None:
        raise PermissionDenied("the caller is not a member of the tenant", reason="NOT_A_MEMBER")
    limit = PLANS[plan_named(plan)].limit(counter.kind.kind)
    current = current or 0
    return fits(limit, current + amount), limit, current


async def record_usage(
    db: Database,
    tenant_id: str,
    kind_value: tenant_pb2.QuotaKind,
    delta: int,
    scope: str,
    idempotency_key: str,
) -> int:
    """Add `delta` to a counter; returns its new value. With a key, applied once per key."""
    now = utcnow()
    counter = counter_for(tenant_id, kind_value, scope, now)
    if abs(delta) > MAX_DELTA:
        raise InvalidArgument(
            "delta is out of range", fields={"delta": f"must be within +-{MAX_DELTA}"}
        )
    if idempotency_key and not _IDEMPOTENCY_KEY.match(idempotency_key):
        raise InvalidArgument(
            "idempotency_key is malformed",
            fields={"idempotency_key": "1 to 128 visible ASCII characters"},
        )
    async with db.transaction() as session:
        if idempotency_key:
            earlier = await _claim_key(session, db, counter, delta, idempotency_key, now)
            if earlier is not None:
                return earlier
        value = await add_usage(session, db, counter, delta, now)
        if idempotency_key:
            await session.execute(
                update(UsageRecord)
                .where(
                    UsageRecord.tenant_id == tenant_id,
                    UsageRecord.idempotency_key == idempotency_key,
                )
                .values(used=value)
            )
    return value


async def _claim_key(
    session: AsyncSession, db: Database, counter: Counter, delta: int, key: str, now: dt.datetime
) -> int | None:
    """Take `key` for this call, or return the answer the call that took it got.

    The insert waits on a concurrent holder of the same key until it commits, so exactly one
    call applies the delta and the others read its answer.
    """
    insert = sqlite.insert if db.is_sqlite else postgresql.insert
    taken = await session.execute(
        insert(UsageRecord)
        .values(
            tenant_id=counter.tenant_id,
            idempotency_key=key,
            kind=counter.kind.name,
            scope=counter.scope,
            period=counter.period,
            delta=delta,
            used=0,
            created_at=now,
        )
        .on_conflict_do_nothing()
        .returning(UsageRecord.idempotency_key)
    )
    if taken.first() is not None:
        return None
    record = await session.get(UsageRecord, (counter.tenant_id, key))
    assert record is not None  # the conflict was with this committed row
    if (record.kind, record.scope, record.delta) != (counter.kind.name, counter.scope, delta):
        raise FailedPrecondition(
            "idempotency_key was already used for a different usage record",
            reason="IDEMPOTENCY_KEY_REUSED",
        )
    return record.used


@dataclass(frozen=True)
class RecordCount:
    """One event's move of a base's record count."""

    event_id: str
    tenant_id: str
    base_id: str
    delta: int


async def count_records(db: Database, counts: Sequence[RecordCount]) -> int:
    """Move bases' record counts, once per event id, all in one transaction; returns how many
    events counted: not those counted before, nor those of a tenant that is gone (its usage
    went with it). INVALID_ARGUMENT, counting nothing, for an event without a usable id."""
    for count in counts:
        if not 0 < len(count.event_id) <= 32:
            raise InvalidArgument("the event has no usable id", fields={"id": "1 to 32 characters"})
    if not counts:
        return 0
    now = utcnow()
    insert = sqlite.insert if db.is_sqlite else postgresql.insert
    async with db.transaction() as session:
        tenant_ids = {count.tenant_id for count in counts}
        alive = set(await session.scalars(select(Tenant.id).where(Tenant.id.in_(tenant_ids))))
        # Once per event id, even should a batch carry one twice.
        live = list({c.event_id: c for c in counts if c.tenant_id in alive}.values())
        if not live:
            return 0
        # A concurrent delivery of the same events waits here for this one to commit.
        first = await session.execute(
            insert(CountedEvent)
            .values([{"event_id": c.event_id, "counted_at": now} for c in live])
            .on_conflict_do_nothing()
            .returning(CountedEvent.event_id)
        )
        new = set(first.scalars())
        deltas: dict[tuple[str, str], int] = {}
        for count in live:
            if count.event_id in new:
                key = (count.tenant_id, count.base_id)
                deltas[key] = deltas.get(key, 0) + count.delta
        for (tenant_id, base_id), delta in sorted(deltas.items()):
            if delta:
                counter = counter_for(tenant_id, RECORDS_PER_BASE.kind, base_id, now)
                await add_usage(session, db, counter, delta, now)
    return len(new)


async def forget_counted_events(db: Database, before: dt.datetime) -> int:
    """Forget the ids of events counted before `before`; returns how many."""
    async with db.transaction() as session:
        result = await session.execute(
            delete(CountedEvent).where(CountedEvent.counted_at < before),
            execution_options={"synchronize_session": False},
        )
    return cast("CursorResult[Any]", result).rowcount


async def usage_by_kind(
    session: AsyncSession, tenant_id: str, now: dt.datetime
) -> dict[tenant_pb2.QuotaKind, int]:
    """Current use of every kind; for per-base kinds, the largest use of any base."""
    rows = await session.execute(
        select(Usage.kind, func.max(Usage.used))
        .where(Usage.tenant_id == tenant_id, Usage.period.in_(("", month_of(now))))
        .group_by(Usage.kind)
    )
    by_name = {name: int(value or 0) for name, value in rows.all()}
    # A monthly kind's row from "" never exists, nor a gauge's from a month: one query serves.
    return {kind.kind: by_name.get(kind.name, 0) for kind in KINDS.values()}
