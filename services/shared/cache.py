"""The cache: a small async key/value interface with an in-process LRU and a Redis backend."""

from __future__ import annotations

import hashlib
import math
import time
from abc import ABC, abstractmethod
from collections import OrderedDict
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import cast
from urllib.parse import urlsplit, urlunsplit

import redis.asyncio as aioredis
from redis.exceptions import NoScriptError, RedisError

from services.shared.config import Settings
from services.shared.errors import Unavailable


class Cache(ABC):
    """Bytes in, bytes out. A TTL of None keeps the value until it is evicted or deleted."""

    @abstractmethod
    async def get(self, key: str) -> bytes | None: ...

    @abstractmethod
    async def set(self, key: str, value: bytes, ttl_s: float | None = None) -> None: ...

    @abstractmethod
    async def get_many(self, keys: Sequence[str]) -> list[bytes | None]:
        """The values of `keys`, in order, in one round trip."""

    @abstractmethod
    async def delete(self, *keys: str) -> None: ...

    @abstractmethod
    async def incr(self, key: str, ttl_s: float | None = None) -> int:
        """Add one to a counter and return it. A new counter starts at 1 and expires after
        `ttl_s`; later increments keep that expiry (a fixed window, not a sliding one)."""

    @abstractmethod
    async def take_token(self, key: str, rate_per_s: float, burst: int) -> float:
        """Take one token from the bucket at `key`, which holds up to `burst` tokens, refills
        at `rate_per_s` and starts full. Returns 0.0 when a token was taken; otherwise takes
        nothing and returns the seconds until a token will be there."""

    @abstractmethod
    async def close(self) -> None: ...


class MemoryCache(Cache):
    """An in-process LRU with per-key expiry on the monotonic clock."""

    def __init__(self, max_entries: int = 10_000) -> None:
        if max_entries < 1:
            raise ValueError("max_entries must be at least 1")
        self.max_entries = max_entries
        # key -> (value, monotonic deadline or None); order is least recently used first.
        self._entries: OrderedDict[str, tuple[bytes, float | None]] = OrderedDict()

    async def get(self, key: str) -> bytes | None:
        entry = self._entries.get(key)
        if entry is None:
            return None
        value, deadline = entry
        if deadline is not None and time.monotonic() >= deadline:
            del self._entries[key]
            return None
        self._entries.move_to_end(key)
        return value

    async def get_many(self, keys: Sequence[str]) -> list[bytes | None]:
        return [await self.get(key) for key in keys]

    async def set(self, key: str, value: bytes, ttl_s: float | None = None) -> None:
        if ttl_s is not None and ttl_s <= 0:
            self._entries.pop(key, None)
            return
        deadline = None if ttl_s is None else time.monotonic() + ttl_s
        self._entries[key] = (value, deadline)
        self._entries.move_to_end(key)
        while len(self._entries) > self.max_entries:
            self._entries.popitem(last=False)

    async def delete(self, *keys: str) -> None:
        for key in keys:
            self._entries.pop(key, None)

    async def incr(self, key: str, ttl_s: float | None = None) -> int:
        current = await self.get(key)
        if current is None:
            await self.set(key, b"1", ttl_s)
            return 1
        count = int(current) + 1
        _, deadline = self._entries[key]
        self._entries[key] = (str(count).encode(), deadline)
        return count

    async def take_token(self, key: str, rate_per_s: float, burst: int) -> float:
        _check_bucket(rate_per_s, burst)
        now = time.monotonic()
        tokens = float(burst)
        stored = await self.get(key)
        if stored is not None:
            level, counted_at = (float(part) for part in stored.split())
            tokens = min(burst, level + max(0.0, now - counted_at) * rate_per_s)
        if tokens < 1:
            return (1 - tokens) / rate_per_s
        tokens -= 1
        # A bucket that has filled up again is the same as a new one, so it can expire then.
        await self.set(key, f"{tokens!r} {now!r}".encode(), (burst - tokens) / rate_per_s)
        return 0.0

    async def close(self) -> None:
        self._entries.clear()

    def __len__(self) -> int:
        return len(self._entries)


