"""Fixtures for formula tests: a FormulaService stub on the real fabric, acting as a caller."""

from __future__ import annotations

from collections.abc import AsyncIterator

import asyncpg
import grpc
import pytest
from pyat.formula.v1 import formula_pb2_grpc

from services.shared.identity import TENANT_HEADER, USER_HEADER
from tests.fixtures.infra import make_unique_name
from tests.formula.scratch import EMPTY, FULL, SqliteRows, asyncpg_dsn, pg_setup

CALLER = ((TENANT_HEADER, "tenFormulaTests01"), (USER_HEADER, "usrFormulaTests01"))


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
