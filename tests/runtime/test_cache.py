"""The cache contract, on the in-process LRU and on the machine's Redis."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator

import pytest
import redis.asyncio as aioredis

from services.shared.cache import Cache, MemoryCache, RedisCache, open_cache, redacted_url
from services.shared.config import Settings
from tests.fixtures.infra import make_unique_name


@pytest.fixture(params=["memory", pytest.param("redis", marks=pytest.mark.redis)])
async def cache(request: pytest.FixtureRequest, unique_name: str) -> AsyncIterator[Cache]:
    if request.param == "memory":
        memory = MemoryCache()
        yield memory
        await memory.close()
        return
    url: str = request.getfixturevalue("redis_url")
    prefix = f"{unique_name}:"
    redis_cache = await RedisCache.connect(url, prefix)
    yield redis_cache
    await redis_cache.close()
    await _delete_prefixed(url, prefix)


async def _delete_prefixed(url: str, prefix: str) -> None:
    client = aioredis.Redis.from_url(url)
    try:
        keys = [key async for key in client.scan_iter(match=f"{prefix}*")]
        if keys:
            await client.delete(*keys)
    finally:
        await client.aclose()


async def test_get_returns_what_set_stored_and_none_for_a_missing_key(cache: Cache) -> None:
    assert await cache.get("k") is None
    await cache.set("k", b"v1")
    assert await cache.get("k") == b"v1"
    await cache.set("k", b"v2")
    assert await cache.get("k") == b"v2"


async def test_delete_removes_every_given_key_and_ignores_missing_ones(cache: Cache) -> None:
    await cache.set("a", b"1")
    await cache.set("b", b"2")
    await cache.set("c", b"3")
    await cache.delete("a", "b", "never-set")
    await cache.delete()
    assert await cache.get("a") is None
    assert await cache.get("b") is None
    assert await cache.get("c") == b"3"


# A TTL no test outlives (they time out long before).
LONG_TTL_S = 3600.0


async def expires_after(cache: Cache, key: str, set_at: float) -> float:
    """Wait until `key` is gone; how long after `set_at` it was seen gone at the latest. Fails
    if it outlives any sensible expiry."""
    deadline = time.monotonic() + 20
    while await cache.get(key) is not None:
        assert time.monotonic() < deadline, f"{key!r} never expired"
        await asyncio.sleep(0.02)
    return time.monotonic() - set_at


async def test_value_expires_after_its_ttl_and_one_without_ttl_stays(cache: Cache) -> None:
    ttl_s = 0.3
    set_at = time.monotonic()
    await cache.set("short", b"x", ttl_s=ttl_s)
    await cache.set("long", b"y", ttl_s=LONG_TTL_S)
    await cache.set("forever", b"z")
    short = await cache.get("short")
    # Only a pause longer than the TTL (a loaded machine) could rightly have lost it.
    assert short == b"x" or time.monotonic() - set_at >= ttl_s
    assert await expires_after(cache, "short", set_at) >= ttl_s
    assert await cache.get("long") == b"y"
    assert await cache.get("forever") == b"z"


async def test_set_with_a_non_positive_ttl_leaves_no_value(cache: Cache) -> None:
    await cache.set("k", b"old")
    await cache.set("k", b"new", ttl_s=0)
    assert await cache.get("k") is None


@pytest.mark.redis
async def test_redis_caches_with_different_prefixes_do_not_see_each_other(redis_url: str) -> None:
    prefix_a, prefix_b = f"{make_unique_name()}:", f"{make_unique_name()}:"
    a = await RedisCache.connect(redis_url, prefix_a)
    b = await RedisCache.connect(redis_url, prefix_b)
    raw = aioredis.Redis.from_url(redis_url)
    try:
        await a.set("k", b"from-a")
        assert await b.get("k") is None
        await b.set("k", b"from-b")
        await b.delete("k")
        assert await a.get("k") == b"from-a"
        # The key lives under the prefix on the server.
        assert await raw.get(f"{prefix_a}k") == b"from-a"
    finally:
        await raw.aclose()
        await a.close()
        await b.close()
        await _delete_prefixed(redis_url, prefix_a)


async def test_memory_cache_evicts_the_least_recently_used_entry_beyond_its_bound() -> None:
    cache = MemoryCache(max_entries=3)
    await cache.set("a", b"1")
    await cache.set("b", b"2")
    await cache.set("c", b"3")
    await cache.get("a")  # now "b" is the least recently used
    await cache.set("d", b"4")
    assert len(cache) == 3
    assert await cache.get("b") is None
    assert [await cache.get(k) for k in ("a", "c", "d")] == [b"1", b"3", b"4"]


async def test_memory_cache_default_bound_is_ten_thousand_entries() -> None:
    cache = MemoryCache()
    for i in range(10_001):
        await cache.set(str(i), b"")
    assert len(cache) == 10_000
    assert await cache.get("0") is None
    assert await cache.get("10000") == b""


async def test_open_cache_uses_memory_without_a_redis_url() -> None:
    cache = await open_cache(Settings(redis_url=None))
    assert isinstance(cache, MemoryCache)
    await cache.close()


@pytest.mark.redis
async def test_open_cache_uses_redis_with_the_configured_prefix(redis_url: str) -> None:
    prefix = f"{make_unique_name()}:"
    cache = await open_cache(Settings(redis_url=redis_url, cache_prefix=prefix))
    try:
        assert isinstance(cache, RedisCache)
        assert cache.prefix == prefix
        await cache.set("k", b"v", ttl_s=10)
        assert await cache.get("k") == b"v"
    finally:
        await cache.close()
        await _delete_prefixed(redis_url, prefix)


async def test_open_cache_fails_naming_the_url_when_redis_is_unreachable() -> None:
    url = "redis://:s3cret@127.0.0.1:1/0"  # port 1: nothing listens there
    with pytest.raises(ConnectionError, match=r"127\.0\.0\.1:1") as info:
        await open_cache(Settings(redis_url=url))
    assert "s3cret" not in str(info.value)


def test_redacted_url_hides_only_the_password() -> None:
    assert redacted_url("redis://user:pw@host:6379/0") == "redis://user:***@host:6379/0"
    assert redacted_url("nats://127.0.0.1:4222") == "nats://127.0.0.1:4222"


async def test_incr_counts_from_one_and_keeps_the_first_expiry(cache: Cache) -> None:
    ttl_s = 0.5
    set_at = time.monotonic()
    counts = [
        await cache.incr("hits", ttl_s=ttl_s),
        await cache.incr("hits", ttl_s=LONG_TTL_S),  # does not push the expiry back
        await cache.incr("hits"),
    ]
    assert counts == [1, 2, 3] or time.monotonic() - set_at >= ttl_s
    # Gone after the first TTL, long before the second's.
    assert await expires_after(cache, "hits", set_at) >= ttl_s
    assert await cache.incr("hits") == 1


async def test_get_many_answers_in_order_with_gaps(cache: Cache) -> None:
    await cache.set("a", b"1")
    await cache.set("c", b"3")
    assert await cache.get_many(["c", "b", "a"]) == [b"3", None, b"1"]
    assert await cache.get_many([]) == []
