"""The in-memory index over a real database: a table past the exact limit gets its graph built
off the event loop (searches answer meanwhile, and see the changes made during the build); its
snapshot is restored at the next start and caught up with what changed in the database; a bad
snapshot is rebuilt, never a crash."""

from __future__ import annotations

import asyncio
import datetime as dt
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path

import numpy as np
import pytest
from sqlalchemy import insert

from services.registry import SERVICES
from services.search import storage
from services.search.index import DIMENSIONS, Indexes, TableIndex
from services.search.snapshots import Snapshots
from services.shared.config import Settings
from services.shared.db import Database, utcnow
from services.shared.server import migrate

TENANT, BASE, TABLE = "tenIndexTests0001", "appIndexTests0001", "tblIndexTests0001"
MODEL = "test-model"
LIMIT = 50


def unit_vectors(count: int, seed: int) -> np.ndarray:
    vectors = np.random.default_rng(seed).standard_normal((count, DIMENSIONS)).astype(np.float32)
    normed: np.ndarray = vectors / np.linalg.norm(vectors, axis=1, keepdims=True)
    return normed


@pytest.fixture
async def db(db_url: str) -> AsyncIterator[Database]:
    database = Database(db_url)
    await migrate(database, [SERVICES["search"]])
    yield database
    await database.close()


async def write(db: Database, vectors: np.ndarray, first: int = 0, table: str = TABLE) -> None:
    """Documents rec<first>.. of `table` with these vectors, as the indexer writes them."""
    rows = [
        {
            "tenant_id": TENANT,
            "base_id": BASE,
            "table_id": table,
            "record_id": f"rec{first + n:014d}",
            "text": f"text {first + n}",
            "text_hash": f"{first + n}",
            "vector": vector.astype("<f4").tobytes(),
            "model": MODEL,
            "updated_at": utcnow(),
        }
        for n, vector in enumerate(vectors)
    ]
    async with db.transaction() as session:
        await session.execute(insert(storage.documents), rows)


async def key_of(db: Database, n: int) -> int:
    async with db.read() as session:
        (known,) = await storage.known(session, TENANT, [f"rec{n:014d}"])
    return known.id


async def until(
    check: Callable[[], bool | Awaitable[bool]], what: str, within_s: float = 60
) -> None:
    deadline = time.monotonic() + within_s
    while True:
        result = check()
        if result if isinstance(result, bool) else await result:
            return
        assert time.monotonic() < deadline, f"timed out waiting until {what}"
        await asyncio.sleep(0.02)


async def best(indexes: Indexes, query: np.ndarray, n: int = 1) -> list[int]:
    return [key for key, _ in await indexes.search(TENANT, BASE, None, query, n)]


def table_of(indexes: Indexes) -> TableIndex:
    index = indexes.table(TENANT, TABLE)
    assert index is not None
    return index


async def test_the_graph_is_built_off_the_loop_and_keeps_the_changes_made_meanwhile(
    db: Database, tmp_path: Path
) -> None:
    vectors = unit_vectors(1500, seed=1)
    await write(db, vectors)
    first, last = await key_of(db, 0), await key_of(db, 1499)
    indexes = Indexes(db, LIMIT, Snapshots(tmp_path))
    await indexes.start()
    # Right while loading (a database scan) and once loaded (the matrix).
    assert await best(indexes, vectors[7]) == [first + 7]
    await until(lambda: table_of(indexes).ready, "the table is loaded")
    index = table_of(indexes)
    assert index.building, "1500 documents over a limit of 50 start a build"
    # The loop is free during the build: ticks every 10 ms, searches see new changes.
    added = unit_vectors(1, seed=2)[0]
    indexes.upsert(TENANT, BASE, TABLE, 10_000_000, added.tobytes(), utcnow(), MODEL)
    indexes.remove(TENANT, TABLE, [last])
    assert await best(indexes, added) == [10_000_000]
    assert last not in await best(indexes, vectors[1499], 5)
    # More than are applied at the swap: these go into the new graph in its thread first.
    many = unit_vectors(400, seed=8)
    for n, vector in enumerate(many):
        indexes.upsert(TENANT, BASE, TABLE, 20_000_000 + n, vector.tobytes(), utcnow(), MODEL)
    assert await best(indexes, many[399]) == [20_000_399]
    gaps: list[float] = []
    while index.building:
        started = time.monotonic()
        await asyncio.sleep(0.01)
        gaps.append(time.monotonic() - started)
    assert index.graph is not None and index.exact is None
    print(f"build: {len(gaps)} ticks of the loop, longest {max(gaps, default=0) * 1000:.0f} ms")
    assert len(gaps) >= 5 and max(gaps) < 1.0
    # The changes made during the build are in the graph.
    assert await best(indexes, added) == [10_000_000]
    assert last not in await best(indexes, vectors[1499], 5)
    assert [await best(indexes, many[n]) for n in (0, 200, 399)] == [
        [20_000_000],
        [20_000_200],
        [20_000_399],
    ]
    assert len(index.vectors) == 1500 - 1 + 1 + 400
    hits = [await best(indexes, vectors[n]) for n in range(0, 1400, 100)]
    assert hits == [[first + n] for n in range(0, 1400, 100)]
    # Its snapshot was written as it was built.
    assert (tmp_path / TENANT / f"{TABLE}.usearch").exists()
    await indexes.stop()


