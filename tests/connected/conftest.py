"""Fixtures for connected bases: a real fake Airtable on a local port, and a record of when
the Airtable client sent each request."""

from __future__ import annotations

import time
from collections import defaultdict
from collections.abc import AsyncIterator
from typing import Any

import pytest

from services.airtable_gateway.connected import airtable
from services.airtable_gateway.connected.airtable import AirtableClient, Target
from tests.fixtures.fake_airtable import FakeAirtable, running_fake

# How far apart two recorded send times may drift from the limiter's own clock: the recording
# runs right after the limiter lets a request go, but the OS may pause the process in between.
RECORDING_JITTER_S = 0.05


@pytest.fixture(scope="session")
async def fake() -> AsyncIterator[FakeAirtable]:
    async for started in running_fake():
        yield started


class SendLog:
    """When the Airtable client sent each request, by Airtable base id.

    The fake's own arrival times include the network and the machine's load, so requests
    paced exactly 1/rate apart can arrive closer; the pacing is judged where it is made.
    """

    def __init__(self) -> None:
        self.times: defaultdict[str, list[float]] = defaultdict(list)

    def most_in_a_second(self, base_id: str) -> int:
        """The most requests to a base sent within any one second (less the jitter)."""
        times = sorted(self.times[base_id])
        window = 1.0 - RECORDING_JITTER_S
        return max(
            (sum(1 for t in times[i:] if t - start < window) for i, start in enumerate(times)),
            default=0,
        )


@pytest.fixture(autouse=True)
def short_backoff(monkeypatch: pytest.MonkeyPatch) -> None:
    """Requests paced 1/5 s apart may still arrive at the fake closer than that on a loaded
    machine, and be answered 429 as Airtable would. The client then waits Airtable's 30 s;
    here 0.2 s, so such a 429 costs a test little (tests that count requests skip 429s)."""
    monkeypatch.setattr(airtable, "BACKOFF_S", 0.2)


@pytest.fixture
def sends(monkeypatch: pytest.MonkeyPatch) -> SendLog:
    """Record every request the Airtable client sends, in this test, in any fabric."""
    log = SendLog()
    send = AirtableClient._send

    async def recorded(self: AirtableClient, target: Target, *args: Any) -> Any:
        log.times[target.airtable_base_id].append(time.monotonic())
        return await send(self, target, *args)

    monkeypatch.setattr(AirtableClient, "_send", recorded)
    return log
