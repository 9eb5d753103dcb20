"""Fixtures of the data-plane tests: each module runs on the fabric on SQLite, then on
PostgreSQL, Redis and NATS."""

from __future__ import annotations

import grpc
import pytest

from services.shared.server import Host
from tests.airtable_gateway.helpers import Fabric


@pytest.fixture(
    scope="module", params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)]
)
def any_fabric(request: pytest.FixtureRequest) -> Fabric:
    """The fabric on SQLite and the in-process cache and bus, then on PostgreSQL, Redis and
    NATS. Module-scoped, so a module's shared data is made once on each."""
    sqlite = request.param == "sqlite"
    host: Host = request.getfixturevalue("fabric" if sqlite else "pg_fabric")
    channel: grpc.aio.Channel = request.getfixturevalue("channel" if sqlite else "pg_channel")
    return Fabric(host, channel)
