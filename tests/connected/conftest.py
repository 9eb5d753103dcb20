"""Fixtures for connected bases: a real fake Airtable on a local port."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from tests.fixtures.fake_airtable import FakeAirtable, running_fake


@pytest.fixture(scope="session")
async def fake() -> AsyncIterator[FakeAirtable]:
    async for started in running_fake():
        yield started
