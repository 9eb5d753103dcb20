"""A DATABASE_URL naming a database the server does not have: `pyat` creates it when the role
may, and otherwise stops with one line saying how, on the machine's PostgreSQL."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import asyncpg
import pytest

from services.shared.db import create_database_if_missing
from tests.edge.processes import moved_ports, pyat_env, run_pyat
from tests.fixtures.infra import (
    PG_HOST,
    PG_PORT,
    PG_USER,
    drop_database,
    make_unique_name,
    pg_database_url,
)

pytestmark = pytest.mark.postgres


async def database_exists(name: str) -> bool:
    conn = await asyncpg.connect(
        host=PG_HOST, port=PG_PORT, user=PG_USER, database="postgres", timeout=5
    )
    try:
        found = await conn.fetchval("SELECT 1 FROM pg_database WHERE datname = $1", name)
    finally:
        await conn.close()
    return bool(found == 1)


@pytest.fixture
async def missing_database() -> AsyncIterator[str]:
    """The name of a database that does not exist; dropped after the test if it came to."""
    name = make_unique_name("pyat_missing_")
    yield name
    await drop_database(name)


@pytest.fixture
async def role_without_createdb() -> AsyncIterator[str]:
    """A role that may log in but not create databases."""
    role = make_unique_name("pyat_role_")
    conn = await asyncpg.connect(
        host=PG_HOST, port=PG_PORT, user=PG_USER, database="postgres", timeout=5
    )
    try:
        await conn.execute(f'CREATE ROLE "{role}" LOGIN NOCREATEDB')
        yield role
    finally:
        await conn.execute(f'DROP ROLE IF EXISTS "{role}"')
        await conn.close()


async def test_a_missing_database_is_created_once(missing_database: str) -> None:
    url = pg_database_url(missing_database)
    assert await create_database_if_missing(url) == missing_database
    assert await database_exists(missing_database)
    assert await create_database_if_missing(url) is None


async def test_pyat_creates_the_database_and_migrates_it(
    missing_database: str, tmp_path: Path
) -> None:
    # The plain URL the README shows, not the driver's.
    url = f"postgresql://{PG_USER}@{PG_HOST}:{PG_PORT}/{missing_database}"
    code, out, err = await run_pyat(["migrate"], pyat_env(tmp_path, DATABASE_URL=url), 120)
    assert code == 0, err
    assert f"created the database {missing_database}" in out
    conn = await asyncpg.connect(
        host=PG_HOST, port=PG_PORT, user=PG_USER, database=missing_database, timeout=5
    )
    try:
        assert await conn.fetchval("SELECT to_regclass('alembic_version_auth') IS NOT NULL")
    finally:
        await conn.close()


async def test_a_role_that_may_not_create_it_gets_one_line_on_how(
    missing_database: str, role_without_createdb: str, tmp_path: Path
) -> None:
    url = f"postgresql://{role_without_createdb}@{PG_HOST}:{PG_PORT}/{missing_database}"
    env = pyat_env(tmp_path, DATABASE_URL=url, **moved_ports())
    code, out, err = await run_pyat(["up"], env)
    assert (code, out) == (1, "")
    assert err.count("\n") == 1, err  # one line: no traceback
    assert err.startswith(f'pyat: database "{missing_database}" does not exist'), err
    assert (
        f"createdb -h {PG_HOST} -p {PG_PORT} -O {role_without_createdb} {missing_database}" in err
    )
    assert not await database_exists(missing_database)
