"""The change feed's delivery time: how long a record written to a table takes to reach each of
100 WatchTable subscribers of that table (web-bff), measured from just before the write is sent.

The table is the first user's grid table (`scenarios.grid_table`). The subscribers are
CALLERS made-up people of the owner's tenant, each given read access to the base with
permission-service Grant by the owner, each with SUBSCRIBERS / CALLERS streams (web-bff allows
20 per caller), all over gRPC straight to the fabric. Once every stream has sent its first
message (it follows the table from then on), one CreateRecords of one record goes out every
WRITE_EVERY_S on a fixed timeline, each noting time.monotonic() just before it is sent; each
subscriber notes when the change for that record id arrives. A delivery's latency is arrival
minus send start, so it includes the write's own round trip, reported beside it as the baseline.
"""

from __future__ import annotations

import asyncio
import math
import random
import time
from dataclasses import dataclass, field
from typing import Any

import grpc
from pyat.airtable.v1 import airtable_gateway_pb2 as at
from pyat.airtable.v1 import airtable_gateway_pb2_grpc
from pyat.permission.v1 import permission_pb2 as perm
from pyat.permission.v1 import permission_pb2_grpc
from pyat.webbff.v1 import web_bff_pb2, web_bff_pb2_grpc

from benchmarks import dataplane
from benchmarks.callers import caller_metadata
from benchmarks.scenarios import GridTable, User, as_caller, grid_table, owned
from services.shared.ids import new_id

NAME = "web-bff WatchTable change feed"
SUBSCRIBERS = 100
CALLERS = 10  # 10 streams each: web-bff allows 20 per caller
CHANNELS = 4
WRITES = 40
QUICK_WRITES = 5
WRITE_EVERY_S = 0.1
# Bounds: for every stream to start, and for the deliveries after the last write.
WAIT_S = 30.0
TARGET_P99_MS = 1000.0
CALL_TIMEOUT_S = 10.0

Headers = tuple[tuple[str, str], ...]


@dataclass
class Subscriber:
    """One WatchTable stream: whether it has started, and when each record's change arrived."""

    started: asyncio.Event = field(default_factory=asyncio.Event)
    arrivals: dict[str, float] = field(default_factory=dict)  # record id -> monotonic
    ended: str = ""  # why it ended early, if it did


@dataclass(frozen=True)
class Write:
    record_id: str
    sent: float  # monotonic, just before the request went out
    done: float  # monotonic, when its answer arrived


def run(address: str, users: list[User], quick: bool) -> dict[str, Any]:
    """Measure the feed on the first user's grid table; the result, failures included."""
    table = grid_table(address, owned(address, tuple(users))[0])
    readers = grant_readers(address, table)
    writes = QUICK_WRITES if quick else WRITES
    return asyncio.run(measure(address, table, readers, writes))


def grant_readers(address: str, table: GridTable) -> list[Headers]:
    """CALLERS made-up people of the owner's tenant, read-only on the base (granted by the
    owner); the signed caller headers of each."""
    owner = table.owner
    resource = perm.Resource(workspace_id=owner.workspace_id, base_id=owner.base_id)
    readers = [new_id("usr") for _ in range(CALLERS)]
    with grpc.insecure_channel(address) as channel:
        permissions = permission_pb2_grpc.PermissionServiceStub(channel)
        for reader in readers:
            request = perm.GrantRequest(
                subject_id=reader, resource=resource, role=perm.ROLE_READ_ONLY
            )
            permissions.Grant(request, metadata=as_caller(owner.user), timeout=30)
    return [caller_metadata(owner.user.tenant_id, reader) for reader in readers]


async def follow(
    stream: grpc.aio.UnaryStreamCall[web_bff_pb2.WatchTableRequest, web_bff_pb2.WatchTableResponse],
    subscriber: Subscriber,
) -> None:
    try:
        async for message in stream:
            now = time.monotonic()
            subscriber.started.set()  # the first message says it follows the table
            if message.HasField("change"):
                subscriber.arrivals.setdefault(message.change.record_id, now)
        subscriber.ended = "the stream ended"
    except grpc.aio.AioRpcError as exc:
        if exc.code() is not grpc.StatusCode.CANCELLED:
            subscriber.ended = f"gRPC {exc.code().name}: {exc.details()}"
    finally:
        subscriber.started.set()  # an ended stream is not waited for


