"""Token buckets in the cache (`Cache.take_token`, and `Cache.take_tokens` for several at once
with reservations), in process and on the machine's Redis.

A bucket's answers depend on when they are given, and a loaded machine may pause between any
two calls. So the tests record when each call started and ended, and check every answer
against what a bucket of that rate and burst could hold at some moment within those bounds
(`Bucket`), rather than assuming how long anything took. Where a test needs no refill, its
rate is so slow that none can happen before the test times out.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass

import pytest
import redis.asyncio as aioredis

from services.shared.cache import Bucket as Spec
from services.shared.cache import Cache, MemoryCache, RedisCache

# One token every two minutes: longer than any test may run, so nothing refills.
SLOW = 1 / 120
PERIOD_S = 1 / SLOW
# Redis answers by its own clock, ours brackets it; allow for the two drifting a little.
CLOCK_SLACK_S = 0.005
TOKEN_SLACK = 1e-6


@dataclass(frozen=True)
class Take:
    """One take_token answer, given at some moment between `start` and `end`."""

    wait: float
    start: float
    end: float


async def take(cache: Cache, key: str, rate: float, burst: int) -> Take:
    start = time.monotonic()
    wait = await cache.take_token(key, rate_per_s=rate, burst=burst)
    return Take(wait, start, time.monotonic())


class Bucket:
    """What a token bucket of `rate` and `burst` may hold, within bounds: each answer was
    given at an unknown moment of its call. `check` fails on an answer no such bucket gives."""

    def __init__(self, rate: float, burst: int) -> None:
        self.rate, self.burst = rate, burst
        self.low = self.high = float(burst)  # a new bucket is full
        self.known_at: tuple[float, float] | None = None  # when the bounds held

    def check(self, answer: Take) -> Take:
        start, end = answer.start - CLOCK_SLACK_S, answer.end + CLOCK_SLACK_S
        low, high = self.low, self.high
        if self.known_at is not None:
            earliest, latest = self.known_at
            low = min(self.burst, low + self.rate * max(0.0, start - latest))
            high = min(self.burst, high + self.rate * (end - earliest))
        if answer.wait == 0.0:
            assert high >= 1 - TOKEN_SLACK, f"a token was given from at most {high:.3f}"
            self.low, self.high = max(low, 1.0) - 1, high - 1
        else:
            # A refusal says exactly what the bucket held: 1 - rate * wait tokens.
            level = 1 - self.rate * answer.wait
            assert low - TOKEN_SLACK <= level <= high + TOKEN_SLACK, (
                f"refused with {level:.3f} tokens when it held {low:.3f} to {high:.3f}"
            )
            self.low = self.high = level
        self.known_at = (start, end)
        return answer

    async def take(self, cache: Cache, key: str) -> Take:
        return self.check(await take(cache, key, self.rate, self.burst))


@pytest.fixture(params=["memory", pytest.param("redis", marks=pytest.mark.redis)])
async def cache(request: pytest.FixtureRequest, unique_name: str) -> AsyncIterator[Cache]:
    if request.param == "memory":
        memory = MemoryCache()
        yield memory
        await memory.close()
        return
    url: str = request.getfixturevalue("redis_url")
    redis_cache = await RedisCache.connect(url, f"{unique_name}:")
    yield redis_cache
    await redis_cache.close()
    await _delete_prefixed(url, f"{unique_name}:")


async def _delete_prefixed(url: str, prefix: str) -> None:
    client = aioredis.Redis.from_url(url)
    try:
        keys = [key async for key in client.scan_iter(match=f"{prefix}*")]
        if keys:
            await client.delete(*keys)
    finally:
        await client.aclose()


async def test_a_new_bucket_gives_its_burst_then_says_how_long_to_wait(cache: Cache) -> None:
    bucket = Bucket(SLOW, 5)
    taken = [await bucket.take(cache, "b") for _ in range(6)]
    assert [t.wait for t in taken[:5]] == [0.0] * 5
    # One token per period; what has refilled since the first take is already counted.
    span = taken[-1].end - taken[0].start
    assert PERIOD_S - span - CLOCK_SLACK_S <= taken[-1].wait <= PERIOD_S


async def test_a_refused_take_takes_nothing(cache: Cache) -> None:
    bucket = Bucket(SLOW, 2)
    for _ in range(2):
        assert (await bucket.take(cache, "b")).wait == 0.0
    first = await bucket.take(cache, "b")
    second = await bucket.take(cache, "b")
    # Had the first refusal taken a token, the second would wait a whole period more.
    assert 0 < second.wait <= first.wait <= PERIOD_S


async def take_until_refused(bucket: Bucket, cache: Cache, key: str) -> list[Take]:
    """Take tokens until one is refused; the refusal is the last answer."""
    answers: list[Take] = []
    for _ in range(50):
        answers.append(await bucket.take(cache, key))
        if answers[-1].wait > 0:
            return answers
    pytest.fail(f"50 tokens in a row from a bucket of {bucket.burst} at {bucket.rate}/s")


async def test_the_bucket_refills_at_its_rate_up_to_its_burst(cache: Cache) -> None:
    bucket = Bucket(5, 3)  # a token every 0.2 s
    assert len(await take_until_refused(bucket, cache, "b")) >= 4  # the full burst, at least
    await asyncio.sleep(0.45)  # two tokens' worth, and a bit: a pause only adds to it
    refilled = await take_until_refused(bucket, cache, "b")
    assert len(refilled) - 1 >= 2
    await asyncio.sleep(0.7)  # longer than the bucket takes to fill: it stops at its burst
    full = await take_until_refused(bucket, cache, "b")
    assert len(full) - 1 >= 3
    # How many more each round gave, if any, is what `Bucket` allowed for the time it took.


async def test_buckets_are_independent(cache: Cache) -> None:
    assert await cache.take_token("tenant-a", rate_per_s=SLOW, burst=1) == 0.0
    assert await cache.take_token("tenant-a", rate_per_s=SLOW, burst=1) > 0
    assert await cache.take_token("tenant-b", rate_per_s=SLOW, burst=1) == 0.0


async def test_a_bucket_and_a_value_under_other_keys_do_not_mix(cache: Cache) -> None:
    await cache.set("v", b"not a bucket")
    assert await cache.take_token("b", rate_per_s=1, burst=1) == 0.0
    assert await cache.get("v") == b"not a bucket"


@pytest.mark.parametrize(
    ("rate", "burst"), [(0, 1), (-1, 1), (float("nan"), 1), (float("inf"), 1), (1, 0)]
)
async def test_a_bucket_without_a_sensible_rate_or_size_is_refused(
    cache: Cache, rate: float, burst: int
) -> None:
    with pytest.raises(ValueError, match="token bucket"):
        await cache.take_token("b", rate_per_s=rate, burst=burst)


@pytest.mark.redis
async def test_redis_buckets_are_atomic_across_clients(redis_url: str, unique_name: str) -> None:
    # Two connections stand for two gateway replicas sharing one bucket.
    prefix = f"{unique_name}:"
    replicas = [await RedisCache.connect(redis_url, prefix) for _ in range(2)]
    try:
        # A rate so slow that nothing refills during the test: exactly the burst gets through.
        results = await asyncio.gather(
            *(replicas[i % 2].take_token("shared", rate_per_s=SLOW, burst=25) for i in range(200))
        )
        assert sum(wait == 0.0 for wait in results) == 25
        assert all(wait > 0 for wait in results if wait != 0.0)
    finally:
        for replica in replicas:
            await replica.close()
        await _delete_prefixed(redis_url, prefix)


@pytest.mark.redis
async def test_redis_bucket_expires_once_it_would_be_full(redis_url: str, unique_name: str) -> None:
    prefix = f"{unique_name}:"
    cache = await RedisCache.connect(redis_url, prefix)
    client = aioredis.Redis.from_url(redis_url)
    try:
        started = time.monotonic()
        await cache.take_token("b", rate_per_s=SLOW, burst=5)
        ttl_ms = await client.pttl(f"{prefix}b")
        elapsed_ms = (time.monotonic() - started) * 1000
        # One token to refill: a period, less what has passed, after which the key is not needed.
        assert PERIOD_S * 1000 - elapsed_ms - 1 <= ttl_ms <= PERIOD_S * 1000
    finally:
        await client.aclose()
        await cache.close()
        await _delete_prefixed(redis_url, prefix)


# Several buckets at once (`Cache.take_tokens`): all or none, and reservations.


async def test_a_refusal_by_any_bucket_takes_from_none(cache: Cache) -> None:
    base, tenant = Spec("base", SLOW, 3), Spec("tenant", SLOW, 1)
    assert (await cache.take_tokens([base, tenant])).granted
    refused = await cache.take_tokens([base, tenant])
    assert refused.refused_by == 1 and 0 < refused.wait_s <= PERIOD_S
    # The base's bucket gave nothing to the refused request: two tokens are left in it.
    assert [await cache.take_token("base", SLOW, 3) for _ in range(3)][:2] == [0.0, 0.0]


async def test_a_bucket_that_queues_reserves_tokens_up_to_its_longest_wait(cache: Cache) -> None:
    # 2 tokens, one more every 10 s, and a request may wait up to 25 s for its token.
    queued = Spec("q", 0.1, 2, max_wait_s=25)
    waits = []
    for _ in range(6):
        started = time.monotonic()
        taken = await cache.take_tokens([queued])
        waits.append((taken, time.monotonic() - started))
    assert [t.granted for t, _ in waits] == [True] * 4 + [False] * 2
    assert [t.wait_s for t, _ in waits[:2]] == [0.0, 0.0]
    # Each reservation is due a refill (10 s) after the one before it; a refill that came
    # while the calls ran only brings it closer.
    for (taken, _), expected in zip(waits[2:4], (10.0, 20.0), strict=True):
        assert expected - 1 <= taken.wait_s <= expected
    # The fifth would be due in 30 s, 5 s past the longest wait: it is told so, and takes
    # nothing (the sixth is told the same).
    for taken, _ in waits[4:]:
        assert taken.refused_by == 0 and 4 <= taken.wait_s <= 5


async def test_a_queueing_bucket_lets_a_request_through_once_its_wait_fits(cache: Cache) -> None:
    queued = Spec("q", 20, 1, max_wait_s=0.1)  # a token every 50 ms, two queued at most
    results = [await cache.take_tokens([queued]) for _ in range(5)]
    refused = next(r for r in results if not r.granted)
    await asyncio.sleep(refused.wait_s + CLOCK_SLACK_S)
    assert (await cache.take_tokens([queued])).granted


@pytest.mark.redis
async def test_redis_reservations_are_atomic_across_clients(
    redis_url: str, unique_name: str
) -> None:
    prefix = f"{unique_name}:"
    replicas = [await RedisCache.connect(redis_url, prefix) for _ in range(2)]
    try:
        # Nothing refills during the test: 5 tokens at once and 10 reserved (up to 10 periods
        # ahead), whoever asks; each reservation is due at a different refill.
        queued = Spec("shared", SLOW, 5, max_wait_s=10 * PERIOD_S)
        tenant = Spec("tenant", SLOW, 1000)
        results = await asyncio.gather(
            *(replicas[i % 2].take_tokens([queued, tenant]) for i in range(40))
        )
        granted = sorted(r.wait_s for r in results if r.granted)
        assert len(granted) == 15 and granted[:5] == [0.0] * 5
        assert len({round(w / PERIOD_S) for w in granted[5:]}) == 10
        assert all(r.refused_by == 0 for r in results if not r.granted)
    finally:
        for replica in replicas:
            await replica.close()
        await _delete_prefixed(redis_url, prefix)
