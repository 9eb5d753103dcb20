"""What web-bff keeps for a few seconds: the first pages of grids, and the bases and tables
its screens show.

A table with no change since answers the same first page, so reading and rendering it again is
wasted. A page is filed under the base's change cursor read before it and the table's schema
version, so any write in the base or any schema change of the table misses. The short TTL
covers what changes without a write (formulas with NOW() or TODAY()). Entries are per tenant;
the caller's read access is checked on every call before a page is served.
"""

from __future__ import annotations

import asyncio
import random
from collections import OrderedDict
from collections.abc import Awaitable, Hashable
from dataclasses import dataclass
from time import monotonic
from typing import Generic, TypeVar

from prometheus_client import Counter
from pyat.airtable.v1 import airtable_gateway_pb2 as records_pb2

MAX_ENTRIES = 256
MAX_BYTES = 32 * 1024 * 1024
TTL_S = 5.0

GRID_CACHE_HITS = Counter(
    "pyat_web_grid_cache_hits_total", "Grid first pages served from web-bff's page cache."
)
GRID_CACHE_MISSES = Counter(
    "pyat_web_grid_cache_misses_total", "Grid first pages read from airtable-gateway."
)


@dataclass(frozen=True)
class PageKey:
    """A grid's first page as asked, at the base's change cursor (the table's id and schema
    version are kept beside the page: they are known only once the table is read)."""

    tenant_id: str
    base_id: str
    table: str
    view: str
    page_size: int
    cursor: str


@dataclass(frozen=True)
class _Entry:
    table_id: str
    version: int
    page: records_pb2.ListRecordsResponse
    size: int
    expires: float


class PageCache:
    """A bounded LRU of first pages, by count and by bytes, each for `ttl_s`."""

    def __init__(
        self, max_entries: int = MAX_ENTRIES, max_bytes: int = MAX_BYTES, ttl_s: float = TTL_S
    ) -> None:
        self.max_entries = max_entries
        self.max_bytes = max_bytes
        self.ttl_s = ttl_s
        self._entries: OrderedDict[PageKey, _Entry] = OrderedDict()
        self._bytes = 0
        self._reading: dict[
            tuple[PageKey, str, int], asyncio.Future[records_pb2.ListRecordsResponse]
        ] = {}

    def reading(
        self, key: PageKey, table_id: str, version: int
    ) -> asyncio.Future[records_pb2.ListRecordsResponse] | None:
        """The read of this page under way, if any: callers at once share one read."""
        return self._reading.get((key, table_id, version))

    def read(
        self,
        key: PageKey,
        table_id: str,
        version: int,
        call: Awaitable[records_pb2.ListRecordsResponse],
        keep: bool = True,
    ) -> asyncio.Future[records_pb2.ListRecordsResponse]:
        """Run `call` as the one read of this page (to its end even if its caller goes), and
        keep its answer if `keep`."""
        flight = (key, table_id, version)
        task = asyncio.ensure_future(call)
        self._reading[flight] = task

        def landed(done: asyncio.Future[records_pb2.ListRecordsResponse]) -> None:
            if self._reading.get(flight) is done:
                del self._reading[flight]
            if done.cancelled() or done.exception() is not None:
                return
            if keep:
                self.put(key, table_id, version, done.result())

        task.add_done_callback(landed)
        return task

    def __len__(self) -> int:
        return len(self._entries)

    def get(
        self, key: PageKey, table_id: str, version: int
    ) -> records_pb2.ListRecordsResponse | None:
        """The page filed under `key` for this table at this schema version, if still fresh.
        The page is shared: callers copy it, never change it."""
        entry = self._entries.get(key)
        if entry is None:
            return None
        if entry.expires <= monotonic():
            self._drop(key)
            return None
        if (entry.table_id, entry.version) != (table_id, version):
            return None
        self._entries.move_to_end(key)
        return entry.page

    def put(
        self, key: PageKey, table_id: str, version: int, page: records_pb2.ListRecordsResponse
    ) -> None:
        size = page.ByteSize()
        if size > self.max_bytes:
            return
        self._drop(key)
        self._entries[key] = _Entry(table_id, version, page, size, monotonic() + self.ttl_s)
        self._bytes += size
        while len(self._entries) > self.max_entries or self._bytes > self.max_bytes:
            oldest = next(iter(self._entries))
            self._drop(oldest)

    def _drop(self, key: PageKey) -> None:
        entry = self._entries.pop(key, None)
        if entry is not None:
            self._bytes -= entry.size


K = TypeVar("K", bound=Hashable)
V = TypeVar("V")


class Recent(Generic[K, V]):
    """Answers kept for up to `ttl_s` (0: until pushed out), the `limit` most recently used.
    Each answer is kept a random part of `ttl_s`, from half of it on: answers read in the same
    moment (every caller's, at start) would otherwise all expire in the same moment, and be read
    again all at once, every `ttl_s`."""

    def __init__(self, limit: int, ttl_s: float = 0.0) -> None:
        self.limit = limit
        self.ttl_s = ttl_s
        self._entries: OrderedDict[K, tuple[V, float]] = OrderedDict()

    def get(self, key: K) -> V | None:
        found = self._entries.get(key)
        if found is None:
            return None
        value, expires = found
        if self.ttl_s and expires <= monotonic():
            del self._entries[key]
            return None
        self._entries.move_to_end(key)
        return value

    def put(self, key: K, value: V) -> None:
        self._entries[key] = (value, monotonic() + self.ttl_s * random.uniform(0.5, 1.0))
        self._entries.move_to_end(key)
        while len(self._entries) > self.limit:
            self._entries.popitem(last=False)
