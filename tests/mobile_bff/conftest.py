"""Fixtures of the mobile-bff tests: a stub of the service on the session's fabric."""

from __future__ import annotations

import grpc
import pytest
from pyat.mobilebff.v1 import mobile_bff_pb2_grpc

from services.shared.server import Host
from tests.airtable_gateway.helpers import Fabric


@pytest.fixture(scope="session")
def mobile(channel: grpc.aio.Channel) -> mobile_bff_pb2_grpc.MobileBffServiceStub:
    return mobile_bff_pb2_grpc.MobileBffServiceStub(channel)


@pytest.fixture(scope="session")
def sqlite_fabric(fabric: Host, channel: grpc.aio.Channel) -> Fabric:
    return Fabric(fabric, channel)


@pytest.fixture(
    scope="module", params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)]
)
def any_fabric(request: pytest.FixtureRequest) -> Fabric:
    """The fabric on SQLite, then on PostgreSQL, Redis and NATS (device storage runs on both)."""
    sqlite = request.param == "sqlite"
    host: Host = request.getfixturevalue("fabric" if sqlite else "pg_fabric")
    channel: grpc.aio.Channel = request.getfixturevalue("channel" if sqlite else "pg_channel")
    return Fabric(host, channel)