async def measure(
    address: str, table: GridTable, readers: list[Headers], writes: int
) -> dict[str, Any]:
    owner = table.owner
    request = web_bff_pb2.WatchTableRequest(base_id=owner.base_id, table_id=table.table_id)
    channels = [grpc.aio.insecure_channel(address) for _ in range(CHANNELS)]
    subscribers = [Subscriber() for _ in range(SUBSCRIBERS)]
    streams = [
        web_bff_pb2_grpc.WebBffServiceStub(channels[n % CHANNELS]).WatchTable(
            request, metadata=readers[n % len(readers)]
        )
        for n in range(SUBSCRIBERS)
    ]
    pairs = zip(streams, subscribers, strict=True)
    tasks = [asyncio.create_task(follow(stream, sub)) for stream, sub in pairs]
    errors: list[str] = []
    done: list[Write] = []
    try:
        try:
            await asyncio.wait_for(asyncio.gather(*(s.started.wait() for s in subscribers)), WAIT_S)
        except TimeoutError:
            errors.append(f"not every stream started within {WAIT_S:g} s")
        errors += _ended(subscribers)
        if not errors:
            done, failed = await write_records(channels[0], table, writes)
            errors += failed
            await _until_delivered(subscribers, {w.record_id for w in done})
            errors += _ended(subscribers)
    finally:
        for stream in streams:
            stream.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        for channel in channels:
            await channel.close()
    return result(subscribers, done, writes, errors)


async def write_records(
    channel: grpc.aio.Channel, table: GridTable, writes: int
) -> tuple[list[Write], list[str]]:
    """One CreateRecords every WRITE_EVERY_S on a fixed timeline, each in its own task so a
    slow one does not delay the next; the writes that succeeded, and the errors of the others."""
    owner = table.owner
    records = airtable_gateway_pb2_grpc.AirtableGatewayServiceStub(channel)
    headers = as_caller(owner.user)
    rng = random.Random(11)

    async def write(n: int) -> Write:
        body = at.CreateRecordsRequest(
            base_id=owner.base_id, table=table.table_id, records=[dataplane.record(n, rng)]
        )
        sent = time.monotonic()
        answer = await records.CreateRecords(body, metadata=headers, timeout=CALL_TIMEOUT_S)
        return Write(answer.records[0].id, sent, time.monotonic())

    start = time.monotonic()
    pending = []
    for n in range(writes):
        await asyncio.sleep(max(0.0, start + n * WRITE_EVERY_S - time.monotonic()))
        pending.append(asyncio.create_task(write(n)))
    outcomes = await asyncio.gather(*pending, return_exceptions=True)
    done = [o for o in outcomes if isinstance(o, Write)]
    failed = [f"CreateRecords: {_describe(o)}" for o in outcomes if isinstance(o, BaseException)]
    return done, failed


async def _until_delivered(subscribers: list[Subscriber], record_ids: set[str]) -> None:
    """Until every live subscriber has every record, or WAIT_S has passed. Arrivals are timed
    as they come (in `follow`), so how often this looks does not change the figures."""
    deadline = time.monotonic() + WAIT_S
    while time.monotonic() < deadline:
        live = [s for s in subscribers if not s.ended]
        if all(record_ids <= s.arrivals.keys() for s in live):
            return
        await asyncio.sleep(0.05)


def _ended(subscribers: list[Subscriber]) -> list[str]:
    ended: dict[str, int] = {}
    for s in subscribers:
        if s.ended:
            ended[s.ended] = ended.get(s.ended, 0) + 1
    return [f"{n} stream(s) ended: {why}" for why, n in ended.items()]


def _describe(exc: BaseException) -> str:
    if isinstance(exc, grpc.aio.AioRpcError):
        return f"gRPC {exc.code().name}: {exc.details()}"
    return f"{type(exc).__name__}: {exc}"


def percentile(values: list[float], q: float) -> float:
    """Nearest rank: the smallest value with at least q of them at or below it."""
    ordered = sorted(values)
    return ordered[max(0, math.ceil(q * len(ordered)) - 1)]


