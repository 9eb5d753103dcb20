"""airtable-gateway's tables: the records of native bases, each table's auto-number counter,
and the change log of those records.

Hot paths use SQLAlchemy Core on these `Table` objects: rows are plain tuples, never ORM objects.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterable, Mapping, Sequence, Set
from dataclasses import dataclass
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Column,
    Index,
    Integer,
    String,
    Table,
    bindparam,
    cast,
    delete,
    func,
    literal,
    literal_column,
    select,
    update,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import DeclarativeBase

from services.shared.db import UTCDateTime, locked_for_update, utcnow
from services.shared.ids import looks_like


class RecordsBase(DeclarativeBase):
    pass


# JSONB on PostgreSQL so that formulas translated to SQL can use its operators.
Cells = JSON().with_variant(JSONB(), "postgresql")

records = Table(
    "airtable_records",
    RecordsBase.metadata,
    Column("id", String(17), primary_key=True),
    Column("tenant_id", String(17), nullable=False),
    Column("base_id", String(17), nullable=False),
    Column("table_id", String(17), nullable=False),
    # Stored cells keyed by field id; empty and computed cells are absent.
    Column("cells", Cells, nullable=False),
    Column("auto_number", Integer(), nullable=False),
    Column("created_time", UTCDateTime(), nullable=False),
    Column("last_modified_time", UTCDateTime(), nullable=False),
    Column("created_by", String(17), nullable=False),
    Column("last_modified_by", String(17), nullable=False),
    # Every page is read in this order within one table, which listings name by its whole
    # scope: a page at any position, and a table's count, come from the index alone.
    Index("ix_airtable_records_scope_number", "tenant_id", "base_id", "table_id", "auto_number"),
)

counters = Table(
    "airtable_record_counters",
    RecordsBase.metadata,
    Column("table_id", String(17), primary_key=True),
    Column("tenant_id", String(17), nullable=False),
    # The auto number given to the table's latest record.
    Column("last_number", Integer(), nullable=False),
)

# The change log: one row per record created, updated or deleted, in `seq` order. Read by
# ListRecordChanges (native/changes.py); rows older than the retention are pruned.
record_changes = Table(
    "airtable_record_changes",
    RecordsBase.metadata,
    Column(
        "seq",
        BigInteger().with_variant(Integer(), "sqlite"),
        primary_key=True,
        autoincrement=True,
    ),
    Column("tenant_id", String(17), nullable=False),
    Column("base_id", String(17), nullable=False),
    Column("table_id", String(17), nullable=False),
    Column("record_id", String(17), nullable=False),
    # "created", "updated" or "deleted".
    Column("kind", String(8), nullable=False),
    Column("changed_field_ids", JSON(), nullable=False),
    Column("actor_id", String(17), nullable=False),
    Column("changed_at", UTCDateTime(), nullable=False),
    Index("ix_airtable_record_changes_base_seq", "base_id", "seq"),
    Index("ix_airtable_record_changes_table_seq", "table_id", "seq"),
    # Pruning finds the old rows by age.
    Index("ix_airtable_record_changes_changed_at", "changed_at"),
    # AUTOINCREMENT: SQLite would otherwise reuse the seqs of pruned rows.
    sqlite_autoincrement=True,
)

# One row per base with changes. Writers of a base lock it just before they log their changes,
# so a base's changes commit in `seq` order and a reader never skips one still in flight.
# `pruned_seq` is the last pruned change of the base: an older cursor has missed changes.
change_heads = Table(
    "airtable_record_change_heads",
    RecordsBase.metadata,
    Column("base_id", String(17), primary_key=True),
    Column("tenant_id", String(17), nullable=False),
    Column("pruned_seq", BigInteger(), nullable=False),
)


@dataclass
class Row:
    """One stored record."""

    id: str
    cells: dict[str, Any]
    auto_number: int
    created_time: dt.datetime
    last_modified_time: dt.datetime
    created_by: str
    last_modified_by: str


ROW_COLUMNS = (
    records.c.id,
    records.c.cells,
    records.c.auto_number,
    records.c.created_time,
    records.c.last_modified_time,
    records.c.created_by,
    records.c.last_modified_by,
)


def to_row(values: Sequence[Any]) -> Row:
    return Row(*values)


def table_literal(table_id: str) -> str:
    """The table id as an SQL literal: a partial index is used only when the query names its
    table the same way. Table ids are `tbl` and 14 letters or digits, so nothing to escape."""
    if not looks_like(table_id, "tbl"):
        raise ValueError(f"not a table id: {table_id!r}")
    return f"'{table_id}'"


@dataclass(frozen=True)
class Scope:
    """Where records live: every query filters on all three."""

    tenant_id: str
    base_id: str
    table_id: str

    def where(self, *, literal_table: bool = False) -> tuple[Any, ...]:
        """With `literal_table`, the table id is written into the SQL rather than bound, so
        that the table's partial sort indexes can serve the query (see sort_indexes.py)."""
        table: Any = records.c.table_id == self.table_id
        if literal_table:
            table = records.c.table_id == literal_column(table_literal(self.table_id))
        return (records.c.tenant_id == self.tenant_id, records.c.base_id == self.base_id, table)


async def rows_by_id(
    session: AsyncSession, scope: Scope, record_ids: Iterable[str], *, for_update: bool = False
) -> dict[str, Row]:
    ids = list(dict.fromkeys(record_ids))
    if not ids:
        return {}
    query = select(*ROW_COLUMNS).where(*scope.where(), records.c.id.in_(ids))
    if for_update:
        query = locked_for_update(query)
    return {row.id: row for row in map(to_row, (await session.execute(query)).all())}


