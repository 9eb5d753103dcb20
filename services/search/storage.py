"""semantic-search's tables: one document per record (its text, the text's hash and its vector),
the words index over the texts (PostgreSQL full text, or SQLite FTS5), and the record and table
changes waiting to be indexed. Every query names its tenant.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from sqlalchemy import (
    BigInteger,
    Column,
    Index,
    Integer,
    LargeBinary,
    String,
    Table,
    Text,
    UniqueConstraint,
    and_,
    delete,
    func,
    select,
    text,
    tuple_,
    update,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import DeclarativeBase

from services.shared.db import UTCDateTime, utcnow


class SearchBase(DeclarativeBase):
    pass


documents = Table(
    "search_documents",
    SearchBase.metadata,
    # Doubles as the key of the in-memory vector index.
    Column("id", BigInteger().with_variant(Integer(), "sqlite"), primary_key=True),
    Column("tenant_id", String(64), nullable=False),
    Column("base_id", String(17), nullable=False),
    Column("table_id", String(17), nullable=False),
    Column("record_id", String(17), nullable=False),
    Column("text", Text(), nullable=False),
    Column("text_hash", String(64), nullable=False),
    # float32, little-endian, unit length.
    Column("vector", LargeBinary(), nullable=False),
    Column("model", String(255), nullable=False),
    Column("updated_at", UTCDateTime(), nullable=False),
    UniqueConstraint("tenant_id", "record_id", name="uq_search_documents_record"),
    Index("ix_search_documents_scope", "tenant_id", "base_id", "table_id"),
    # The words index is each database's own (a tsvector column with a GIN index on
    # PostgreSQL, an FTS5 table on SQLite), made by the migration in its own SQL.
    info={"dialect_only": ("words", "ix_search_documents_words")},
)

pending_records = Table(
    "search_pending_records",
    SearchBase.metadata,
    Column("tenant_id", String(64), primary_key=True),
    Column("record_id", String(17), primary_key=True),
    Column("base_id", String(17), nullable=False),
    Column("table_id", String(17), nullable=False),
    Column("actor_id", String(64), nullable=False),
    Column("queued_at", UTCDateTime(), nullable=False),
    Index("ix_search_pending_records_turn", "tenant_id", "queued_at"),
    Index("ix_search_pending_records_base", "tenant_id", "base_id"),
)

pending_tables = Table(
    "search_pending_tables",
    SearchBase.metadata,
    Column("tenant_id", String(64), primary_key=True),
    Column("table_id", String(17), primary_key=True),
    Column("base_id", String(17), nullable=False),
    Column("actor_id", String(64), nullable=False),
    Column("queued_at", UTCDateTime(), nullable=False),
)

# Tenants whose waiting records share one batch of the worker: with as many as a batch holds
# records, every tenant waiting gets at least one in, so a new tenant never waits for others'
# backlogs to drain.
TENANTS_PER_BATCH = 64
# The words of a query that the words index is asked for: enough for any sensible query.
MAX_QUERY_WORDS = 32


@dataclass(frozen=True)
class Pending:
    """A record (or, with record_id empty, a whole table) waiting to be indexed."""

    tenant_id: str
    base_id: str
    table_id: str
    record_id: str
    actor_id: str
    queued_at: dt.datetime


@dataclass(frozen=True)
class Document:
    id: int
    table_id: str
    record_id: str
    text: str
    vector: bytes


@dataclass(frozen=True)
class Known:
    """What the indexer needs of a stored document to decide whether it changed."""

    id: int
    record_id: str
    text_hash: str


def _insert(session: AsyncSession):  # type: ignore[no-untyped-def]
    return sqlite.insert if session.get_bind().dialect.name == "sqlite" else postgresql.insert


async def queue_records(session: AsyncSession, rows: Sequence[Pending]) -> None:
    """Mark records as waiting; queuing one twice only moves its time (events are replayed)."""
    if not rows:
        return
    latest = {(row.tenant_id, row.record_id): row for row in rows}
    statement = _insert(session)(pending_records).values(
        [
            {
                "tenant_id": row.tenant_id,
                "record_id": row.record_id,
                "base_id": row.base_id,
                "table_id": row.table_id,
                "actor_id": row.actor_id,
                "queued_at": row.queued_at,
            }
            for row in latest.values()
        ]
    )
    await session.execute(
        statement.on_conflict_do_update(
            index_elements=["tenant_id", "record_id"],
            set_={
                "actor_id": statement.excluded.actor_id,
                "queued_at": statement.excluded.queued_at,
            },
        )
    )


async def queue_table(session: AsyncSession, row: Pending) -> None:
    """Mark a whole table as to be indexed again (its fields changed)."""
    statement = _insert(session)(pending_tables).values(
        tenant_id=row.tenant_id,
        table_id=row.table_id,
        base_id=row.base_id,
        actor_id=row.actor_id,
        queued_at=row.queued_at,
    )
    await session.execute(
        statement.on_conflict_do_update(
            index_elements=["tenant_id", "table_id"],
            set_={
                "actor_id": statement.excluded.actor_id,
                "queued_at": statement.excluded.queued_at,
            },
        )
    )


async def forget(
    session: AsyncSession, tenant_id: str, base_id: str, table_id: str | None = None
) -> list[int]:
    """Delete a table's (or with no table, a base's) documents and waiting changes; returns
    the deleted documents' ids. A second call finds nothing left."""
    scope = [documents.c.tenant_id == tenant_id, documents.c.base_id == base_id]
    if table_id is not None:
        scope.append(documents.c.table_id == table_id)
    gone = list(await session.scalars(delete(documents).where(*scope).returning(documents.c.id)))
    for pending in (pending_records, pending_tables):
        where = [pending.c.tenant_id == tenant_id, pending.c.base_id == base_id]
        if table_id is not None:
            where.append(pending.c.table_id == table_id)
        await session.execute(delete(pending).where(*where))
    return gone


