"""The embedded bus across a crash: a host killed with SIGKILL while events are committed and
their consumers are behind (one stuck inside its handler) loses none of them after a restart."""

from __future__ import annotations

import asyncio
import signal
import sqlite3
import sys
from collections.abc import Callable
from contextlib import closing
from pathlib import Path
from typing import Any

from tests.runtime.crash_host import DURABLES

REPO = Path(__file__).resolve().parents[2]


async def start_host(data_dir: Path, *flags: str) -> asyncio.subprocess.Process:
    log = (data_dir / "host.log").open("ab")
    try:
        return await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "tests.runtime.crash_host",
            str(data_dir),
            *flags,
            cwd=REPO,
            stdout=log,
            stderr=asyncio.subprocess.STDOUT,
        )
    finally:
        log.close()


def query(data_dir: Path, sql: str, *params: Any) -> list[tuple[Any, ...]]:
    """Rows from the host's SQLite database, read beside it; none before it made the tables."""
    uri = f"file:{data_dir / 'pyat.db'}?mode=ro"
    try:
        with closing(sqlite3.connect(uri, uri=True, timeout=10)) as connection:
            return connection.execute(sql, params).fetchall()
    except sqlite3.OperationalError:
        return []


def handled(data_dir: Path, durable: str) -> set[str]:
    rows = query(data_dir, "SELECT event_id FROM crash_handled WHERE durable = ?", durable)
    return {event_id for (event_id,) in rows}


def deliveries(data_dir: Path, durable: str) -> list[str]:
    rows = query(
        data_dir, "SELECT event_id FROM crash_deliveries WHERE durable = ? ORDER BY n", durable
    )
    return [event_id for (event_id,) in rows]


def committed(data_dir: Path) -> set[str]:
    return {event_id for (event_id,) in query(data_dir, "SELECT event_id FROM outbox")}


async def until(
    what: str, condition: Callable[[], bool], host: asyncio.subprocess.Process, data_dir: Path
) -> None:
    """Wait for `condition`, generously (a loaded machine starts Python slowly)."""
    for _ in range(1200):
        if condition():
            return
        if host.returncode is not None:
            log = (data_dir / "host.log").read_text(errors="replace")[-3000:]
            raise AssertionError(f"the host exited ({host.returncode}) before {what}:\n{log}")
        await asyncio.sleep(0.1)
    raise AssertionError(f"timed out waiting until {what}")


async def test_every_consumer_handles_every_event_once_across_a_sigkill(tmp_path: Path) -> None:
    first = await start_host(tmp_path, "--produce", "--block-slow")
    try:
        await until(
            "events pile up behind the consumers",
            lambda: len(handled(tmp_path, "fast")) >= 50 and len(deliveries(tmp_path, "slow")) >= 1,
            first,
            tmp_path,
        )
    finally:
        first.kill()  # SIGKILL: no shutdown, mid-commit, mid-relay, mid-handler
        await asyncio.wait_for(first.wait(), timeout=30)
    events = committed(tmp_path)
    # "slow" handled one event, then was killed before keeping its position: the rest of the
    # committed events (some perhaps not even published yet) are still to come.
    [stuck] = handled(tmp_path, "slow")
    assert len(events) >= 50

    second = await start_host(tmp_path)  # the same data dir; produces nothing new
    try:
        await until(
            "both consumers have handled every committed event",
            lambda: all(handled(tmp_path, durable) >= events for durable in DURABLES),
            second,
            tmp_path,
        )
    finally:
        second.send_signal(signal.SIGTERM)
        assert await asyncio.wait_for(second.wait(), timeout=30) == 0

    for durable in DURABLES:
        assert handled(tmp_path, durable) == events, durable
        delivered = deliveries(tmp_path, durable)
        assert set(delivered) == events, durable
    # The event "slow" was stuck on came again after the restart, and was dropped by its id.
    assert deliveries(tmp_path, "slow").count(stuck) == 2
