"""Fixtures for formula tests: a FormulaService stub on the real fabric, acting as a caller."""

from __future__ import annotations

from collections.abc import AsyncIterator

import asyncpg
import grpc
import pytest
from pyat.formula.v1 import formula_pb2_grpc

from tests.fixtures.callers import caller_metadata
from tests.fixtures.infra import make_unique_name
from tests.formula.scratch import EMPTY, FULL, SqliteRows, asyncpg_dsn, pg_setup

# A user's call as airtable-gateway passes it on: most of FormulaService is internal.
CALLER = caller_metadata("tenFormulaTests01", "usrFormulaTests01", via="airtable_gateway")


@pytest.fixture(scope="session")
def formulas(channel: grpc.aio.Channel) -> formula_pb2_grpc.FormulaServiceStub:
    return formula_pb2_grpc.FormulaServiceStub(channel)


@pytest.fixture(scope="session")
def sqlite_rows() -> SqliteRows:
    return SqliteRows([FULL, EMPTY])


@pytest.fixture(scope="session")
async def pg_rows(pg_url: str) -> AsyncIterator[tuple[asyncpg.Connection, str]]:
    """A connection and a scratch table shaped like airtable_records, holding FULL and EMPTY."""
    conn = await asyncpg.connect(asyncpg_dsn(pg_url))
    name = make_unique_name("formula_rows_")
    await pg_setup(conn, name, [FULL, EMPTY])
    yield conn, name
    await conn.close()