async def next_records(session: AsyncSession, limit: int) -> list[Pending]:
    """Up to `limit` waiting records, shared among the tenants that have waited longest: a
    tenant that changed 100,000 records takes its turn beside one that changed ten, not ahead."""
    oldest = func.min(pending_records.c.queued_at)
    due = pending_records.c.queued_at <= utcnow()  # records put off after a failure wait
    tenants = (
        await session.execute(
            select(pending_records.c.tenant_id)
            .where(due)
            .group_by(pending_records.c.tenant_id)
            .order_by(oldest)
            .limit(TENANTS_PER_BATCH)
        )
    ).scalars()
    tenant_ids = list(tenants)
    share = max(1, limit // max(1, len(tenant_ids)))
    rows: list[Pending] = []
    for tenant_id in tenant_ids:
        found = await session.execute(
            select(pending_records)
            .where(pending_records.c.tenant_id == tenant_id, due)
            .order_by(pending_records.c.queued_at)
            .limit(share)
        )
        rows += [Pending(**row._mapping) for row in found]
    return rows


async def next_table(session: AsyncSession, queued_before: dt.datetime) -> Pending | None:
    found = (
        await session.execute(
            select(pending_tables)
            .where(pending_tables.c.queued_at <= queued_before)
            .order_by(pending_tables.c.queued_at)
            .limit(1)
        )
    ).first()
    return Pending(record_id="", **found._mapping) if found else None


async def defer_records(session: AsyncSession, rows: Sequence[Pending], until: dt.datetime) -> None:
    """Put waiting records off until `until`, unless queued again since they were read."""
    for row in rows:
        await session.execute(
            update(pending_records)
            .where(
                pending_records.c.tenant_id == row.tenant_id,
                pending_records.c.record_id == row.record_id,
                pending_records.c.queued_at == row.queued_at,
            )
            .values(queued_at=until)
        )


async def done_records(session: AsyncSession, rows: Sequence[Pending]) -> None:
    """Drop waiting records that were handled, unless queued again since they were read."""
    if rows:
        await session.execute(
            delete(pending_records).where(
                tuple_(
                    pending_records.c.tenant_id,
                    pending_records.c.record_id,
                    pending_records.c.queued_at,
                ).in_([(row.tenant_id, row.record_id, row.queued_at) for row in rows])
            )
        )


async def done_table(session: AsyncSession, row: Pending) -> None:
    await session.execute(
        delete(pending_tables).where(
            pending_tables.c.tenant_id == row.tenant_id,
            pending_tables.c.table_id == row.table_id,
            pending_tables.c.queued_at == row.queued_at,
        )
    )


async def known(session: AsyncSession, tenant_id: str, record_ids: Iterable[str]) -> list[Known]:
    ids = list(record_ids)
    if not ids:
        return []
    found = await session.execute(
        select(documents.c.id, documents.c.record_id, documents.c.text_hash).where(
            documents.c.tenant_id == tenant_id, documents.c.record_id.in_(ids)
        )
    )
    return [Known(*row) for row in found]


async def record_ids_of_table(
    session: AsyncSession, tenant_id: str, table_id: str, before: dt.datetime
) -> list[tuple[int, str]]:
    """The documents of a table last written before `before`: (id, record_id)."""
    found = await session.execute(
        select(documents.c.id, documents.c.record_id).where(
            documents.c.tenant_id == tenant_id,
            documents.c.table_id == table_id,
            documents.c.updated_at < before,
        )
    )
    return [(row[0], row[1]) for row in found]


@dataclass(frozen=True)
class NewText:
    tenant_id: str
    base_id: str
    table_id: str
    record_id: str
    text: str
    text_hash: str
    vector: bytes
    model: str


async def save(
    session: AsyncSession, texts: Sequence[NewText], now: dt.datetime | None = None
) -> list[int]:
    """Insert or replace the documents of these records, written at `now`; returns their ids,
    in order."""
    ids: list[int] = []
    now = now or utcnow()
    for new in texts:
        statement = _insert(session)(documents).values(
            tenant_id=new.tenant_id,
            base_id=new.base_id,
            table_id=new.table_id,
            record_id=new.record_id,
            text=new.text,
            text_hash=new.text_hash,
            vector=new.vector,
            model=new.model,
            updated_at=now,
        )
        statement = statement.on_conflict_do_update(
            index_elements=["tenant_id", "record_id"],
            set_={
                "text": statement.excluded.text,
                "text_hash": statement.excluded.text_hash,
                "vector": statement.excluded.vector,
                "model": statement.excluded.model,
                "updated_at": statement.excluded.updated_at,
            },
        ).returning(documents.c.id)
        ids.append(int((await session.execute(statement)).scalar_one()))
    return ids


async def touch(session: AsyncSession, ids: Sequence[int]) -> None:
    """Mark unchanged documents as seen now (a table scan keeps what it saw)."""
    if ids:
        await session.execute(
            documents.update().where(documents.c.id.in_(ids)).values(updated_at=utcnow())
        )


async def remove(session: AsyncSession, ids: Sequence[int]) -> None:
    if ids:
        await session.execute(delete(documents).where(documents.c.id.in_(ids)))


async def tables_with_documents(session: AsyncSession) -> list[tuple[str, str, str, int]]:
    """Every (tenant, base, table) that has documents, with how many."""
    found = await session.execute(
        select(
            documents.c.tenant_id, documents.c.base_id, documents.c.table_id, func.count()
        ).group_by(documents.c.tenant_id, documents.c.base_id, documents.c.table_id)
    )
    return [(row[0], row[1], row[2], int(row[3])) for row in found]


async def vectors_page(
    session: AsyncSession,
    tenant_id: str,
    table_id: str,
    after: int,
    limit: int,
    since: dt.datetime | None = None,
) -> list[tuple[int, bytes]]:
    """A table's (id, vector) after the id `after`, in id order; with `since`, only those
    written since then."""
    statement = (
        select(documents.c.id, documents.c.vector)
        .where(documents.c.tenant_id == tenant_id, documents.c.table_id == table_id)
        .where(documents.c.id > after)
        .order_by(documents.c.id)
        .limit(limit)
    )
    if since is not None:
        statement = statement.where(documents.c.updated_at >= since)
    found = await session.execute(statement)
    return [(int(row[0]), row[1]) for row in found]


async def document_ids(session: AsyncSession, tenant_id: str, table_id: str) -> list[int]:
    found = await session.scalars(
        select(documents.c.id).where(
            documents.c.tenant_id == tenant_id, documents.c.table_id == table_id
        )
    )
    return [int(key) for key in found]


async def table_mark(
    session: AsyncSession, tenant_id: str, table_id: str
) -> tuple[dt.datetime | None, str]:
    """The latest `updated_at` of a table's documents, and that document's model."""
    found = (
        await session.execute(
            select(documents.c.updated_at, documents.c.model)
            .where(documents.c.tenant_id == tenant_id, documents.c.table_id == table_id)
            .order_by(documents.c.updated_at.desc(), documents.c.id.desc())
            .limit(1)
        )
    ).first()
    return (found[0], found[1]) if found else (None, "")


async def documents_by_id(
    session: AsyncSession, tenant_id: str, base_id: str, ids: Sequence[int]
) -> dict[int, Document]:
    if not ids:
        return {}
    # By primary key alone, the scope checked on each row: given the tenant and base too,
    # SQLite (with no statistics) walks the base's whole scope index instead, 10 ms at 100,000.
    found = await session.execute(
        select(
            documents.c.id,
            documents.c.table_id,
            documents.c.record_id,
            func.substr(documents.c.text, 1, 400),
            documents.c.vector,
            documents.c.tenant_id,
            documents.c.base_id,
        ).where(documents.c.id.in_(list(ids)))
    )
    return {
        int(row[0]): Document(int(row[0]), row[1], row[2], row[3], row[4])
        for row in found
        if row[5] == tenant_id and row[6] == base_id
    }


# English words too common to tell records apart. PostgreSQL's 'english' configuration drops
# them from a query itself; SQLite's FTS5 has no such list, and would rank "a chef who bakes"
# first for "someone who fixes cars" on the strength of "who".
STOP_WORDS = frozenset(
    """a about above after again against all am an and any are as at be because been before
    being below between both but by can could did do does doing down during each few for from
    further had has have having he her here hers herself him himself his how i if in into is it
    its itself just me more most my myself no nor not now of off on once only or other our ours
    ourselves out over own same she should so some such than that the their theirs them
    themselves then there these they this those through to too under until up very was we were
    what when where which while who whom why will with would you your yours yourself
    yourselves""".split()
)


def query_words(query: str) -> list[str]:
    """The query's distinct words that tell records apart, lowercased: letters and digits only,
    so they are safe in both full-text query languages."""
    words = dict.fromkeys(re.findall(r"\w+", query.lower()))
    return [w for w in words if w.strip("_") and w not in STOP_WORDS][:MAX_QUERY_WORDS]


async def keyword_ranking(
    session: AsyncSession,
    tenant_id: str,
    base_id: str,
    table_id: str | None,
    query: str,
    limit: int,
) -> list[int]:
    """Ids of the documents whose text has any of the query's words, most relevant first."""
    words = query_words(query)
    if not words:
        return []
    params: dict[str, object] = {"tenant": tenant_id, "base": base_id, "limit": limit}
    table_clause = ""
    if table_id is not None:
        params["table"] = table_id
        table_clause = "AND d.table_id = :table"
    if session.get_bind().dialect.name == "sqlite":
        params["match"] = " OR ".join(f'"{word}"' for word in words)
        sql = (
            "SELECT d.id FROM search_words JOIN search_documents d ON d.id = search_words.rowid "
            "WHERE search_words MATCH :match AND d.tenant_id = :tenant AND d.base_id = :base "
            f"{table_clause} ORDER BY search_words.rank, d.id LIMIT :limit"
        )
    else:
        params["match"] = " | ".join(words)
        sql = (
            "SELECT d.id FROM search_documents d, to_tsquery('english', :match) q "
            "WHERE d.words @@ q AND d.tenant_id = :tenant AND d.base_id = :base "
            f"{table_clause} ORDER BY ts_rank_cd(d.words, q) DESC, d.id LIMIT :limit"
        )
    found = await session.execute(text(sql), params)
    return [int(row[0]) for row in found]


async def counts(session: AsyncSession, tenant_id: str, base_id: str) -> tuple[int, int]:
    """Documents of a base, and its records (and tables) waiting to be indexed."""
    indexed = await session.scalar(
        select(func.count()).where(
            and_(documents.c.tenant_id == tenant_id, documents.c.base_id == base_id)
        )
    )
    waiting = 0
    for pending in (pending_records, pending_tables):
        waiting += (
            await session.scalar(
                select(func.count()).where(
                    pending.c.tenant_id == tenant_id, pending.c.base_id == base_id
                )
            )
            or 0
        )
    return int(indexed or 0), waiting
