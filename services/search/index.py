"""The in-memory vector index: one per (tenant, table), keyed by document id.

A small table is searched exactly over a float32 matrix (perfect recall, a millisecond or two
for 20,000 vectors). A table that grows past `exact_limit` moves to a usearch HNSW graph of
float16 vectors: the graph is built in a worker thread from a frozen view of the matrix (usearch
lets go of the GIL while it adds), the matrix keeps serving meanwhile, and the graph is swapped
in when complete, with the changes that came during the build applied to it; then the matrix is
dropped. A graph is only ever changed on the event loop's thread once swapped in.

At start each table is restored from its snapshot (snapshots.py) and caught up from the
database, or else read from the database page by page into a matrix (and, if it is large, built
into a graph as above). Until a table is ready, its searches scan its vectors in the database,
so answers are right from the first call.

The index follows only the changes this process's indexer makes: semantic-search runs as one
process per deployment (two would each miss the other's changes).
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
import os
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import cast

import numpy as np
from usearch.index import Index

from services.search import storage
from services.search.snapshots import Meta, Snapshots
from services.shared.db import Database

log = logging.getLogger("pyat.search.index")

DIMENSIONS = 384
# How many vectors one read of the database brings while loading.
_LOAD_PAGE = 2000
# Measured on the benchmark's 100,000 MiniLM vectors and its 204 paraphrase queries (f16,
# M=16): recall@10 0.946 at 128, 0.981 at 256 (0.45 ms a query), 0.990 at 384 (0.64 ms).
EXPANSION_SEARCH = 256
EXPANSION_ADD = 128
CONNECTIVITY = 16
# Documents written this long before a snapshot's mark are caught up too (clocks and commits
# are not perfectly ordered): those the graph already holds, unchanged, are skipped.
CATCH_UP_MARGIN = dt.timedelta(seconds=2)
_F16_TOLERANCE = 2e-3
# Changes made during a build that are applied to the new graph on the loop, at the swap; more
# are applied in the worker thread first.
_INLINE = 256
# A graph is built with every core but one: the event loop keeps answering meanwhile.
_BUILD_THREADS = max(1, (os.cpu_count() or 2) - 1)
# Database scans (of tables still loading) running at once: each is cheap, but a burst of
# them must not take every connection and the loop's time.
_SCANS_AT_ONCE = 2

Scored = list[tuple[int, float]]
# A change kept aside while a table loads or its graph is built: a vector, or None (removed).
Changes = dict[int, "np.ndarray | None"]


def as_vector(raw: bytes) -> np.ndarray:
    return np.frombuffer(raw, dtype="<f4")


def top(ids: np.ndarray, sims: np.ndarray, n: int) -> Scored:
    """The `n` best (id, similarity), best first."""
    if len(ids) == 0:
        return []
    if len(ids) > n:
        best = np.argpartition(-sims, n - 1)[:n]
        ids, sims = ids[best], sims[best]
    order = np.lexsort((ids, -sims))
    return [(int(ids[i]), float(sims[i])) for i in order]


class ExactVectors:
    """Vectors in one growing float32 matrix; a removal moves the last row into the hole."""

    def __init__(self, capacity: int = 16) -> None:
        self._matrix = np.zeros((max(capacity, 16), DIMENSIONS), dtype=np.float32)
        self._ids = np.zeros(max(capacity, 16), dtype=np.int64)
        self._rows: dict[int, int] = {}

    def __len__(self) -> int:
        return len(self._rows)

    def __contains__(self, key: int) -> bool:
        return key in self._rows

    def upsert(self, key: int, vector: np.ndarray) -> None:
        row = self._rows.get(key)
        if row is None:
            row = len(self._rows)
            if row == len(self._ids):
                self._matrix = np.resize(self._matrix, (row * 2, DIMENSIONS))
                self._ids = np.resize(self._ids, row * 2)
            self._rows[key] = row
            self._ids[row] = key
        self._matrix[row] = vector

    def remove(self, key: int) -> None:
        row = self._rows.pop(key, None)
        if row is None:
            return
        last = len(self._rows)
        if row != last:
            moved = int(self._ids[last])
            self._matrix[row] = self._matrix[last]
            self._ids[row] = moved
            self._rows[moved] = row

    def search(self, query: np.ndarray, n: int, changes: Changes | None = None) -> Scored:
        """The best `n`; with `changes`, as if they were applied (the matrix is frozen)."""
        count = len(self._rows)
        ids, sims = self._ids[:count], self._matrix[:count] @ query
        if changes:
            keep = np.ones(count, dtype=bool)
            keep[[self._rows[key] for key in changes if key in self._rows]] = False
            added = [(key, vector) for key, vector in changes.items() if vector is not None]
            ids = np.concatenate([ids[keep], np.array([k for k, _ in added], dtype=np.int64)])
            sims = np.concatenate(
                [sims[keep], np.array([float(v @ query) for _, v in added], dtype=np.float32)]
            )
        return top(ids, sims, n)

    def view(self) -> tuple[np.ndarray, np.ndarray]:
        """The keys and rows, without a copy: valid while nothing changes the matrix."""
        count = len(self._rows)
        return self._ids[:count], self._matrix[:count]


class Graph:
    """A usearch HNSW index of float16 vectors (cosine)."""

    def __init__(self, index: Index | None = None) -> None:
        if index is None:
            index = Index(ndim=DIMENSIONS, metric="cos", dtype="f16", connectivity=CONNECTIVITY)
        # Settable (a snapshot does not keep them), though usearch's types say read-only.
        index.expansion_add = EXPANSION_ADD  # type: ignore[misc]
        index.expansion_search = EXPANSION_SEARCH  # type: ignore[misc]
        self.index = index

    def __len__(self) -> int:
        return len(self.index)

    def add_many(self, keys: np.ndarray, vectors: np.ndarray, threads: int = 1) -> None:
        keys = keys.astype(np.uint64)
        present = np.asarray(self.index.contains(keys), dtype=bool)
        if present.any():
            self.index.remove(keys[present])
        if len(keys):
            self.index.add(keys, vectors, threads=threads)

    def upsert(self, key: int, vector: np.ndarray) -> None:
        self.add_many(np.array([key], dtype=np.uint64), vector[np.newaxis, :])

    def remove(self, key: int) -> None:
        if self.index.contains(key):
            self.index.remove(key)

    def search(self, query: np.ndarray, n: int) -> Scored:
        if len(self.index) == 0:
            return []
        found = self.index.search(query, min(n, len(self.index)))
        return [
            (int(key), 1.0 - float(distance))
            for key, distance in zip(found.keys, found.distances, strict=True)
        ]

    def catch_up(
        self, present: np.ndarray, keys: np.ndarray, vectors: np.ndarray
    ) -> tuple[int, int]:
        """Drop the keys the database no longer has (`present` lists those it has) and
        add the given vectors where the graph does not hold them already; says how many keys
        were dropped and how many vectors added."""
        held = np.asarray(self.index.keys, dtype=np.uint64)
        gone = np.setdiff1d(held, present.astype(np.uint64), assume_unique=True)
        if len(gone):
            self.index.remove(gone)
        keys = keys.astype(np.uint64)
        known = np.flatnonzero(np.asarray(self.index.contains(keys), dtype=bool))
        if len(known):
            kept = np.stack(cast(Sequence[np.ndarray], self.index.get(keys[known], dtype="f32")))
            # Equal within float16's precision: the same vector, written again (or touched).
            same = np.all(np.abs(kept - vectors[known]) < _F16_TOLERANCE, axis=1)
            fresh = np.ones(len(keys), dtype=bool)
            fresh[known[same]] = False
            keys, vectors = keys[fresh], vectors[fresh]
        self.add_many(keys, vectors)
        return len(gone), len(keys)


def _apply_all(graph: Graph, changes: Changes) -> None:
    for key, vector in changes.items():
        apply_change(graph, key, vector)


def build_graph(keys: np.ndarray, vectors: np.ndarray) -> Graph:
    """A graph of these vectors. Blocking and slow: run it in a worker thread."""
    graph = Graph()
    graph.add_many(keys, vectors, threads=_BUILD_THREADS)
    return graph


def _valid(index: Index) -> bool:
    return index.ndim == DIMENSIONS and str(index.metric).lower().endswith("cos")


@dataclass
class TableIndex:
    """One table's vectors, in a matrix or a graph, and the changes kept aside while either
    is being made."""

    base_id: str
    exact_limit: int
    exact: ExactVectors | None = field(default_factory=ExactVectors)
    graph: Graph | None = None
    # False while the table loads: its searches scan the database.
    ready: bool = True
    # True while its graph is built in a thread from the frozen matrix.
    building: bool = False
    # Changes that came while loading or building, applied once that is done.
    changes: Changes = field(default_factory=dict)
    # The latest `updated_at` of the documents it holds, and their model (for snapshots).
    mark: dt.datetime | None = None
    model: str = ""
    # The graph changed since its snapshot was written.
    dirty: bool = False

    @property
    def vectors(self) -> ExactVectors | Graph:
        """What serves its searches once ready."""
        if self.graph is not None:
            return self.graph
        assert self.exact is not None
        return self.exact

    def search(self, query: np.ndarray, n: int) -> Scored:
        if self.building and self.exact is not None:
            return self.exact.search(query, n, self.changes)
        return self.vectors.search(query, n)

    def upsert(self, key: int, vector: np.ndarray, updated_at: dt.datetime | None = None) -> None:
        if updated_at is not None and (self.mark is None or updated_at > self.mark):
            self.mark = updated_at
        if not self.ready or self.building:
            self.changes[key] = vector
        else:
            self.vectors.upsert(key, vector)
            self.dirty = True

    def remove(self, key: int) -> None:
        if not self.ready or self.building:
            self.changes[key] = None
        else:
            self.vectors.remove(key)
            self.dirty = True

    def apply_changes(self, applied: Changes | None = None) -> None:
        """Apply the changes kept aside, but those `applied` already (the very same ones)."""
        changes, self.changes = self.changes, {}
        for key, vector in unapplied(changes, applied or {}).items():
            apply_change(self.vectors, key, vector)
        self.dirty = self.dirty or bool(changes)

    def wants_graph(self) -> bool:
        return (
            self.ready
            and not self.building
            and self.graph is None
            and self.exact is not None
            and len(self.exact) > self.exact_limit
        )

    def start_build(self) -> tuple[np.ndarray, np.ndarray]:
        """Freeze the matrix (changes wait aside) and give its keys and rows to build from."""
        assert self.exact is not None
        self.building = True
        return self.exact.view()

    def swap(self, graph: Graph | None, applied: Changes | None = None) -> None:
        """End a build: serve `graph` (None: the build failed, keep the matrix), with the
        changes made meanwhile, but those already `applied` to it."""
        if graph is not None:
            self.graph, self.exact = graph, None
        self.building = False
        self.apply_changes(applied if graph is not None else None)


def apply_change(vectors: ExactVectors | Graph, key: int, vector: np.ndarray | None) -> None:
    if vector is None:
        vectors.remove(key)
    else:
        vectors.upsert(key, vector)


def unapplied(changes: Changes, applied: Changes) -> Changes:
    # By identity: a key changed again since has a new vector object (or None after a vector).
    return {key: vector for key, vector in changes.items() if applied.get(key, ...) is not vector}


Key = tuple[str, str]


class Indexes:
    """Every table's index in this process, and which tables each base has."""

    def __init__(self, db: Database, exact_limit: int, snapshots: Snapshots | None = None) -> None:
        self._db = db
        self._exact_limit = exact_limit
        self._snapshots = snapshots
        self._tables: dict[Key, TableIndex] = {}
        self._bases: dict[Key, set[str]] = {}
        self._loader: asyncio.Task[None] | None = None
        self._builds: set[asyncio.Task[None]] = set()
        self._scans = asyncio.Semaphore(_SCANS_AT_ONCE)

    async def start(self) -> None:
        """Learn which tables have documents, then load them in the background."""
        async with self._db.read() as session:
            found = await storage.tables_with_documents(session)
        for tenant_id, base_id, table_id, _count in found:
            index = self._table(tenant_id, base_id, table_id)
            index.ready, index.exact = False, None
        if self._snapshots is not None:
            await asyncio.to_thread(self._snapshots.keep_only, {(t, tb) for t, _, tb, _ in found})
        self._loader = asyncio.create_task(self._load_all(found), name="search:load")

    async def stop(self) -> None:
        """Stop loading and building; write the snapshots of graphs changed since their last."""
        tasks = [task for task in (self._loader, *self._builds) if task is not None]
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        for key, index in list(self._tables.items()):
            if index.graph is not None and index.dirty and not index.building:
                # Searches may read the graph meanwhile; nothing changes it (the indexer
                # stopped first).
                await self._save(key, index.graph, index)

    def table(self, tenant_id: str, table_id: str) -> TableIndex | None:
        return self._tables.get((tenant_id, table_id))

    def _table(self, tenant_id: str, base_id: str, table_id: str) -> TableIndex:
        index = self._tables.get((tenant_id, table_id))
        if index is None:
            index = self._tables[(tenant_id, table_id)] = TableIndex(base_id, self._exact_limit)
            self._bases.setdefault((tenant_id, base_id), set()).add(table_id)
        return index

    async def _load_all(self, tables: Sequence[tuple[str, str, str, int]]) -> None:
        for tenant_id, _base_id, table_id, count in tables:
            key = (tenant_id, table_id)
            while (index := self._tables.get(key)) is not None and not index.ready:
                try:
                    await self._load(key, index, count)
                except Exception:
                    log.exception("loading the index of %s failed; retrying", table_id)
                    await asyncio.sleep(1.0)

    async def _load(self, key: Key, index: TableIndex, count: int) -> None:
        tenant_id, table_id = key
        async with self._db.read() as session:
            mark, model = await storage.table_mark(session, tenant_id, table_id)
        if await self._restore(key, index, mark, model):
            return
        # No room to grow: past the limit, the matrix is frozen for its graph's build.
        exact = ExactVectors(capacity=count)
        after = 0
        while True:
            async with self._db.read() as session:
                page = await storage.vectors_page(session, tenant_id, table_id, after, _LOAD_PAGE)
            if not page:
                break
            for doc, raw in page:
                exact.upsert(doc, as_vector(raw))
            after = page[-1][0]
            await asyncio.sleep(0)  # let searches in between
        if self._tables.get(key) is not index:
            return  # dropped meanwhile
        index.exact, index.ready, index.model = exact, True, model
        index.mark = max(filter(None, (index.mark, mark)), default=None)
        index.apply_changes()
        self._build_if_wanted(key, index)

    async def _restore(
        self, key: Key, index: TableIndex, mark: dt.datetime | None, model: str
    ) -> bool:
        """Serve the table from its snapshot caught up with the database; False if it has
        no usable one."""
        if self._snapshots is None or mark is None:
            return False
        tenant_id, table_id = key
        started = asyncio.get_running_loop().time()
        found = await asyncio.to_thread(self._snapshots.load, tenant_id, table_id)
        if found is None:
            return False
        restored, meta = found
        if not _valid(restored) or meta.model != model:
            log.info("the snapshot of %s is of another model or shape: rebuilding", table_id)
            return False
        graph = Graph(restored)
        async with self._db.read() as session:
            present = await storage.document_ids(session, tenant_id, table_id)
        keys: list[int] = []
        rows: list[bytes] = []
        after = 0
        while True:
            async with self._db.read() as session:
                page = await storage.vectors_page(
                    session,
                    tenant_id,
                    table_id,
                    after,
                    _LOAD_PAGE,
                    since=meta.mark - CATCH_UP_MARGIN,
                )
            if not page:
                break
            keys += [doc for doc, _ in page]
            rows += [raw for _, raw in page]
            after = page[-1][0]
        vectors = np.frombuffer(b"".join(rows), dtype="<f4").reshape(-1, DIMENSIONS)
        # The graph is still this task's alone: changing it in a thread is safe.
        dropped, added = await asyncio.to_thread(
            graph.catch_up,
            np.array(present, dtype=np.uint64),
            np.array(keys, dtype=np.uint64),
            vectors,
        )
        if self._tables.get(key) is not index:
            return True  # dropped meanwhile
        index.graph, index.exact, index.ready, index.model = graph, None, True, model
        index.mark = max(filter(None, (index.mark, mark, meta.mark)))
        index.dirty = added > 0 or dropped > 0
        index.apply_changes()
        took = asyncio.get_running_loop().time() - started
        log.info(
            "restored %s from its snapshot (%d documents, %d written since, %d gone) in %.2fs",
            table_id, meta.count, added, dropped, took,
        )  # fmt: skip
        return True

    def _build_if_wanted(self, key: Key, index: TableIndex) -> None:
        if index.wants_graph():
            keys, matrix = index.start_build()
            task = asyncio.create_task(
                self._build(key, index, keys, matrix), name=f"search:build:{key[1]}"
            )
            self._builds.add(task)
            task.add_done_callback(self._builds.discard)

    async def _build(
        self, key: Key, index: TableIndex, keys: np.ndarray, matrix: np.ndarray
    ) -> None:
        meta = Meta(len(keys), index.mark or dt.datetime.min, index.model)
        started = asyncio.get_running_loop().time()
        graph: Graph | None = None
        try:
            graph = await asyncio.to_thread(self._build_and_save, key, keys, matrix, meta)
        except asyncio.CancelledError:
            raise
        except Exception:
            log.exception("building the graph of %s failed; it stays exact", key[1])
        applied: Changes = {}
        while graph is not None and len(pending := unapplied(index.changes, applied)) > _INLINE:
            # Many changes came during the build: into the still private graph, off the loop.
            await asyncio.to_thread(_apply_all, graph, pending)
            applied |= pending
        index.swap(graph, applied)
        if graph is None:
            return
        if self._tables.get(key) is not index and self._snapshots is not None:
            self._snapshots.remove(*key)  # dropped meanwhile
        log.info(
            "built the graph of %s (%d documents) in %.1fs",
            key[1], len(keys), asyncio.get_running_loop().time() - started,
        )  # fmt: skip

    def _build_and_save(self, key: Key, keys: np.ndarray, matrix: np.ndarray, meta: Meta) -> Graph:
        """In a worker thread: the graph, and its snapshot while it is still private."""
        graph = build_graph(keys, matrix)
        self._write_snapshot(key, graph, meta)
        return graph

    def _write_snapshot(self, key: Key, graph: Graph, meta: Meta) -> None:
        if self._snapshots is None or not meta.model:
            return
        try:
            self._snapshots.save(*key, graph.index, meta)
        except OSError as error:
            log.warning("could not write the snapshot of %s: %s", key[1], error)

    async def _save(self, key: Key, graph: Graph, index: TableIndex) -> None:
        meta = Meta(len(graph), index.mark or dt.datetime.min, index.model)
        await asyncio.to_thread(self._write_snapshot, key, graph, meta)
        index.dirty = False

    def upsert(
        self,
        tenant_id: str,
        base_id: str,
        table_id: str,
        key: int,
        raw: bytes,
        updated_at: dt.datetime | None = None,
        model: str = "",
    ) -> None:
        index = self._table(tenant_id, base_id, table_id)
        index.upsert(key, as_vector(raw), updated_at)
        index.model = model or index.model
        self._build_if_wanted((tenant_id, table_id), index)

    def remove(self, tenant_id: str, table_id: str, keys: Sequence[int]) -> None:
        index = self._tables.get((tenant_id, table_id))
        if index is None:
            return
        for key in keys:
            index.remove(key)

    def drop(self, tenant_id: str, base_id: str, table_id: str | None = None) -> None:
        """Forget a table's index, or every table's of a base, and their snapshots."""
        tables = self._bases.get((tenant_id, base_id), set())
        for dropped in [table_id] if table_id is not None else list(tables):
            self._tables.pop((tenant_id, dropped), None)
            tables.discard(dropped)
            if self._snapshots is not None:
                self._snapshots.remove(tenant_id, dropped)

    async def search(
        self,
        tenant_id: str,
        base_id: str,
        table_id: str | None,
        query: np.ndarray,
        n: int,
    ) -> Scored:
        """The `n` documents most similar to `query` in a base (or one table of it)."""
        tables = [table_id] if table_id else sorted(self._bases.get((tenant_id, base_id), ()))
        found: Scored = []
        for table in tables:
            index = self._tables.get((tenant_id, table))
            if index is None or index.base_id != base_id:
                continue
            if index.ready:
                found += index.search(query, n)
            else:
                async with self._scans:
                    found += await self._scan(tenant_id, table, query, n)
        found.sort(key=lambda hit: (-hit[1], hit[0]))
        return found[:n]

    async def _scan(self, tenant_id: str, table_id: str, query: np.ndarray, n: int) -> Scored:
        """An exact search over a table's vectors as the database has them (while loading):
        one page of vectors at a time, the loop free between pages."""
        best: Scored = []
        after = 0
        while True:
            async with self._db.read() as session:
                page = await storage.vectors_page(session, tenant_id, table_id, after, _LOAD_PAGE)
            if not page:
                return best
            ids = np.array([key for key, _ in page], dtype=np.int64)
            matrix = np.frombuffer(b"".join(raw for _, raw in page), dtype="<f4")
            best = top(
                np.concatenate([ids, np.array([k for k, _ in best], dtype=np.int64)]),
                np.concatenate(
                    [matrix.reshape(-1, DIMENSIONS) @ query, np.array([s for _, s in best])]
                ).astype(np.float32),
                n,
            )
            after = page[-1][0]
            await asyncio.sleep(0)
