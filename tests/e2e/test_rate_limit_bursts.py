"""A burst to one base through Envoy, from pyairtable with its default retries (urllib3 Retry:
5 retries, backoff 0.1 s, honouring Retry-After): the per-base limit spreads it out at the
plan's rate, and no client gives up.

The scale is Airtable's own example, 25 threads sending 100 requests to one base, at the
default (free) plan's 5 requests/s per base: about 19 s per storage configuration. That is
the queue's worst case for this many clients (25 waiting at once, 5 s for the last), which a
higher plan rate would only make easier.
"""

from __future__ import annotations

import asyncio
import time
from concurrent.futures import ThreadPoolExecutor

import httpx
from pyairtable import Api

from tests.e2e.test_airtable_rest import create_base, sign_up

THREADS = 25
REQUESTS = 100
PER_BASE = 5  # the free plan's requests per second per base, which every new tenant has


def list_tasks(edge_url: str, pat: str, base_id: str, count: int) -> int:
    """`count` reads of the base's table with pyairtable as it comes; how many succeeded (a
    request that fails after its retries raises)."""
    table = Api(pat, endpoint_url=edge_url).table(base_id, "Tasks")
    for _ in range(count):
        assert table.all() == []
    return count


async def test_25_threads_bursting_one_base_all_succeed_at_its_rate(edge_url: str) -> None:
    async with httpx.AsyncClient(base_url=edge_url, timeout=10) as http:
        account = await sign_up(http)
        base = await create_base(http, account)
    loop = asyncio.get_running_loop()
    started = time.monotonic()
    # The fabric serves from this event loop, so the threads get an executor of their own.
    with ThreadPoolExecutor(max_workers=THREADS) as threads:
        done = await asyncio.gather(
            *(
                loop.run_in_executor(
                    threads, list_tasks, edge_url, account.pat, base["id"], REQUESTS // THREADS
                )
                for _ in range(THREADS)
            )
        )
    took = time.monotonic() - started
    assert sum(done) == REQUESTS
    # Every request got its own token: 5 at once, then 5 a second, however fast they came.
    assert took >= (REQUESTS - PER_BASE) / PER_BASE - 0.5