async def take_numbers(session: AsyncSession, scope: Scope, count: int) -> range:
    """Reserve `count` auto numbers for the table. The counter row's lock serializes writers."""
    dialect = session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    statement = (
        insert(counters)
        .values(table_id=scope.table_id, tenant_id=scope.tenant_id, last_number=count)
        .on_conflict_do_update(
            index_elements=[counters.c.table_id],
            set_={"last_number": counters.c.last_number + count},
        )
        .returning(counters.c.last_number)
    )
    last = int((await session.execute(statement)).scalar_one())
    return range(last - count + 1, last + 1)


async def insert_rows(session: AsyncSession, scope: Scope, rows: Sequence[Row]) -> None:
    if rows:
        await session.execute(
            records.insert(),
            [
                {
                    "tenant_id": scope.tenant_id,
                    "base_id": scope.base_id,
                    "table_id": scope.table_id,
                    **row.__dict__,
                }
                for row in rows
            ],
        )


async def save_cells(session: AsyncSession, scope: Scope, row: Row) -> None:
    await session.execute(
        update(records)
        .where(*scope.where(), records.c.id == row.id)
        .values(
            cells=row.cells,
            last_modified_time=row.last_modified_time,
            last_modified_by=row.last_modified_by,
        )
    )


async def delete_rows(session: AsyncSession, scope: Scope, record_ids: Sequence[str]) -> None:
    await session.execute(delete(records).where(*scope.where(), records.c.id.in_(record_ids)))


@dataclass
class LoggedChange:
    """One row of the change log, before it is written."""

    table_id: str
    record_id: str
    kind: str  # CREATED, UPDATED or DELETED
    field_ids: list[str]


CREATED, UPDATED, DELETED = "created", "updated", "deleted"


def dialect_insert(session: AsyncSession) -> Any:
    """The INSERT construct of the session's dialect, which can upsert."""
    return postgresql.insert if session.get_bind().dialect.name == "postgresql" else sqlite.insert


async def log_changes(
    session: AsyncSession,
    tenant_id: str,
    base_id: str,
    actor_id: str,
    now: dt.datetime,
    changes: Sequence[LoggedChange],
) -> None:
    """Log the changes of one write of one base: the base's head row locked first (held until
    commit, so that writers of a base take their seqs in commit order), then one INSERT."""
    if not changes:
        return
    await session.execute(
        dialect_insert(session)(change_heads)
        .values(base_id=base_id, tenant_id=tenant_id, pruned_seq=0)
        .on_conflict_do_update(
            index_elements=[change_heads.c.base_id],
            set_={"pruned_seq": change_heads.c.pruned_seq},
        )
    )
    await session.execute(
        record_changes.insert().values(
            [
                {
                    "tenant_id": tenant_id,
                    "base_id": base_id,
                    "table_id": change.table_id,
                    "record_id": change.record_id,
                    "kind": change.kind,
                    "changed_field_ids": change.field_ids,
                    "actor_id": actor_id,
                    "changed_at": now,
                }
                for change in changes
            ]
        )
    )


def cell_equals(dialect: str, field_id: str, value: Any) -> Any:
    """A condition: the record's stored cell `field_id` equals `value` (used to upsert)."""
    if dialect == "postgresql":
        return records.c.cells[field_id] == cast(literal(json.dumps(value), String()), JSONB)
    extracted = func.json_extract(records.c.cells, f'$."{field_id}"')
    if isinstance(value, list | dict):
        return extracted == func.json(json.dumps(value))
    return extracted == value


async def ids_matching(
    session: AsyncSession, scope: Scope, conditions: Sequence[Any], limit: int
) -> list[str]:
    query = select(records.c.id).where(*scope.where(), *conditions).limit(limit)
    return list((await session.execute(query)).scalars())


async def rewrite_choices(
    session: AsyncSession,
    tenant_id: str,
    table_id: str,
    field_id: str,
    renamed: Mapping[str, str],
    removed: Set[str],
    actor_id: str = "",
) -> int:
    """Cells keep select choices by name: follow renamed choices and drop removed ones in
    every record of the table that has the field, and log them as updated (by `actor_id`,
    who changed the field). Returns how many records changed."""
    dialect = session.get_bind().dialect.name
    has_field = (
        cast(records.c.cells, JSONB).has_key(field_id)
        if dialect == "postgresql"
        else func.json_type(records.c.cells, f'$."{field_id}"').is_not(None)
    )
    found = await session.execute(
        select(records.c.id, records.c.base_id, records.c.cells).where(
            records.c.tenant_id == tenant_id, records.c.table_id == table_id, has_field
        )
    )
    changed = []
    bases: dict[str, list[LoggedChange]] = {}
    for record_id, base_id, cells in found.all():
        value = cells[field_id]
        names = value if isinstance(value, list) else [value]
        kept = [renamed.get(name, name) for name in names if name not in removed]
        if kept == names:
            continue
        if not kept:
            cells.pop(field_id)
        else:
            cells[field_id] = kept if isinstance(value, list) else kept[0]
        changed.append({"record_id": record_id, "new_cells": cells})
        bases.setdefault(base_id, []).append(LoggedChange(table_id, record_id, UPDATED, [field_id]))
    if changed:
        await session.execute(
            update(records)
            .where(records.c.id == bindparam("record_id"))
            .values(cells=bindparam("new_cells")),
            changed,
        )
    now = utcnow()
    for base_id, logged in bases.items():
        await log_changes(session, tenant_id, base_id, actor_id, now, logged)
    return len(changed)
