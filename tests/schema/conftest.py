"""Fixtures of the schema tests: SchemaService on the SQLite fabric, and one base to share."""

from __future__ import annotations

import grpc
import pytest

from services.shared.server import Host
from tests.schema.support import Owner, Schema, schema_on


@pytest.fixture(scope="module")
def schema(fabric: Host, channel: grpc.aio.Channel) -> Schema:
    return schema_on(fabric, channel)


@pytest.fixture(scope="module")
async def owner(schema: Schema) -> Owner:
    """One person with one base, for tests that only add tables of their own to it."""
    return await schema.owner()
