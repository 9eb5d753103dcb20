"""Fixtures of the schema tests: SchemaService on the fabric on SQLite, then on PostgreSQL,
Redis and NATS, and one base to share."""

from __future__ import annotations

import grpc
import pytest

from services.shared.server import Host
from tests.schema.support import Owner, Schema, schema_on


@pytest.fixture(
    scope="module", params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)]
)
def schema(request: pytest.FixtureRequest) -> Schema:
    """Module-scoped, so a module's shared data is made once on each database."""
    sqlite = request.param == "sqlite"
    host: Host = request.getfixturevalue("fabric" if sqlite else "pg_fabric")
    channel: grpc.aio.Channel = request.getfixturevalue("channel" if sqlite else "pg_channel")
    return schema_on(host, channel)


@pytest.fixture(scope="module")
async def owner(schema: Schema) -> Owner:
    """One person with one base, for tests that only add tables of their own to it."""
    return await schema.owner()
