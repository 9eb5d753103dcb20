"""Storage: SQLAlchemy 2.0 async on SQLite (the default) or PostgreSQL, with Alembic migrations.

Each service declares its tables on its own `DeclarativeBase` and keeps its own Alembic
history (`services/<name>/migrations`, version table `alembic_version_<name>`), so services
can share one database in all-in-one mode and still be split apart later.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any, TypeVar

from alembic import command
from alembic.config import Config as AlembicConfig
from sqlalchemy import DateTime, TypeDecorator, event, text
from sqlalchemy.engine import Connection, Dialect, make_url
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)
from sqlalchemy.pool import NullPool
from sqlalchemy.sql import Select

# Any constant will do; it only has to be the same in every process migrating one database.
_MIGRATION_LOCK = 0x70796174  # "pyat"
# PostgreSQL's error codes (SQLSTATE) for what creating the database can run into.
_NO_SUCH_DATABASE = "3D000"
_DATABASE_EXISTS = "42P04"
# Where CREATE DATABASE is run from: every PostgreSQL server has it.
_MAINTENANCE_DATABASE = "postgres"


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


class UTCDateTime(TypeDecorator[dt.datetime]):
    """A timestamp that is always timezone-aware UTC, on SQLite too (which drops the zone)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: dt.datetime | None, dialect: Dialect) -> Any:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTCDateTime column")
        return value.astimezone(dt.UTC)

    def process_result_value(self, value: Any, dialect: Dialect) -> dt.datetime | None:
        if value is None:
            return None
        stamp: dt.datetime = value
        if stamp.tzinfo is None:
            return stamp.replace(tzinfo=dt.UTC)
        return stamp.astimezone(dt.UTC)


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    # SQLite has one writer at a time; under a burst of writes a writer may wait its turn
    # for a while, and failing it is worse than waiting (the caller's deadline still holds).
    cursor.execute("PRAGMA busy_timeout=15000")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


SelectT = TypeVar("SelectT", bound=Select[Any])
# The execution option `locked_for_update` sets: see `locked_for_update`.
_WRITE_LOCK_OPTION = "pyat_write_lock"


def locked_for_update(statement: SelectT) -> SelectT:
    """`statement` as a read of rows the transaction will change: FOR UPDATE on PostgreSQL.

    SQLite has no row locks: two transactions reading the same row to change it would each
    write back what they read, losing the other's change. There the read that begins the
    transaction begins it IMMEDIATE instead, taking the one write lock (waiting for it, as
    the busy timeout allows) before it reads. Only for transactions that call no service that
    writes to the same database before they commit: that service would wait for the lock.
    """
    return statement.with_for_update().execution_options(**{_WRITE_LOCK_OPTION: True})


def _sqlite_write_lock(
    conn: Any, cursor: Any, _statement: str, _parameters: Any, context: Any, _many: bool
) -> None:
    if not context.execution_options.get(_WRITE_LOCK_OPTION):
        return
    # A transaction that already wrote holds the lock (it began at its first write).
    if not conn.connection.dbapi_connection._connection.in_transaction:
        cursor.execute("BEGIN IMMEDIATE")


class Database:
    """One engine and session factory. `async with db.transaction() as s:` is the unit of work."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.is_sqlite = url.startswith("sqlite")
        if self.is_sqlite:
            path = url.split("///", 1)[-1]
            if path and path != ":memory:":
                Path(path).parent.mkdir(parents=True, exist_ok=True)
            self.engine: AsyncEngine = create_async_engine(url)
            event.listen(self.engine.sync_engine, "connect", _sqlite_pragmas)
            event.listen(self.engine.sync_engine, "before_cursor_execute", _sqlite_write_lock)
        else:
            self.engine = create_async_engine(
                url, pool_size=10, max_overflow=20, pool_pre_ping=True
            )
        self.sessions = async_sessionmaker(self.engine, expire_on_commit=False)

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[AsyncSession]:
        """A session in a transaction that commits on success and rolls back on any error."""
        async with self.sessions() as session, session.begin():
            yield session

    @asynccontextmanager
    async def read(self) -> AsyncIterator[AsyncSession]:
        """A session for reads only; nothing is committed."""
        async with self.sessions() as session:
            yield session

    async def migrate(self, migrations: Path, version_table: str) -> None:
        """Apply one service's Alembic migrations up to head."""

        def upgrade(connection: Connection) -> None:
            cfg = AlembicConfig()
            cfg.set_main_option("script_location", str(migrations))
            cfg.attributes["connection"] = connection
            cfg.attributes["version_table"] = version_table
            command.upgrade(cfg, "head")

        async with self.engine.begin() as conn:
            if not self.is_sqlite:
                # Processes starting together (one per service) take turns, so two of them
                # never both create the shared tables.
                await conn.execute(
                    text("SELECT pg_advisory_xact_lock(:key)"), {"key": _MIGRATION_LOCK}
                )
            await conn.run_sync(upgrade)

    async def close(self) -> None:
        await self.engine.dispose()


class DatabaseNotReady(Exception):
    """The database a URL names can't be reached, or does not exist and could not be created.
    The message is one line that says what to do."""


async def create_database_if_missing(url: str) -> str | None:
    """Creates the PostgreSQL database `url` names when there is none yet; returns its name
    if it did.

    A fresh server has no database of ours, so the first start makes it, as the URL's role,
    from the `postgres` maintenance database. When that role may not, DatabaseNotReady says
    how to do it instead of a driver's traceback. SQLite needs nothing: the file is made on
    first use.
    """
    target = make_url(url)
    if target.get_backend_name() != "postgresql" or not target.database:
        return None
    host, port = target.host or "localhost", target.port or 5432
    server = f"{host}:{port}"
    try:
        if await _database_exists(url):
            return None
    except OSError as error:
        raise DatabaseNotReady(
            f"cannot reach PostgreSQL at {server} ({error.strerror or error}); start it or "
            "change DATABASE_URL"
        ) from None
    engine = create_async_engine(
        target.set(database=_MAINTENANCE_DATABASE), poolclass=NullPool, isolation_level="AUTOCOMMIT"
    )
    try:
        async with engine.connect() as conn:
            name = conn.dialect.identifier_preparer.quote(target.database)
            await conn.execute(text(f"CREATE DATABASE {name}"))
    except DBAPIError as error:
        if _sqlstate(error) == _DATABASE_EXISTS:
            return None  # a process starting beside this one made it first
        reason = str(error.orig or error).splitlines()[0]
        role = target.username or "this role"
        owner = f"-O {target.username} " if target.username else ""
        raise DatabaseNotReady(
            f'database "{target.database}" does not exist on {server} and {role} could not '
            f"create it ({reason}); create it as an administrator with "
            f"`createdb -h {host} -p {port} {owner}{target.database}`, or point DATABASE_URL "
            "at one that exists"
        ) from None
    finally:
        await engine.dispose()
    return target.database


async def _database_exists(url: str) -> bool:
    engine = create_async_engine(url, poolclass=NullPool)
    try:
        async with engine.connect():
            return True
    except DBAPIError as error:
        if _sqlstate(error) == _NO_SUCH_DATABASE:
            return False
        raise
    finally:
        await engine.dispose()


def _sqlstate(error: DBAPIError) -> str | None:
    code: str | None = getattr(error.orig, "sqlstate", None)
    return code
