"""The load generator, in its own process: jobs come as JSON lines on stdin, results go to stdout.

Open loop sends calls on a fixed timeline and counts each latency from the call's intended send
time, so a slow server cannot hide its queueing by holding the sender back (coordinated
omission). Closed loop keeps N callers busy back to back, which finds the saturation throughput.
"""

from __future__ import annotations

import asyncio
import base64
import itertools
import json
import sys
import time
from collections import Counter
from dataclasses import dataclass
from typing import Any, Protocol

import grpc
import uvloop
from hdrh.histogram import HdrHistogram

OK = "OK"
# Latencies are recorded in microseconds, from 1 µs to 60 s, to 3 significant digits.
_HIST_MAX_US = 60_000_000
PERCENTILES = {"p50": 50.0, "p90": 90.0, "p95": 95.0, "p99": 99.0, "p99.9": 99.9}


@dataclass(frozen=True)
class Job:
    """One run of load against one target."""

    target: str  # host:port
    transport: str  # "grpc", or "http" for REST through Envoy
    path: str  # the gRPC method ("/pkg.Service/Method") or the HTTP path
    # Used in turn: {"body": base64, "headers": [[name, value], ...]}.
    calls: list[dict[str, Any]]
    mode: str  # "open" (fixed arrival rate) or "closed" (callers back to back)
    warmup_s: float
    duration_s: float
    rate: float = 0.0  # open loop: calls per second
    concurrency: int = 0  # closed loop: number of callers
    http_method: str = "GET"
    timeout_s: float = 5.0
    # Open loop: give up once this many seconds' worth of calls are in flight; the run failed.
    max_backlog_s: float = 1.0
    # The index of the call to start with: a scenario's runs go on where the last one stopped,
    # so a scenario whose calls are all different (a cold cache) repeats none until it wraps.
    first: int = 0


class Caller(Protocol):
    async def __call__(self, n: int) -> str:
        """Make call number n; return "OK" or what went wrong (a status code name)."""

    async def close(self) -> None: ...


class GrpcCaller:
    """Raw bytes in and out, so the generator spends nothing on protobuf."""

    def __init__(self, job: Job) -> None:
        self.channel = grpc.aio.insecure_channel(job.target)
        self.method: grpc.aio.UnaryUnaryMultiCallable[bytes, bytes] = self.channel.unary_unary(
            job.path
        )
        self.calls = [
            (base64.b64decode(c["body"]), tuple((k, v) for k, v in c["headers"])) for c in job.calls
        ]
        self.timeout = job.timeout_s
        self.first = job.first

    async def __call__(self, n: int) -> str:
        body, metadata = self.calls[(self.first + n) % len(self.calls)]
        try:
            await self.method(body, metadata=metadata, timeout=self.timeout)
        except grpc.aio.AioRpcError as err:
            return str(err.code().name)
        return OK

    async def close(self) -> None:
        await self.channel.close()


Connection = tuple[asyncio.StreamReader, asyncio.StreamWriter]


class HttpCaller:
    """HTTP/1.1 over a pool of keep-alive connections: cheaper per call than a client library,
    so the difference to the gRPC scenario is Envoy's and not the generator's."""

    def __init__(self, job: Job) -> None:
        host, port = job.target.rsplit(":", 1)
        self.host, self.port = host, int(port)
        self.requests = [self._request(job, call) for call in job.calls]
        self.idle: list[Connection] = []
        self.timeout = job.timeout_s
        self.first = job.first

    def _request(self, job: Job, call: dict[str, Any]) -> bytes:
        body = base64.b64decode(call["body"])
        path = call.get("path") or job.path
        head = [f"{job.http_method} {path} HTTP/1.1", f"Host: {job.target}"]
        head += [f"{name}: {value}" for name, value in call["headers"]]
        if body:
            head += ["Content-Type: application/json", f"Content-Length: {len(body)}"]
        return ("\r\n".join(head) + "\r\n\r\n").encode() + body

    async def __call__(self, n: int) -> str:
        conn = self.idle.pop() if self.idle else None
        try:
            async with asyncio.timeout(self.timeout):
                if conn is None:
                    conn = await asyncio.open_connection(self.host, self.port)
                conn[1].write(self.requests[(self.first + n) % len(self.requests)])
                status, keep_alive = await read_response(conn[0])
        except TimeoutError:
            _close(conn)
            return "TIMEOUT"
        except (OSError, asyncio.IncompleteReadError, ValueError):
            _close(conn)
            return "CONNECTION_ERROR"
        if keep_alive:
            self.idle.append(conn)
        else:
            _close(conn)
        return OK if status == 200 else f"HTTP_{status}"

    async def close(self) -> None:
        for conn in self.idle:
            _close(conn)
        self.idle.clear()


def _close(conn: Connection | None) -> None:
    if conn is not None:
        conn[1].close()