class RedisCache(Cache):
    """Redis, with every key under `prefix` so deployments and tests can share one server."""

    def __init__(self, client: aioredis.Redis, prefix: str) -> None:
        self._client = client
        self.prefix = prefix

    @classmethod
    async def connect(cls, url: str, prefix: str, *, timeout_s: float = 2.0) -> RedisCache:
        """Connect and ping, so a wrong URL fails at startup rather than on the first request."""
        client = aioredis.Redis.from_url(
            url, socket_timeout=timeout_s, socket_connect_timeout=timeout_s
        )
        try:
            await client.ping()
        except (RedisError, OSError) as exc:
            await client.aclose()
            raise ConnectionError(f"cannot reach Redis at {redacted_url(url)}: {exc}") from exc
        return cls(client, prefix)

    async def get(self, key: str) -> bytes | None:
        with _unavailable_on_error():
            value = await self._client.get(self.prefix + key)
        # The client is built without decode_responses, so values come back as bytes.
        return cast("bytes | None", value)

    async def get_many(self, keys: Sequence[str]) -> list[bytes | None]:
        if not keys:
            return []
        with _unavailable_on_error():
            values = await self._client.mget([self.prefix + key for key in keys])
        return cast("list[bytes | None]", values)

    async def set(self, key: str, value: bytes, ttl_s: float | None = None) -> None:
        with _unavailable_on_error():
            if ttl_s is None:
                await self._client.set(self.prefix + key, value)
            elif ttl_s <= 0:
                # Redis rejects a zero expiry; an already expired value is simply absent.
                await self._client.delete(self.prefix + key)
            else:
                await self._client.set(self.prefix + key, value, px=max(1, math.ceil(ttl_s * 1000)))

    async def delete(self, *keys: str) -> None:
        if not keys:
            return
        with _unavailable_on_error():
            await self._client.delete(*(self.prefix + key for key in keys))

    async def incr(self, key: str, ttl_s: float | None = None) -> int:
        with _unavailable_on_error():
            async with self._client.pipeline(transaction=True) as pipe:
                pipe.incr(self.prefix + key)
                if ttl_s is not None:
                    pipe.pexpire(self.prefix + key, max(1, math.ceil(ttl_s * 1000)), nx=True)
                results = await pipe.execute()
        return int(results[0])

    async def take_token(self, key: str, rate_per_s: float, burst: int) -> float:
        _check_bucket(rate_per_s, burst)
        args = (1, self.prefix + key, repr(float(rate_per_s)), burst)
        with _unavailable_on_error():
            try:
                wait = await self._client.evalsha(_TAKE_TOKEN_SHA, *args)
            except NoScriptError:
                wait = await self._client.eval(_TAKE_TOKEN, *args)
        return float(wait)

    async def close(self) -> None:
        await self._client.aclose()


def _check_bucket(rate_per_s: float, burst: int) -> None:
    if not 0 < rate_per_s < math.inf or burst < 1:
        raise ValueError("a token bucket needs a finite rate_per_s > 0 and burst >= 1")


# One atomic step of a token bucket kept in a hash {tokens, at}. The time is Redis's own, so
# every process sharing the bucket agrees on it. Numbers go back as strings: Lua numbers
# would be truncated to integers in the reply.
_TAKE_TOKEN = """
local rate, burst = tonumber(ARGV[1]), tonumber(ARGV[2])
local clock = redis.call('TIME')
local now = tonumber(clock[1]) + tonumber(clock[2]) / 1000000
local state = redis.call('HMGET', KEYS[1], 'tokens', 'at')
local tokens = burst
if state[1] then
  tokens = math.min(burst, tonumber(state[1]) + math.max(0, now - tonumber(state[2])) * rate)
end
if tokens < 1 then
  return string.format('%.17g', (1 - tokens) / rate)
end
tokens = tokens - 1
redis.call('HSET', KEYS[1], 'tokens', string.format('%.17g', tokens),
  'at', string.format('%.17g', now))
redis.call('PEXPIRE', KEYS[1], math.ceil((burst - tokens) / rate * 1000))
return '0'
"""
_TAKE_TOKEN_SHA = hashlib.sha1(_TAKE_TOKEN.encode()).hexdigest()


@contextmanager
def _unavailable_on_error() -> Iterator[None]:
    # Callers see one error type whatever the backend, and gRPC maps it to UNAVAILABLE.
    try:
        yield
    except (RedisError, OSError) as exc:
        raise Unavailable(f"cache unavailable: {exc}") from exc


def redacted_url(url: str) -> str:
    """`url` with any password replaced, fit for error messages and logs."""
    parts = urlsplit(url)
    if parts.password is None:
        return url
    host = parts.hostname or ""
    if ":" in host:
        host = f"[{host}]"
    if parts.port is not None:
        host = f"{host}:{parts.port}"
    user = parts.username or ""
    return urlunsplit(parts._replace(netloc=f"{user}:***@{host}"))


async def open_cache(settings: Settings) -> Cache:
    """Redis when REDIS_URL is set, else the in-process cache."""
    if settings.redis_url:
        return await RedisCache.connect(settings.redis_url, settings.cache_prefix)
    return MemoryCache()
