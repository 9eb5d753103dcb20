"""Fixtures of the search tests: each module runs on the fabric on SQLite, then on PostgreSQL,
Redis and NATS.

On PostgreSQL a module gets a host of its own (its own database, stream and cache prefix):
what these tests time is how soon their own records are indexed, not how soon the indexer of
the session's shared fabric gets through every other module's records first."""

from __future__ import annotations

from collections.abc import AsyncIterator

import grpc
import pytest

from services.registry import SERVICES
from services.shared.server import Host
from tests.airtable_gateway.helpers import Fabric
from tests.fixtures.fabric import host_settings
from tests.fixtures.infra import (
    create_database,
    delete_stream,
    drop_database,
    make_unique_name,
    pg_database_url,
)


@pytest.fixture(scope="module")
async def search_pg_fabric(
    tmp_path_factory: pytest.TempPathFactory, redis_url: str, nats_url: str
) -> AsyncIterator[Fabric]:
    """A host of the module's own on PostgreSQL, Redis and NATS."""
    database = await create_database()
    stream = make_unique_name("PYAT_SEARCH_")
    settings = host_settings(
        tmp_path_factory.mktemp("search_pg"),
        database_url=pg_database_url(database),
        redis_url=redis_url,
        nats_url=nats_url,
        nats_stream=stream,
        cache_prefix=f"{stream.lower()}:",
    )
    host = Host(list(SERVICES.values()), settings)
    await host.start()
    channel = grpc.aio.insecure_channel(host.address)
    try:
        yield Fabric(host, channel)
    finally:
        await channel.close()
        await host.stop(grace_s=1)
        await delete_stream(nats_url, stream)
        await drop_database(database)


@pytest.fixture(
    scope="module", params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)]
)
def any_fabric(request: pytest.FixtureRequest) -> Fabric:
    if request.param == "sqlite":
        return Fabric(request.getfixturevalue("fabric"), request.getfixturevalue("channel"))
    found: Fabric = request.getfixturevalue("search_pg_fabric")
    return found
