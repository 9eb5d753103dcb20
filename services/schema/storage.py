"""schema-service's tables: the tables, fields and views of every base, scoped by tenant.

Names are unique per base (tables) and per table (fields, views) regardless of case, which
`name_key` (the lower-cased name) enforces in the database as well as in the domain.
"""

from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, Integer, String, Text, delete, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column


class SchemaBase(DeclarativeBase):
    pass


class TableRow(SchemaBase):
    __tablename__ = "schema_tables"
    __table_args__ = (
        Index("uq_schema_tables_base_name", "base_id", "name_key", unique=True),
        Index("ix_schema_tables_tenant_base", "tenant_id", "base_id"),
    )

    id: Mapped[str] = mapped_column(String(17), primary_key=True)
    tenant_id: Mapped[str] = mapped_column(String(17))
    base_id: Mapped[str] = mapped_column(String(17))
    name: Mapped[str] = mapped_column(String(255))
    name_key: Mapped[str] = mapped_column(String(255))
    description: Mapped[str] = mapped_column(Text(), default="")
    primary_field_id: Mapped[str] = mapped_column(String(17))
    position: Mapped[int] = mapped_column(Integer())
    version: Mapped[int] = mapped_column(Integer())


class _OfTable:
    """The columns of the rows that belong to one table and go when it goes."""

    id: Mapped[str] = mapped_column(String(17), primary_key=True)
    tenant_id: Mapped[str] = mapped_column(String(17))
    table_id: Mapped[str] = mapped_column(
        String(17), ForeignKey("schema_tables.id", ondelete="CASCADE")
    )
    name: Mapped[str] = mapped_column(String(255))
    name_key: Mapped[str] = mapped_column(String(255))
    position: Mapped[int] = mapped_column(Integer())


class FieldRow(_OfTable, SchemaBase):
    __tablename__ = "schema_fields"
    __table_args__ = (Index("uq_schema_fields_table_name", "table_id", "name_key", unique=True),)

    type: Mapped[str] = mapped_column(String(32))
    description: Mapped[str] = mapped_column(Text(), default="")
    # Airtable's options for the type; formulas in them refer to fields by id.
    options: Mapped[dict[str, Any]] = mapped_column(JSON())


class ViewRow(_OfTable, SchemaBase):
    __tablename__ = "schema_views"
    __table_args__ = (Index("uq_schema_views_table_name", "table_id", "name_key", unique=True),)

    type: Mapped[str] = mapped_column(String(16))
    # Normalized: field references by id.
    filter_by_formula: Mapped[str] = mapped_column(Text(), default="")
    # [{"field_id": ..., "direction": "asc" | "desc"}, ...]
    sorts: Mapped[list[dict[str, str]]] = mapped_column(JSON())
    visible_field_ids: Mapped[list[str]] = mapped_column(JSON())


@dataclass
class BaseSchema:
    """The rows of one base (or of one table of it), in display order."""

    tables: list[TableRow]
    fields: dict[str, list[FieldRow]] = field(default_factory=dict)
    views: dict[str, list[ViewRow]] = field(default_factory=dict)

    def fields_of(self, table_id: str) -> list[FieldRow]:
        return self.fields.setdefault(table_id, [])

    def views_of(self, table_id: str) -> list[ViewRow]:
        return self.views.setdefault(table_id, [])

    def all_fields(self) -> list[FieldRow]:
        return [f for fields in self.fields.values() for f in fields]


class _RowsByVersion:
    """The fields and views of tables as last read, by tenant, table and schema version.

    Every change of a table's fields or views bumps its version in the same transaction
    (changes.Change), so one version names one set of rows: a read that finds the table at a
    version it has seen skips reading them again. Rows read after the table may be newer than
    its version says (a change committed in between); they are then filed under a version
    that is never current again. The rows are shared by every read: never change one.
    """

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self._entries: OrderedDict[
            tuple[str, str, int], tuple[tuple[FieldRow, ...], tuple[ViewRow, ...]]
        ] = OrderedDict()

    def get(self, table: TableRow) -> tuple[tuple[FieldRow, ...], tuple[ViewRow, ...]] | None:
        key = (table.tenant_id, table.id, table.version)
        found = self._entries.get(key)
        if found is not None:
            self._entries.move_to_end(key)
        return found

    def put(self, table: TableRow, fields: list[FieldRow], views: list[ViewRow]) -> None:
        self._entries[(table.tenant_id, table.id, table.version)] = (tuple(fields), tuple(views))
        while len(self._entries) > self.limit:
            self._entries.popitem(last=False)


# Per process, like the database connections: ids are random, and the key names the tenant.
_read_before = _RowsByVersion(limit=2048)


async def load_schema(
    session: AsyncSession,
    tenant_id: str,
    base_id: str,
    *,
    table_id: str | None = None,
    for_update: bool = False,
) -> BaseSchema:
    """A base's tables with their fields and views, in up to three indexed queries (one when
    every table is at a version read before). With `table_id`, only that table. `for_update`
    locks the tables, so schema changes of a base take turns; their rows are always read
    afresh, as the change will alter them."""
    tables_query = (
        select(TableRow)
        .where(TableRow.tenant_id == tenant_id, TableRow.base_id == base_id)
        .order_by(TableRow.position, TableRow.id)
    )
    if table_id is not None:
        tables_query = tables_query.where(TableRow.id == table_id)
    if for_update:
        tables_query = tables_query.with_for_update()
    schema = BaseSchema(tables=list((await session.execute(tables_query)).scalars()))
    ids = []
    for table in schema.tables:
        known = None if for_update else _read_before.get(table)
        if known is None:
            ids.append(table.id)
        else:
            schema.fields[table.id], schema.views[table.id] = list(known[0]), list(known[1])
    if not ids:
        return schema
    fields = await session.execute(
        select(FieldRow)
        .where(FieldRow.tenant_id == tenant_id, FieldRow.table_id.in_(ids))
        .order_by(FieldRow.position, FieldRow.id)
    )
    for field_row in fields.scalars():
        schema.fields_of(field_row.table_id).append(field_row)
    views = await session.execute(
        select(ViewRow)
        .where(ViewRow.tenant_id == tenant_id, ViewRow.table_id.in_(ids))
        .order_by(ViewRow.position, ViewRow.id)
    )
    for view in views.scalars():
        schema.views_of(view.table_id).append(view)
    if not for_update:
        for table in schema.tables:
            if table.id in ids:
                _read_before.put(table, schema.fields_of(table.id), schema.views_of(table.id))
    return schema


async def delete_base(session: AsyncSession, tenant_id: str, base_id: str) -> None:
    """Everything of a deleted base (fields and views go with their tables)."""
    await session.execute(
        delete(TableRow).where(TableRow.tenant_id == tenant_id, TableRow.base_id == base_id),
        execution_options={"synchronize_session": False},
    )
