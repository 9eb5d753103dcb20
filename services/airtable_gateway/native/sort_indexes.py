"""Indexes for sorted pages of big tables, made when a list first sorts by a field.

Cells are JSON, so without help a sorted page reads and orders every record of its table
(about 50 ms for 100,000 records on SQLite). An index on the sort key's SQL expression, partial
to the one table, lets the database walk the records in order and stop once the page is full
(about 1 ms). Only tables with at least MIN_RECORDS records get one, and only for the fields
lists actually sort them by. It is built in the background; the lists that arrive meanwhile
are answered without it. Deleting the field or the table drops it (see events.py).
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
import time
from typing import Any

from sqlalchemy import Select, TextualSelect, select, text
from sqlalchemy.dialects import sqlite
from sqlalchemy.exc import DBAPIError

from services.airtable_gateway.native.storage import counters, table_literal
from services.shared.db import Database

log = logging.getLogger("pyat.airtable_gateway.sort_indexes")

# Smaller tables sort in a few milliseconds anyway; an index would only slow their writes.
MIN_RECORDS = 1_000
# How often a table too small for an index is looked at again.
RECHECK_S = 60.0
PREFIX = "ix_at_sort_"
_NAMED_SQLITE = sqlite.dialect(paramstyle="named")


def index_name(table_id: str, field_id: str, expression: str) -> str:
    """Stable, and distinct per case-sensitive id and expression (identifiers fold case)."""
    digest = hashlib.sha256(f"{table_id}:{field_id}:{expression}".encode()).hexdigest()
    return PREFIX + digest[:32]


def with_index(statement: Select[Any], index: str) -> TextualSelect:
    """The page query (SQLite), told to walk the sort index. SQLite's planner, when it has
    statistics, would rather read every record of the table and sort them, which is what the
    index is there to avoid; INDEXED BY is its documented way to say which index to use."""
    compiled = statement.compile(dialect=_NAMED_SQLITE, compile_kwargs={"render_postcompile": True})
    sql = str(compiled).replace(
        "FROM airtable_records", f'FROM airtable_records INDEXED BY "{index}"', 1
    )
    return text(sql).bindparams(**compiled.params).columns(*statement.selected_columns)


class SortIndexes:
    def __init__(self, db: Database) -> None:
        self._db = db
        # Index names known to exist, or that could not be made: never tried again.
        self._settled: set[str] = set()
        self._ready: set[str] = set()
        self._building: dict[str, asyncio.Task[None]] = {}
        # When each index was last found not needed yet (its table too small).
        self._too_small_at: dict[str, float] = {}

    def ensure(self, table_id: str, field_id: str, expression: str) -> str | None:
        """The name of the table's index for sorting by `expression`, the SQL of the field's
        value (with no bound parameters), or None while there is none. Then, if the table is
        big enough to need one, it is built in the background."""
        name = index_name(table_id, field_id, expression)
        if name in self._ready:
            return name
        if name in self._settled or name in self._building:
            return None
        if time.monotonic() - self._too_small_at.get(name, -RECHECK_S) < RECHECK_S:
            return None
        task = asyncio.create_task(self._build(name, table_id, field_id, expression))
        self._building[name] = task
        task.add_done_callback(lambda _: self._building.pop(name, None))
        return None

    async def _build(self, name: str, table_id: str, field_id: str, expression: str) -> None:
        async with self._db.engine.connect() as conn:
            size = await conn.scalar(
                select(counters.c.last_number).where(counters.c.table_id == table_id)
            )
        if (size or 0) < MIN_RECORDS:
            self._too_small_at[name] = time.monotonic()
            return
        self._settled.add(name)
        where = f"table_id = {table_literal(table_id)}"
        if self._db.is_sqlite:
            ddl = f'CREATE INDEX IF NOT EXISTS "{name}" ON airtable_records (({expression})) '
        else:
            # NULLS FIRST serves both directions lists use: ASC NULLS FIRST forwards, and
            # DESC NULLS LAST backwards. CONCURRENTLY, so writes to the table go on meanwhile.
            ddl = (
                f'CREATE INDEX CONCURRENTLY IF NOT EXISTS "{name}" '
                f"ON airtable_records (({expression}) NULLS FIRST) "
            )
        try:
            async with self._db.engine.connect() as conn:
                autocommit = await conn.execution_options(isolation_level="AUTOCOMMIT")
                await autocommit.execute(text(ddl + f"WHERE {where}"))
                if not self._db.is_sqlite:
                    # Statistics on the new expression, so the planner can weigh the index.
                    await autocommit.execute(text("ANALYZE airtable_records"))
        except DBAPIError:
            log.exception("could not index %s of %s for sorting", field_id, table_id)
            return
        self._ready.add(name)
        log.info("indexed %s of %s for sorting (%d records)", field_id, table_id, size)

    async def drop(self, table_id: str, field_id: str = "") -> None:
        """Drop the sort indexes of a table, or of one of its fields."""
        if self._db.is_sqlite:
            listed = "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND name LIKE :p"
        else:
            listed = "SELECT indexname, indexdef FROM pg_indexes WHERE indexname LIKE :p"
        async with self._db.engine.connect() as conn:
            rows = (await conn.execute(text(listed), {"p": PREFIX + "%"})).all()
        doomed = [
            name
            for name, definition in rows
            if table_literal(table_id) in definition and field_id in definition
        ]
        for name in doomed:
            self._settled.discard(name)
            self._ready.discard(name)
            async with self._db.engine.connect() as conn:
                autocommit = await conn.execution_options(isolation_level="AUTOCOMMIT")
                await autocommit.execute(text(f'DROP INDEX IF EXISTS "{name}"'))

    async def wait(self) -> None:
        """Until the indexes being built are done (for tests and shutdown)."""
        if self._building:
            await asyncio.gather(*self._building.values(), return_exceptions=True)