def _ms(values: list[float], names: dict[str, float]) -> dict[str, float] | None:
    if not values:
        return None
    return {name: round(percentile(values, q) * 1e3, 2) for name, q in names.items()}


def result(
    subscribers: list[Subscriber], done: list[Write], writes: int, errors: list[str]
) -> dict[str, Any]:
    latencies = [
        s.arrivals[w.record_id] - w.sent
        for w in done
        for s in subscribers
        if w.record_id in s.arrivals
    ]
    expected = len(subscribers) * writes
    missing = expected - len(latencies)
    short = sum(1 for s in subscribers if any(w.record_id not in s.arrivals for w in done))
    problems = list(errors)
    if missing and not errors:
        problems.append(
            f"{missing} of {expected} deliveries missing after {WAIT_S:g} s "
            f"({short} subscriber(s) short)"
        )
    latency = _ms(latencies, {"p50": 0.5, "p95": 0.95, "p99": 0.99, "max": 1.0})
    misses = []
    if latency is not None and latency["p99"] >= TARGET_P99_MS:
        misses.append(f"p99 {latency['p99']:.0f} ms >= {TARGET_P99_MS:g} ms")
    return {
        "name": NAME,
        "subscribers": len(subscribers),
        "callers": CALLERS,
        "writes": writes,
        "write_every_ms": WRITE_EVERY_S * 1e3,
        "expected": expected,
        "received": len(latencies),
        "subscribers_short": short,
        "latency_ms": latency,
        "write_ms": _ms([w.done - w.sent for w in done], {"p50": 0.5, "p99": 0.99}),
        "target_p99_ms": TARGET_P99_MS,
        "errors": problems,
        "misses": misses,
        "meets_target": not problems and not misses and latency is not None,
    }


def markdown(feed: dict[str, Any]) -> list[str]:
    latency, write = feed["latency_ms"], feed["write_ms"]

    def ms(values: dict[str, float] | None, name: str) -> str:
        return f"{values[name]:.1f}" if values else "-"

    if feed["errors"]:
        verdict = "**FAILED**: " + "; ".join(feed["errors"])
    elif feed["misses"]:
        verdict = "**MISSED**: " + "; ".join(feed["misses"])
    else:
        verdict = "meets"
    verdict = verdict.replace("|", "\\|")
    lines = [
        "## Change feed: delivery to WatchTable subscribers",
        "",
        f"{feed['subscribers']} WatchTable streams of one table ({feed['callers']} readers of "
        f"the owner's tenant, read-only on the base), gRPC straight to the fabric "
        f"(`benchmarks/feed.py`); {feed['writes']} records written one CreateRecords each, one "
        f"every {feed['write_every_ms']:g} ms. A delivery's latency runs from just before its "
        "write was sent to its arrival at a subscriber, so it includes the write's own round "
        "trip (the CreateRecords columns, the baseline). Times in ms.",
        "",
        "| deliveries expected | received | p50 | p95 | p99 | max | CreateRecords p50 "
        "| CreateRecords p99 | target p99 | verdict |",
        "|---|---|---|---|---|---|---|---|---|---|",
        f"| {feed['expected']} | {feed['received']} | {ms(latency, 'p50')} | "
        f"{ms(latency, 'p95')} | {ms(latency, 'p99')} | {ms(latency, 'max')} | "
        f"{ms(write, 'p50')} | {ms(write, 'p99')} | < {feed['target_p99_ms']:g} | "
        f"{verdict} |",
    ]
    return lines


def line(feed: dict[str, Any]) -> str:
    """The result in a line, for the run's progress output."""
    latency, write = feed["latency_ms"], feed["write_ms"]
    text = f"{feed['received']}/{feed['expected']} deliveries"
    if latency:
        text += ", " + " ".join(f"{k} {v:.1f}" for k, v in latency.items()) + " ms"
    if write:
        text += f" (CreateRecords p50 {write['p50']:.1f}, p99 {write['p99']:.1f} ms)"
    if feed["errors"]:
        text += "; " + "; ".join(feed["errors"])
    return text