async def read_response(reader: asyncio.StreamReader) -> tuple[int, bool]:
    """Read one HTTP/1.1 response, body included; return its status and whether to keep going."""
    status = int((await reader.readuntil(b"\r\n")).split(b" ", 2)[1])
    length, chunked, keep_alive = 0, False, True
    while (line := await reader.readuntil(b"\r\n")) != b"\r\n":
        name, _, value = line.partition(b":")
        name, value = name.strip().lower(), value.strip().lower()
        if name == b"content-length":
            length = int(value)
        elif name == b"transfer-encoding":
            chunked = b"chunked" in value
        elif name == b"connection":
            keep_alive = value != b"close"
    if not chunked:
        await reader.readexactly(length)
        return status, keep_alive
    while size := int((await reader.readuntil(b"\r\n")).split(b";")[0], 16):
        await reader.readexactly(size + 2)  # the chunk and its CRLF
    while await reader.readuntil(b"\r\n") != b"\r\n":
        pass  # trailers
    return status, keep_alive


def _us(seconds: float) -> int:
    return min(max(int(seconds * 1e6), 1), _HIST_MAX_US)


class Recorder:
    """Latencies of successful calls (HDR histogram) and the count of every outcome."""

    def __init__(self) -> None:
        self.latency = HdrHistogram(1, _HIST_MAX_US, 3)
        # Open loop: how late each call left against its schedule (the generator's own delay).
        self.send_lag = HdrHistogram(1, _HIST_MAX_US, 3)
        self.outcomes: Counter[str] = Counter()
        self.sent = 0  # every call made, warm-up included

    def record(self, outcome: str, seconds: float) -> None:
        self.outcomes[outcome] += 1
        if outcome == OK:
            self.latency.record_value(_us(seconds))

    def summary(self, duration_s: float) -> dict[str, Any]:
        ok = self.outcomes[OK]
        return {
            "sent": self.sent,
            "ok": ok,
            "errors": {name: n for name, n in sorted(self.outcomes.items()) if name != OK},
            "achieved_rate": round(ok / duration_s, 1),
            "latency_ms": percentiles_ms(self.latency),
            "send_lag_ms": percentiles_ms(self.send_lag),
        }


def percentiles_ms(hist: HdrHistogram) -> dict[str, float] | None:
    if hist.get_total_count() == 0:
        return None
    values = {name: hist.get_value_at_percentile(p) / 1e3 for name, p in PERCENTILES.items()}
    values["max"] = hist.get_max_value() / 1e3
    values["mean"] = hist.get_mean_value() / 1e3
    return {name: round(value, 3) for name, value in values.items()}


async def open_loop(job: Job, call: Caller, rec: Recorder) -> float | None:
    """Send at job.rate on a fixed timeline. If the backlog grows past job.max_backlog_s it
    gives up, and returns how many seconds after the start (warm-up included) it did."""
    perf = time.perf_counter
    interval = 1.0 / job.rate
    start = perf()
    measure_from = start + job.warmup_s
    end = measure_from + job.duration_s
    backlog_limit = max(10, int(job.rate * job.max_backlog_s))
    in_flight: set[asyncio.Task[None]] = set()

    async def timed(n: int, intended: float) -> None:
        rec.sent += 1
        measured = intended >= measure_from
        if measured:
            rec.send_lag.record_value(_us(perf() - intended))
        outcome = await call(n)
        if measured:
            rec.record(outcome, perf() - intended)

    gave_up = None
    for n in itertools.count():
        intended = start + n * interval
        if intended >= end:
            break
        if len(in_flight) > backlog_limit:
            gave_up = round(intended - start, 1)
            break
        delay = intended - perf()
        if delay > 0:
            await asyncio.sleep(delay)
        # When behind schedule this does not wait: the calls that are due all go out now.
        task = asyncio.create_task(timed(n, intended))
        in_flight.add(task)
        task.add_done_callback(in_flight.discard)
    if in_flight:
        _, late = await asyncio.wait(in_flight, timeout=job.timeout_s + 1)
        for task in late:
            task.cancel()
    return gave_up


async def closed_loop(job: Job, call: Caller, rec: Recorder) -> None:
    """job.concurrency callers, each sending its next call as soon as the last one returns."""
    perf = time.perf_counter
    measure_from = perf() + job.warmup_s
    end = measure_from + job.duration_s

    async def caller() -> None:
        while (sent := perf()) < end:
            rec.sent += 1
            outcome = await call(rec.sent)
            if sent >= measure_from:
                rec.record(outcome, perf() - sent)

    await asyncio.gather(*(caller() for _ in range(job.concurrency)))


async def run_job(job: Job) -> dict[str, Any]:
    call: Caller = GrpcCaller(job) if job.transport == "grpc" else HttpCaller(job)
    rec = Recorder()
    cpu_start, wall_start = time.process_time(), time.perf_counter()
    gave_up = None
    try:
        if job.mode == "open":
            gave_up = await open_loop(job, call, rec)
        else:
            await closed_loop(job, call, rec)
    finally:
        await call.close()
    cpu = (time.process_time() - cpu_start) / (time.perf_counter() - wall_start)
    return {
        **rec.summary(job.duration_s),
        "gave_up_after_s": gave_up,
        "generator_cpu": round(cpu, 3),
    }


def main() -> int:
    for line in sys.stdin:
        job = Job(**json.loads(line))
        result = uvloop.run(run_job(job))
        print(json.dumps(result), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
