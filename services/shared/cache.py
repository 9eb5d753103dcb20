"""The cache: a small async key/value interface with an in-process LRU and a Redis backend."""

from __future__ import annotations

import hashlib
import math
import time
from abc import ABC, abstractmethod
from collections import OrderedDict
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import cast
from urllib.parse import urlsplit, urlunsplit

import redis.asyncio as aioredis
from redis.exceptions import NoScriptError, RedisError

from services.shared.config import Settings
from services.shared.errors import Unavailable


@dataclass(frozen=True)
class Bucket:
    """A token bucket at `key`: holds up to `burst` tokens, refills at `rate_per_s`, starts
    full. A request may reserve a token that is due within `max_wait_s` (the bucket then goes
    below zero: the requests queued ahead), and must then wait for it."""

    key: str
    rate_per_s: float
    burst: int
    max_wait_s: float = 0.0


@dataclass(frozen=True)
class Reservation:
    """The outcome of taking one token from each of some buckets, all or none.

    Granted (`refused_by` is None): a token was taken from every bucket, the last of them due
    in `wait_s` seconds (0.0: now). Refused: nothing was taken; `refused_by` is the index of
    the first bucket whose token is due later than its `max_wait_s`, and `wait_s` how long
    until one would be due within it.
    """

    wait_s: float
    refused_by: int | None = None

    @property
    def granted(self) -> bool:
        return self.refused_by is None


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

    async def take_token(self, key: str, rate_per_s: float, burst: int) -> float:
        """Take one token from the bucket at `key`, which holds up to `burst` tokens, refills
        at `rate_per_s` and starts full. Returns 0.0 when a token was taken; otherwise takes
        nothing and returns the seconds until a token will be there."""
        taken = await self.take_tokens([Bucket(key, rate_per_s, burst)])
        return 0.0 if taken.granted else taken.wait_s

    @abstractmethod
    async def take_tokens(self, buckets: Sequence[Bucket]) -> Reservation:
        """Take (or reserve) one token from every bucket, atomically and in one round trip:
        all of them, or none when any bucket's token is due later than it allows."""

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

    async def take_tokens(self, buckets: Sequence[Bucket]) -> Reservation:
        # No await between reading and writing the buckets: atomic on the event loop.
        for bucket in buckets:
            _check_bucket(bucket)
        now = time.monotonic()
        levels = []
        wait = 0.0
        for index, bucket in enumerate(buckets):
            tokens = float(bucket.burst)
            entry = self._entries.get(bucket.key)
            if entry is not None and (entry[1] is None or now < entry[1]):
                level, counted_at = (float(part) for part in entry[0].split())
                tokens = min(bucket.burst, level + max(0.0, now - counted_at) * bucket.rate_per_s)
            due = max(0.0, (1 - tokens) / bucket.rate_per_s)
            if due > bucket.max_wait_s:
                return Reservation(due - bucket.max_wait_s, refused_by=index)
            levels.append(tokens - 1)
            wait = max(wait, due)
        for bucket, tokens in zip(buckets, levels, strict=True):
            # A bucket that has filled up again is the same as a new one, so it can expire then.
            ttl = (bucket.burst - tokens) / bucket.rate_per_s
            await self.set(bucket.key, f"{tokens!r} {now!r}".encode(), ttl)
        return Reservation(wait)

    async def close(self) -> None:
        self._entries.clear()

    def __len__(self) -> int:
        return len(self._entries)


# Connections one process keeps to Redis: commands take well under a millisecond, so a few
# dozen serve thousands of requests a second.
POOL_SIZE = 32


class RedisCache(Cache):
    """Redis, with every key under `prefix` so deployments and tests can share one server."""

    def __init__(self, client: aioredis.Redis, prefix: str) -> None:
        self._client = client
        self.prefix = prefix

    @classmethod
    async def connect(cls, url: str, prefix: str, *, timeout_s: float = 2.0) -> RedisCache:
        """Connect and ping, so a wrong URL fails at startup rather than on the first request."""
        # A blocking pool: past its size a command waits for a free connection rather than
        # failing ("Too many connections", redis-py's default of 100), and a burst reuses
        # connections instead of opening hundreds.
        pool = aioredis.BlockingConnectionPool.from_url(
            url,
            max_connections=POOL_SIZE,
            timeout=timeout_s,
            socket_timeout=timeout_s,
            socket_connect_timeout=timeout_s,
        )
        client = aioredis.Redis.from_pool(pool)  # closing the client closes the pool
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

    async def take_tokens(self, buckets: Sequence[Bucket]) -> Reservation:
        for bucket in buckets:
            _check_bucket(bucket)
        if not buckets:
            return Reservation(0.0)
        keys = [self.prefix + bucket.key for bucket in buckets]
        numbers = [
            repr(float(number))
            for bucket in buckets
            for number in (bucket.rate_per_s, bucket.burst, bucket.max_wait_s)
        ]
        args = (*keys, *numbers)
        with _unavailable_on_error():
            try:
                refused_by, wait = await self._client.evalsha(_TAKE_TOKENS_SHA, len(keys), *args)
            except NoScriptError:
                refused_by, wait = await self._client.eval(_TAKE_TOKENS, len(keys), *args)
        index = int(refused_by)
        return Reservation(float(wait), refused_by=index - 1 if index else None)

    async def close(self) -> None:
        await self._client.aclose()


def _check_bucket(bucket: Bucket) -> None:
    if not 0 < bucket.rate_per_s < math.inf or bucket.burst < 1:
        raise ValueError("a token bucket needs a finite rate_per_s > 0 and burst >= 1")
    if not 0 <= bucket.max_wait_s < math.inf:
        raise ValueError("a token bucket's max_wait_s must be finite and >= 0")


# One atomic step of several token buckets, each kept in a hash {tokens, at}: a token from
# each, or none when one of them would be due later than its bucket allows (ARGV: rate,
# burst, max wait, per key). Replies {0, wait} when taken, {index of the refusing bucket
# (1-based), wait until it would allow} otherwise. The time is Redis's own, so every process
# sharing the buckets agrees on it. Numbers go back as strings: Lua numbers would be
# truncated to integers in the reply.
_TAKE_TOKENS = """
local clock = redis.call('TIME')
local now = tonumber(clock[1]) + tonumber(clock[2]) / 1000000
local levels = {}
local wait = 0
for i, key in ipairs(KEYS) do
  local rate, burst = tonumber(ARGV[3 * i - 2]), tonumber(ARGV[3 * i - 1])
  local hold = tonumber(ARGV[3 * i])
  local state = redis.call('HMGET', key, 'tokens', 'at')
  local tokens = burst
  if state[1] then
    tokens = math.min(burst, tonumber(state[1]) + math.max(0, now - tonumber(state[2])) * rate)
  end
  local due = math.max(0, (1 - tokens) / rate)
  if due > hold then
    return {i, string.format('%.17g', due - hold)}
  end
  levels[i] = tokens - 1
  wait = math.max(wait, due)
end
for i, key in ipairs(KEYS) do
  local rate, burst = tonumber(ARGV[3 * i - 2]), tonumber(ARGV[3 * i - 1])
  redis.call('HSET', key, 'tokens', string.format('%.17g', levels[i]),
    'at', string.format('%.17g', now))
  redis.call('PEXPIRE', key, math.ceil((burst - levels[i]) / rate * 1000))
end
return {0, string.format('%.17g', wait)}
"""
_TAKE_TOKENS_SHA = hashlib.sha1(_TAKE_TOKENS.encode()).hexdigest()


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
