"""Token buckets in the cache (`Cache.take_token`), in process and on the machine's Redis."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest
import redis.asyncio as aioredis

from services.shared.cache import Cache, MemoryCache, RedisCache


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
    taken = [await cache.take_token("b", rate_per_s=2, burst=5) for _ in range(5)]
    assert taken == [0.0] * 5
    wait = await cache.take_token("b", rate_per_s=2, burst=5)
    # One token comes back every 0.5 s; a little of that has passed already.
    assert 0.3 < wait <= 0.5


async def test_a_refused_take_takes_nothing(cache: Cache) -> None:
    for _ in range(2):
        assert await cache.take_token("b", rate_per_s=4, burst=2) == 0.0
    first = await cache.take_token("b", rate_per_s=4, burst=2)
    second = await cache.take_token("b", rate_per_s=4, burst=2)
    # Had the first refusal taken a token, the second would have to wait a whole period more.
    assert 0 < second <= first <= 0.25


async def test_the_bucket_refills_at_its_rate_up_to_its_burst(cache: Cache) -> None:
    for _ in range(3):
        assert await cache.take_token("b", rate_per_s=5, burst=3) == 0.0
    assert await cache.take_token("b", rate_per_s=5, burst=3) > 0
    await asyncio.sleep(0.45)  # two tokens' worth (and a bit)
    assert await cache.take_token("b", rate_per_s=5, burst=3) == 0.0
    assert await cache.take_token("b", rate_per_s=5, burst=3) == 0.0
    assert await cache.take_token("b", rate_per_s=5, burst=3) > 0
    await asyncio.sleep(0.7)  # far longer than a refill: never more than the burst
    assert [await cache.take_token("b", rate_per_s=5, burst=3) for _ in range(3)] == [0.0] * 3
    assert await cache.take_token("b", rate_per_s=5, burst=3) > 0


async def test_buckets_are_independent(cache: Cache) -> None:
    assert await cache.take_token("tenant-a", rate_per_s=1, burst=1) == 0.0
    assert await cache.take_token("tenant-a", rate_per_s=1, burst=1) > 0
    assert await cache.take_token("tenant-b", rate_per_s=1, burst=1) == 0.0


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
            *(replicas[i % 2].take_token("shared", rate_per_s=0.001, burst=25) for i in range(200))
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
        await cache.take_token("b", rate_per_s=2, burst=5)
        ttl_ms = await client.pttl(f"{prefix}b")
        # One token to refill at 2/s: 500 ms, after which the key is not needed.
        assert 0 < ttl_ms <= 500
    finally:
        await client.aclose()
        await cache.close()
        await _delete_prefixed(redis_url, prefix)