async def test_a_snapshot_is_restored_and_caught_up_with_the_database(
    db: Database, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    vectors = unit_vectors(200, seed=3)
    await write(db, vectors)
    keys = [await key_of(db, n) for n in range(200)]
    indexes = Indexes(db, LIMIT, Snapshots(tmp_path))
    await indexes.start()
    await until(lambda: table_of(indexes).graph is not None, "the graph is built")
    await indexes.stop()
    assert (tmp_path / TENANT / f"{TABLE}.json").exists()
    # While the service is down: one document deleted, one changed, one added.
    later = unit_vectors(2, seed=4)
    async with db.transaction() as session:
        await storage.remove(session, [keys[5]])
        await storage.save(
            session,
            [
                storage.NewText(
                    TENANT, BASE, TABLE, f"rec{6:014d}", "new", "new", later[0].tobytes(), MODEL
                )
            ],
            utcnow() + dt.timedelta(seconds=1),
        )
    await write(db, later[1:], first=200)
    added = await key_of(db, 200)
    caplog.set_level("INFO", logger="pyat.search.index")
    again = Indexes(db, LIMIT, Snapshots(tmp_path))
    await again.start()
    await until(lambda: table_of(again).ready, "the table is restored")
    assert table_of(again).graph is not None and not table_of(again).building
    assert "restored" in caplog.text and "built the graph" not in caplog.text
    assert keys[5] not in await best(again, vectors[5], 10)
    assert await best(again, later[0]) == [keys[6]]
    assert await best(again, later[1]) == [added]
    assert await best(again, vectors[100]) == [keys[100]]
    await again.stop()


@pytest.mark.parametrize("broken", ["graph", "description"])
async def test_a_corrupt_snapshot_is_rebuilt(db: Database, tmp_path: Path, broken: str) -> None:
    vectors = unit_vectors(120, seed=5)
    await write(db, vectors)
    indexes = Indexes(db, LIMIT, Snapshots(tmp_path))
    await indexes.start()
    await until(lambda: table_of(indexes).graph is not None, "the graph is built")
    await indexes.stop()
    damaged = tmp_path / TENANT / (f"{TABLE}.usearch" if broken == "graph" else f"{TABLE}.json")
    damaged.write_bytes(b"\x00not a snapshot" * 10)
    again = Indexes(db, LIMIT, Snapshots(tmp_path))
    await again.start()
    await until(lambda: table_of(again).graph is not None, "the graph is built again")
    assert await best(again, vectors[42]) == [await key_of(db, 42)]
    await again.stop()


async def test_a_dropped_table_loses_its_snapshot(db: Database, tmp_path: Path) -> None:
    await write(db, unit_vectors(80, seed=6))
    indexes = Indexes(db, LIMIT, Snapshots(tmp_path))
    await indexes.start()
    await until(lambda: table_of(indexes).graph is not None, "the graph is built")
    await until(lambda: (tmp_path / TENANT / f"{TABLE}.json").exists(), "the snapshot is written")
    indexes.drop(TENANT, BASE, TABLE)
    assert not (tmp_path / TENANT / f"{TABLE}.usearch").exists()
    assert await best(indexes, unit_vectors(1, seed=6)[0]) == []
    await indexes.stop()


async def test_a_tables_index_never_answers_for_another_tenant(db: Database) -> None:
    vectors = unit_vectors(60, seed=7)
    await write(db, vectors)
    indexes = Indexes(db, LIMIT)
    await indexes.start()
    assert await indexes.search("tenSomeoneElse001", BASE, None, vectors[0], 5) == []
    await until(lambda: table_of(indexes).graph is not None, "the graph is built")
    assert await indexes.search("tenSomeoneElse001", BASE, TABLE, vectors[0], 5) == []
    assert await best(indexes, vectors[0]) == [await key_of(db, 0)]
    await indexes.stop()


def test_indexing_is_on_unless_turned_off() -> None:
    assert Settings.from_env({}).search_indexing
    assert Settings.from_env({"PYAT_SEARCH_INDEXING": "on"}).search_indexing
    assert not Settings.from_env({"PYAT_SEARCH_INDEXING": "off"}).search_indexing


async def test_a_tenants_backlog_does_not_hold_up_another_tenants_records(db: Database) -> None:
    """The worker's next batch holds the records of every tenant waiting, not only the oldest
    tenant's: an import of thousands of records would leave others' changes minutes behind."""
    busy, quiet = "tenIndexBusy00001", "tenIndexQuiet0001"
    start = utcnow() - dt.timedelta(minutes=5)

    def waiting(tenant: str, count: int, at: dt.datetime) -> list[storage.Pending]:
        return [
            storage.Pending(
                tenant, BASE, TABLE, f"rec{tenant[-5:]}{n:09d}", "usrIndexTests0001",
                at + dt.timedelta(milliseconds=n),
            )
            for n in range(count)
        ]  # fmt: skip

    now = utcnow()
    async with db.transaction() as session:
        await storage.queue_records(session, waiting(busy, 500, start))
        await storage.queue_records(session, waiting(quiet, 3, now))
    try:
        async with db.read() as session:
            batch = await storage.next_records(session, 64)
        assert len(batch) <= 64
        assert {row.record_id for row in batch if row.tenant_id == quiet} == {
            row.record_id for row in waiting(quiet, 3, start)
        }
        mine = [row for row in batch if row.tenant_id == busy]
        assert mine and mine == sorted(mine, key=lambda row: row.queued_at)
        # Put off after a failure, they wait their time while the others go on.
        later = utcnow() + dt.timedelta(minutes=1)
        async with db.transaction() as session:
            await storage.defer_records(session, waiting(quiet, 3, now), later)
        async with db.read() as session:
            batch = await storage.next_records(session, 64)
        assert batch and not [row for row in batch if row.tenant_id == quiet]
        now = later
    finally:
        async with db.transaction() as session:
            await storage.done_records(
                session, [*waiting(busy, 500, start), *waiting(quiet, 3, now)]
            )
