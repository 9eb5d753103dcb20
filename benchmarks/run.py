"""Run the suite: `python -m benchmarks.run [--quick]`, as `make bench` and `make bench-quick` do.

It starts the echo baseline, `pyat up` and the load generator as separate processes, registers
users through the real API, measures every scenario next to its baseline, finds saturation and
capacity, reads memory from /proc, times the codecs, and writes JSON, Markdown and a PNG.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import datetime as dt
import http.client
import os
import secrets
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import asdict, dataclass, replace
from functools import partial
from pathlib import Path
from typing import Any, TypeVar

import asyncpg
import grpc
import nats
from pyat.auth.v1 import auth_pb2, auth_pb2_grpc

from benchmarks import ai, browser, codec, embedding, feed, identity_costs, report
from benchmarks.echo import method_for
from benchmarks.loadgen import PERCENTILES, Job
from benchmarks.processes import (
    EchoServer,
    LoadGenerator,
    Process,
    PyatServer,
    RestEcho,
    Watched,
    stop_all,
)
from benchmarks.scenarios import SCENARIOS, Call, Env, Scenario, Tier, User, data_table
from services.registry import SERVICES

RESULTS = Path(__file__).resolve().parent / "results"
EXTERNAL_STORAGE = ("DATABASE_URL", "REDIS_URL", "NATS_URL")
# A run that loses more calls than this has missed its target, whatever the latencies say.
MAX_ERROR_RATIO = 0.001
MIN_ACHIEVED_RATIO = 0.95
IDLE = "idle, after start"
# Every registered user's: the browser signs in with it.
PASSWORD = "bench-horse-42"
T = TypeVar("T")


@dataclass(frozen=True)
class Plan:
    """How long each part runs."""

    mode: str
    warmup_s: float  # open loop, before measuring
    measure_s: float
    closed_warmup_s: float
    closed_measure_s: float
    concurrency: int  # callers in the closed loop
    # Offered loads tried in turn, as multiples of each scenario's stated load; empty skips.
    capacity_factors: tuple[float, ...]
    capacity_warmup_s: float
    capacity_measure_s: float
    solo_load_s: float  # load on each service run alone, for its memory under load
    users: int
    table_records: int  # the data plane's table


FULL = Plan(
    mode="full",
    warmup_s=3.0,
    measure_s=15.0,
    closed_warmup_s=2.0,
    closed_measure_s=8.0,
    concurrency=32,
    capacity_factors=(0.5, 1, 2, 3, 4, 5, 6, 8, 10),
    capacity_warmup_s=2.0,
    capacity_measure_s=6.0,
    solo_load_s=8.0,
    users=16,
    table_records=100_000,
)
QUICK = Plan(
    mode="quick",
    warmup_s=0.2,
    measure_s=0.5,
    closed_warmup_s=0.1,
    closed_measure_s=0.4,
    concurrency=32,
    capacity_factors=(),
    capacity_warmup_s=0.0,
    capacity_measure_s=0.0,
    solo_load_s=0.3,
    users=4,
    table_records=300,
)


# Run in both configurations by a full run: the embedded default, then (in a pass of its own)
# PostgreSQL, Redis and NATS, from the environment or else the machine's own servers.
BOTH_STORAGES = ("REST GET /v1/users/me",)
LOCAL_STORAGE = {
    "DATABASE_URL": "postgresql://postgres@127.0.0.1:5432",
    "REDIS_URL": "redis://127.0.0.1:6379/0",
    "NATS_URL": "nats://127.0.0.1:4222",
}


def storage_env(external: bool) -> dict[str, str]:
    """The environment for the servers: embedded storage unless asked for the external ones."""
    env = dict(os.environ)
    if not external:
        for name in EXTERNAL_STORAGE:
            env.pop(name, None)
        return env
    if not any(env.get(name) for name in EXTERNAL_STORAGE):
        raise SystemExit(f"--external needs at least one of {', '.join(EXTERNAL_STORAGE)} set")
    # Keep the benchmark's events and cache keys apart from anything else on those servers.
    env.setdefault("PYAT_NATS_STREAM", "PYAT_BENCH")
    env.setdefault("PYAT_CACHE_PREFIX", "pyat-bench:")
    return env


@contextmanager
def external_storage() -> Iterator[dict[str, str]]:
    """The environment for a pass on PostgreSQL, Redis and NATS: the URLs set in this one, or
    the machine's local servers with a database made for the pass and dropped after it."""
    if all(os.environ.get(name) for name in EXTERNAL_STORAGE):
        yield storage_env(True)
        return
    run_id = secrets.token_hex(4)
    name, stream = f"pyat_bench_{run_id}", f"PYAT_BENCH_{run_id.upper()}"
    server = LOCAL_STORAGE["DATABASE_URL"]

    async def admin(statement: str) -> None:
        conn = await asyncpg.connect(f"{server}/postgres")
        try:
            await conn.execute(statement)
        finally:
            await conn.close()

    async def drop_stream() -> None:
        bus = await nats.connect(LOCAL_STORAGE["NATS_URL"], allow_reconnect=False)
        try:
            await bus.jetstream().delete_stream(stream)
        except nats.errors.Error:
            pass  # never made
        finally:
            await bus.close()

    asyncio.run(admin(f'CREATE DATABASE "{name}"'))
    env = {**os.environ, **LOCAL_STORAGE, "DATABASE_URL": f"{server}/{name}"}
    try:
        yield {**env, "PYAT_NATS_STREAM": stream, "PYAT_CACHE_PREFIX": f"pyat-bench-{run_id}:"}
    finally:
        asyncio.run(admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        asyncio.run(drop_stream())


def storage_label(env: dict[str, str]) -> str:
    return ", ".join(
        [
            "PostgreSQL" if env.get("DATABASE_URL") else "SQLite",
            "Redis cache" if env.get("REDIS_URL") else "in-process cache",
            "NATS bus" if env.get("NATS_URL") else "embedded bus",
        ]
    )


def register_users(address: str, count: int) -> list[User]:
    """Register accounts through the real API and keep their access tokens."""
    run_id = secrets.token_hex(4)
    users = []
    with grpc.insecure_channel(address) as channel:
        auth = auth_pb2_grpc.AuthServiceStub(channel)
        for n in range(count):
            email = f"bench-{run_id}-{n}@example.com"
            reply = auth.Register(
                auth_pb2.RegisterRequest(email=email, password=PASSWORD, name=f"Bench {n}"),
                timeout=30,
            )
            users.append(User(reply.user.id, reply.user.tenant_id, email, reply.access_token))
    return users


def probe(scenario: Scenario, call: Call, fabric: PyatServer) -> int:
    """Make one call the plain way and check it works; return the size of its reply."""
    if scenario.transport == "grpc":
        with grpc.insecure_channel(fabric.grpc_address) as channel:
            method: grpc.UnaryUnaryMultiCallable[bytes, bytes] = channel.unary_unary(scenario.path)
            reply = method(call.body, metadata=call.headers, timeout=10)
        return len(reply)
    assert fabric.edge_address is not None
    host, port = fabric.edge_address.rsplit(":", 1)
    conn = http.client.HTTPConnection(host, int(port), timeout=10)
    try:
        path = call.path or scenario.path
        headers = dict(call.headers)
        if call.body:  # as the load generator sends it
            headers["Content-Type"] = "application/json"
        conn.request(scenario.http_method, path, call.body or None, headers)
        response = conn.getresponse()
        body = response.read()
    finally:
        conn.close()
    if response.status != 200:
        raise RuntimeError(f"{scenario.name}: HTTP {response.status}: {body[:300]!r}")
    return len(body)


def encode_calls(calls: list[Call]) -> list[dict[str, Any]]:
    return [
        {
            "body": base64.b64encode(c.body).decode(),
            "headers": [list(h) for h in c.headers],
            "path": c.path,
        }
        for c in calls
    ]


def misses(result: dict[str, Any], tier: Tier, offered_rate: float) -> list[str]:
    """Why a run at offered_rate misses its tier's target; empty when it meets it."""
    reasons = []
    if result["gave_up_after_s"] is not None:
        reasons.append(
            f"overloaded: over 1 s of calls in flight, stopped after "
            f"{result['gave_up_after_s']:g} s"
        )
    latency = result["latency_ms"]
    if latency is None:
        return [*reasons, "no call measured"]
    for name, limit in (("p50", tier.p50_ms), ("p95", tier.p95_ms), ("p99", tier.p99_ms)):
        if latency[name] >= limit:
            reasons.append(f"{name} {latency[name]:.1f} ms >= {limit:g} ms")
    errors = sum(result["errors"].values())
    if errors > MAX_ERROR_RATIO * (errors + result["ok"]):
        reasons.append(f"{errors} errors {result['errors']}")
    if result["achieved_rate"] < MIN_ACHIEVED_RATIO * offered_rate:
        reasons.append(f"achieved {result['achieved_rate']:.0f}/s of {offered_rate:g}/s")
    return reasons


def ratios(result: dict[str, Any], baseline: dict[str, Any]) -> dict[str, float] | None:
    if result["latency_ms"] is None or baseline["latency_ms"] is None:
        return None
    return {
        name: round(result["latency_ms"][name] / baseline["latency_ms"][name], 2)
        for name in [*PERCENTILES, "max"]
    }


class Suite:
    """One run: the processes, the seeded data, and the results as they come."""

    def __init__(self, plan: Plan, env: dict[str, str], workdir: Path, stack: ExitStack) -> None:
        self.plan = plan
        self.env = env
        self.logs = workdir / "logs"
        self.logs.mkdir()
        self.data_dir = workdir / "data"
        self.memory: list[dict[str, Any]] = []
        self.loadgen = LoadGenerator(self.logs)
        stack.callback(self.loadgen.stop)
        self.echo = EchoServer(self.logs)
        self.intercepted_echo = EchoServer(self.logs, interceptors=True)
        self.rest_echo = RestEcho(self.logs)
        self.fabric = self._pyat("pyat-up", ["up"])
        servers: list[Process] = [self.echo, self.intercepted_echo, self.rest_echo, self.fabric]
        stack.callback(stop_all, servers)
        for server in servers:
            server.wait_ready()
        self.fabric_label = f"pyat up ({', '.join(SERVICES)})"
        self._note_memory(self.fabric_label, self.fabric, IDLE)
        self.users = register_users(self.fabric.grpc_address, plan.users)
        self._note_memory(self.fabric_label, self.fabric, f"after registering {plan.users} users")
        self.scenario_env = Env(
            users=self.users,
            grpc_address=self.fabric.grpc_address,
            table_records=plan.table_records,
        )
        self.calls: dict[str, list[dict[str, Any]]] = {}  # encoded for the generator
        self.next_call: dict[str, int] = {}  # where each scenario's next run starts
        self.reply_bytes: dict[str, int] = {}
        # Scenarios that broke: an error, or a run in which no call succeeded. Any fails the
        # run, quick or full; a slow figure never does in quick mode.
        self.failures: list[dict[str, str]] = []

    def failed(self, scenario: str, error: str) -> None:
        self.failures.append({"scenario": scenario, "error": error})
        print(f"  FAILED {scenario}: {error}")

    def attempt(self, scenario: str, step: str, run: Callable[[], T]) -> T | None:
        """`run()`, or None after noting the scenario as failed: one broken scenario must not
        hide how the others did, nor pass unnoticed."""
        try:
            return run()
        except Exception as exc:
            self.failed(scenario, f"{step}: {describe_error(exc)}")
            return None

    def check_succeeded(self, scenario: str, step: str, result: dict[str, Any]) -> None:
        """A run without one successful call is a broken scenario, not a slow one."""
        if result["ok"] == 0:
            errors = ", ".join(f"{n} {name}" for name, n in result["errors"].items()) or "none"
            self.failed(scenario, f"{step}: no call succeeded (errors: {errors})")

    def _pyat(self, name: str, command: list[str], **env: str) -> PyatServer:
        return PyatServer(name, command, {**self.env, **env}, self.data_dir, self.logs)

    def _note_memory(self, process: str, server: Watched, when: str) -> None:
        memory = server.memory()
        row = {"process": process, "when": when, "rss_mb": memory.rss_mb, "peak_mb": memory.peak_mb}
        self.memory.append(row)
        print(f"  memory {process}, {when}: RSS {memory.rss_mb} MB, peak {memory.peak_mb} MB")

    def job(self, scenario: Scenario, **changes: Any) -> Job:
        """A job that runs `scenario` against the fabric at its stated load."""
        rest = scenario.transport == "rest"
        address = self.fabric.edge_address if rest else self.fabric.grpc_address
        assert address is not None
        base = Job(
            target=address,
            transport="http" if rest else "grpc",
            path=scenario.path,
            calls=self.calls[scenario.name],
            mode="open",
            warmup_s=self.plan.warmup_s,
            duration_s=self.plan.measure_s,
            rate=scenario.rate,
            http_method=scenario.http_method,
        )
        return replace(base, **changes)

    def echo_job(self, scenario: Scenario, job: Job, echo: EchoServer) -> Job:
        """`job` sent to an echo: the same requests, headers included, the same reply size."""
        path = method_for(self.reply_bytes[scenario.name])
        return replace(job, target=echo.address, transport="grpc", path=path)

    def rest_echo_job(self, scenario: Scenario, job: Job) -> Job:
        """`job` sent through an Envoy of its own to a bare HTTP echo: the same requests
        (headers included), the same reply size."""
        path = f"/reply/{self.reply_bytes[scenario.name]}"
        calls = [{**call, "path": ""} for call in job.calls]
        return replace(job, target=self.rest_echo.address, path=path, calls=calls)

    def run(self, scenario: Scenario, job: Job) -> dict[str, Any]:
        """Run one of the scenario's jobs, starting at the call after the last one it sent, so
        that a scenario whose calls all differ (a cold cache) repeats none until they wrap."""
        result = self.loadgen.run(replace(job, first=self.next_call[scenario.name]))
        # Open loop sends calls 0 to sent - 1, closed loop 1 to sent.
        self.next_call[scenario.name] += result["sent"] + 1
        return result

    def measure(self, scenario: Scenario, job: Job, servers: list[Watched]) -> dict[str, Any]:
        """Run the job; add each server's CPU time per call (µs) to the result."""
        before = {server.name: server.cpu_seconds() for server in servers}
        result = self.run(scenario, job)
        result["cpu_us_per_call"] = {
            name: round((server.cpu_seconds() - before[name]) / max(result["sent"], 1) * 1e6, 1)
            for name, server in zip(before, servers, strict=True)
        }
        return result

    def servers_for(self, scenario: Scenario) -> list[Watched]:
        envoy = self.fabric.envoy() if scenario.transport == "rest" else None
        return [self.fabric] if envoy is None else [self.fabric, envoy]

    def stated_load(self, scenario: Scenario) -> dict[str, Any]:
        """The scenario at its stated load, right after its echo baseline at the same load."""
        calls = scenario.calls(self.scenario_env)
        self.calls[scenario.name] = encode_calls(calls)
        self.reply_bytes[scenario.name] = probe(scenario, calls[0], self.fabric)
        self.next_call[scenario.name] = 1
        echo_job = self.echo_job(scenario, self.job(scenario), self.echo)
        baseline = self.measure(scenario, echo_job, [self.echo])
        rest_baseline = None
        if scenario.transport == "rest":
            rest_job = self.rest_echo_job(scenario, self.job(scenario))
            rest_baseline = self.measure(scenario, rest_job, [self.rest_echo, self.rest_echo.echo])
            print(f"  REST echo for {scenario.name}: {_line(rest_baseline)}")
        result = self.measure(scenario, self.job(scenario), self.servers_for(scenario))
        self.check_succeeded(scenario.name, "echo baseline", baseline)
        self.check_succeeded(scenario.name, "stated load", result)
        reasons = misses(result, scenario.tier, scenario.rate)
        line = _line(result)
        print(f"  {scenario.name} at {scenario.rate:g}/s: {line}  (echo: {_line(baseline)})")
        if reasons:
            print(f"    misses the {scenario.tier.name} target: {'; '.join(reasons)}")
        return {
            "name": scenario.name,
            "service": scenario.service,
            "transport": scenario.transport,
            "path": scenario.path,
            "tier": scenario.tier.name,
            "target_ms": {
                "p50": scenario.tier.p50_ms,
                "p95": scenario.tier.p95_ms,
                "p99": scenario.tier.p99_ms,
            },
            "offered_rate": scenario.rate,
            "reply_bytes": self.reply_bytes[scenario.name],
            "result": result,
            "baseline": baseline,
            "ratio_to_echo": ratios(result, baseline),
            # REST → Envoy → bare HTTP echo, measured just before (REST scenarios only).
            "rest_baseline": rest_baseline,
            "ratio_to_rest_echo": ratios(result, rest_baseline) if rest_baseline else None,
            "misses": reasons,
            "meets_target": not reasons,
        }

    def saturation(self, scenario: Scenario, echo: EchoServer | None = None) -> dict[str, Any]:
        """Closed loop: throughput with `concurrency` callers back to back, against the scenario
        or else against an echo given the scenario's requests and reply size."""
        job = self.job(
            scenario,
            mode="closed",
            rate=0.0,
            concurrency=self.plan.concurrency,
            warmup_s=self.plan.closed_warmup_s,
            duration_s=self.plan.closed_measure_s,
        )
        servers = self.servers_for(scenario)
        name = scenario.name
        if echo is not None:
            job = self.echo_job(scenario, job, echo)
            servers, name = [echo], echo.name
        result = self.measure(scenario, job, servers)
        print(f"  saturation {name}: {result['achieved_rate']:.0f}/s, {_line(result)}")
        self.check_succeeded(name, "saturation", result)
        return {
            "name": name,
            "requests_of": scenario.name,
            "concurrency": self.plan.concurrency,
            "result": result,
        }

    def capacity(self, scenario: Scenario) -> dict[str, Any]:
        """The highest offered load, among plan.capacity_factors times the stated load, at
        which the target holds."""
        steps = []
        best = 0.0
        for rate in (scenario.rate * factor for factor in self.plan.capacity_factors):
            job = self.job(
                scenario,
                rate=rate,
                warmup_s=self.plan.capacity_warmup_s,
                duration_s=self.plan.capacity_measure_s,
            )
            result = self.run(scenario, job)
            reasons = misses(result, scenario.tier, rate)
            steps.append(
                {
                    "rate": rate,
                    "latency_ms": result["latency_ms"],
                    "achieved_rate": result["achieved_rate"],
                    "misses": reasons,
                }
            )
            print(
                f"  capacity {scenario.name} at {rate:g}/s: {_line(result)}"
                + (f"  MISS: {'; '.join(reasons)}" if reasons else "")
            )
            if reasons:
                break
            best = rate
        return {"name": scenario.name, "capacity_rate": best, "steps": steps}

    def solo_memory(self, scenarios: list[Scenario]) -> None:
        """Each service alone (`pyat serve <name>`), at idle and then under its gRPC scenarios.
        The services it calls are reached in the fabric."""
        solos = {}
        for name in sorted({s.service for s in scenarios}):
            others = {
                f"PYAT_{other.replace('-', '_').upper()}_ADDR": self.fabric.grpc_address
                for other in SERVICES
                if other != name
            }
            solos[name] = self._pyat(f"pyat-serve-{name}", ["serve", name], **others)
        try:
            for server in solos.values():
                server.wait_ready()
            for name, server in solos.items():
                label = f"pyat serve {name}"
                self._note_memory(label, server, IDLE)
                mine = [s for s in scenarios if s.service == name and s.transport == "grpc"]
                for scenario in mine:
                    job = self.job(
                        scenario,
                        target=server.grpc_address,
                        warmup_s=0.0,
                        duration_s=self.plan.solo_load_s,
                    )
                    result = self.run(scenario, job)
                    print(f"  {label}: {scenario.name} at {scenario.rate:g}/s: {_line(result)}")
                    self.check_succeeded(scenario.name, label, result)
                if mine:
                    names = ", ".join(s.name for s in mine)
                    self._note_memory(label, server, f"after {names} at the stated load")
        finally:
            stop_all(list(solos.values()))

    def note_fabric_memory(self, when: str) -> None:
        self._note_memory(self.fabric_label, self.fabric, when)
        envoy = self.fabric.envoy()
        if envoy is not None:
            self._note_memory("Envoy (of pyat up)", envoy, when)


def _line(result: dict[str, Any]) -> str:
    latency = result["latency_ms"]
    if latency is None:
        return f"no call measured; errors {result['errors']}"
    text = " ".join(f"{name} {latency[name]:.2f}" for name in ("p50", "p95", "p99", "max"))
    errors = f", errors {result['errors']}" if result["errors"] else ""
    return f"{text} ms, {result['achieved_rate']:.0f}/s{errors}"


@dataclass
class Workdir:
    path: Path
    keep: bool  # set when a scenario failed: the servers' logs are what tells why


@contextmanager
def workspace(keep: bool) -> Iterator[Workdir]:
    """A folder for the run's logs and data: removed afterwards, unless asked to keep it or
    the run failed (the servers' logs are what tells why)."""
    workdir = Workdir(Path(tempfile.mkdtemp(prefix="pyat-bench-")), keep)
    try:
        yield workdir
    except BaseException:
        print(f"the run failed: logs and data kept in {workdir.path}", file=sys.stderr)
        raise
    if workdir.keep:
        print(f"logs and data kept in {workdir.path}")
    else:
        shutil.rmtree(workdir.path, ignore_errors=True)


def describe_error(exc: Exception) -> str:
    """An error in a line: a gRPC status by its code and details, anything else by its type."""
    if isinstance(exc, grpc.RpcError) and isinstance(exc, grpc.Call):
        return f"gRPC {exc.code().name}: {exc.details()}"
    first_line = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
    return f"{type(exc).__name__}: {first_line}" if first_line else type(exc).__name__


def profile(suite: Suite, scenario: Scenario, out: Path) -> Path:
    """A py-spy flame graph of `pyat up` while it serves the scenario at its stated load."""
    svg = out / f"profile-{report.slug(scenario.name)}.svg"
    seconds = suite.plan.warmup_s + suite.plan.measure_s
    spy = subprocess.Popen(
        [
            str(Path(sys.executable).parent / "py-spy"),
            "record",
            "--pid",
            str(suite.fabric.pid),
            "--duration",
            str(int(seconds)),
            "--rate",
            "250",
            "--output",
            str(svg),
            "--nonblocking",
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    suite.run(scenario, suite.job(scenario))
    spy.wait(60)
    return svg


def in_browser(suite: Suite) -> dict[str, Any]:
    """The web app's grid of the data plane's table in Chromium, as the table's owner."""
    env = suite.scenario_env
    assert suite.fabric.edge_address is not None
    table = data_table(env)
    return browser.run(suite.fabric.edge_address, table, env.users[0], PASSWORD, env.table_records)


def on_external_storage(
    plan: Plan, embedded_env: dict[str, str], scenarios: list[Scenario], keep: bool
) -> dict[str, Any]:
    """`scenarios` again, on PostgreSQL, Redis and NATS: a fabric of their own with its stated
    load (beside its echo baselines), saturation and capacity."""
    secret = {k: embedded_env[k] for k in ("PYAT_JWT_SECRET", "PYAT_ACCESS_TOKEN_TTL_S")}
    try:
        with external_storage() as env, workspace(keep) as workdir, ExitStack() as stack:
            env.update(secret)
            label = storage_label(env)
            print(f"  again on {label}: {', '.join(s.name for s in scenarios)}")
            suite = Suite(plan, env, workdir.path, stack)
            results = []
            for s in scenarios:
                stated = suite.attempt(s.name, "stated load", partial(suite.stated_load, s))
                results += [stated] if stated is not None else []
            ran = [s for s in scenarios if s.name not in {f["scenario"] for f in suite.failures}]
            saturation = [suite.saturation(s) for s in ran]
            capacity = [suite.capacity(s) for s in ran] if plan.capacity_factors else []
            workdir.keep = workdir.keep or bool(suite.failures)
            failures = [{**f, "scenario": f"{f['scenario']} ({label})"} for f in suite.failures]
    except Exception as exc:  # the servers are not there: say so, and fail the run
        label = "PostgreSQL, Redis cache, NATS bus"
        failures = [{"scenario": f"the pass on {label}", "error": describe_error(exc)}]
        results, saturation, capacity = [], [], []
    return {
        "storage": label,
        "scenarios": results,
        "saturation": saturation,
        "capacity": capacity,
        "failures": failures,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.run", description=__doc__)
    parser.add_argument(
        "--quick",
        action="store_true",
        help="a few seconds per scenario; never fails on a missed target",
    )
    parser.add_argument(
        "--external",
        action="store_true",
        help="use DATABASE_URL, REDIS_URL and NATS_URL from the environment "
        "(otherwise they are unset: SQLite, in-process cache and bus)",
    )
    parser.add_argument(
        "--only", metavar="TEXT", help="run only the scenarios whose name contains TEXT"
    )
    parser.add_argument(
        "--profile",
        metavar="SCENARIO",
        help="also record a py-spy flame graph of pyat up under this scenario",
    )
    parser.add_argument("--out", type=Path, default=RESULTS, help=f"default: {RESULTS}")
    parser.add_argument("--keep", action="store_true", help="keep the logs and the data")
    args = parser.parse_args(argv)

    plan = QUICK if args.quick else FULL
    scenarios = [s for s in SCENARIOS if args.only is None or args.only in s.name]
    with_feed = args.only is None or args.only in feed.NAME
    with_browser = args.only is None or args.only in browser.NAME
    with_ai = args.only is None or args.only in ai.NAME
    with_embedding = args.only is None or args.only in embedding.NAME
    if not (scenarios or with_feed or with_browser or with_ai or with_embedding):
        raise SystemExit(f"no scenario matches {args.only!r}")
    profiled = [s for s in scenarios if args.profile is not None and args.profile in s.name][:1]
    if args.profile is not None and not profiled:
        raise SystemExit(f"no scenario to profile matches {args.profile!r}")
    env = storage_env(args.external)
    env["PYAT_JWT_SECRET"] = secrets.token_urlsafe(48)  # shared, so solo services accept tokens
    os.environ["PYAT_JWT_SECRET"] = env["PYAT_JWT_SECRET"]  # and the callers the load signs
    env["PYAT_ACCESS_TOKEN_TTL_S"] = "86400"  # tokens must outlive the longest run
    # The data plane's 100,000 records must not be embedded behind every scenario's back: the
    # AI part indexes in a fabric of its own (ai.py).
    env["PYAT_SEARCH_INDEXING"] = "off"
    started = dt.datetime.now(dt.UTC)
    clock = time.monotonic()
    machine = report.describe_machine(storage_label(env))
    print(f"{plan.mode} benchmark run: {report.machine_line(machine)}")
    args.out.mkdir(parents=True, exist_ok=True)

    with workspace(args.keep) as workdir, ExitStack() as stack:
        suite = Suite(plan, env, workdir.path, stack)
        results = []
        for s in scenarios:
            stated = suite.attempt(s.name, "stated load", partial(suite.stated_load, s))
            if stated is not None:
                results.append(stated)
        # What follows needs each scenario's calls, so only those that ran go on.
        broken = {f["scenario"] for f in suite.failures}
        ran = [s for s in scenarios if s.name not in broken]
        suite.note_fabric_memory("after every scenario at its stated load")
        saturation = []
        if ran:
            # The bare echo is the ceiling; the echo with interceptors shows what they cost.
            for echo in (suite.echo, suite.intercepted_echo):
                found = suite.attempt(
                    echo.name, "saturation", partial(suite.saturation, ran[0], echo)
                )
                saturation += [found] if found is not None else []
        for s in ran:
            found = suite.attempt(s.name, "saturation", partial(suite.saturation, s))
            saturation += [found] if found is not None else []
        capacity = []
        for s in ran if plan.capacity_factors else []:
            searched = suite.attempt(s.name, "capacity", partial(suite.capacity, s))
            capacity += [searched] if searched is not None else []
        suite.note_fabric_memory("after saturation and the capacity search")
        change_feed = None
        if with_feed:
            print(f"  {feed.NAME}: {feed.SUBSCRIBERS} subscribers of one table")
            change_feed = suite.attempt(
                feed.NAME,
                "change feed",
                partial(feed.run, suite.fabric.grpc_address, suite.users, args.quick),
            )
            if change_feed is not None:
                print(f"  {feed.NAME}: {feed.line(change_feed)}")
                # Errors or missing deliveries break the run, like a broken scenario.
                if change_feed["errors"]:
                    suite.failed(feed.NAME, "; ".join(change_feed["errors"]))
        grid_in_browser = None
        if with_browser:
            print(f"  {browser.NAME}: first rows and jumps in Chromium")
            grid_in_browser = suite.attempt(browser.NAME, "browser", partial(in_browser, suite))
            if grid_in_browser is not None:
                print(f"  {browser.NAME}: {browser.line(grid_in_browser)}")
                if grid_in_browser["errors"]:
                    suite.failed(browser.NAME, "; ".join(grid_in_browser["errors"]))
        profiles = [str(profile(suite, s, args.out)) for s in profiled if s in ran]
        suite.solo_memory(ran)
        memory = suite.memory
        failures = suite.failures
        workdir.keep = workdir.keep or bool(failures)

    both = [s for s in scenarios if s.name in BOTH_STORAGES]
    external_pass = None
    if both and not args.external and (not args.quick or os.environ.get("DATABASE_URL")):
        external_pass = on_external_storage(plan, env, both, args.keep)
        failures += external_pass["failures"]

    ai_part = None
    if with_ai:
        print(f"  {ai.NAME}: a fabric of its own, with record indexing on")
        try:
            with workspace(args.keep) as workdir:
                ai_part = ai.run(Suite, plan, env, workdir.path, args.quick)
                workdir.keep = workdir.keep or bool(ai_part["failures"])
            print(f"  {ai.NAME}: {ai.line(ai_part)}")
            failures += ai_part["failures"]
        except Exception as exc:  # a broken part fails the run, after the others were measured
            failures.append({"scenario": ai.NAME, "error": describe_error(exc)})
            print(f"  FAILED {ai.NAME}: {describe_error(exc)}")

    machine["load_average_end"] = report.load_average()
    print("  identity: timing assertion and access token checks")
    identity = identity_costs.run(args.quick)
    print("  codec: timing serialize and parse")
    codecs = codec.run(args.quick)
    embedding_throughput = None
    if with_embedding:
        print(f"  {embedding.NAME}: pyat serve embedding against sentence-transformers")
        try:
            embedding_throughput = embedding.run(args.quick)
            print(f"  {embedding.NAME}: {embedding.line(embedding_throughput)}")
        except Exception as exc:  # a broken part fails the run, after the others were measured
            failures.append({"scenario": embedding.NAME, "error": describe_error(exc)})
            print(f"  FAILED {embedding.NAME}: {describe_error(exc)}")
    data = {
        "mode": plan.mode,
        "started": started.isoformat(timespec="seconds"),
        "machine": machine,
        "plan": asdict(plan),
        "scenarios": results,
        "saturation": saturation,
        "capacity": capacity,
        "memory": memory,
        "fabric_services": list(SERVICES),
        "roadmap_memory_mb": report.ROADMAP_MEMORY_MB,
        "codec": codecs,
        "embedding": embedding_throughput,
        "identity_costs": identity,
        "change_feed": change_feed,
        "browser": grid_in_browser,
        "ai": ai_part,
        "external_pass": external_pass,
        "profiles": profiles,
        "failures": failures,
    }
    paths = report.write(data, args.out)
    print()
    print(paths["md"].read_text())
    print("wrote " + ", ".join(str(p) for p in paths.values()))
    print(f"took {time.monotonic() - clock:.0f} s")

    if failures:
        for failure in failures:
            print(f"FAILED: scenario {failure['scenario']}: {failure['error']}", file=sys.stderr)
        print(
            f"FAILED: {len(failures)} scenario failure(s); the servers' logs are kept (above)",
            file=sys.stderr,
        )
        return 1
    missed = [r["name"] for r in results if not r["meets_target"]]
    if external_pass is not None:
        missed += [
            f"{r['name']} ({external_pass['storage']})"
            for r in external_pass["scenarios"]
            if not r["meets_target"]
        ]
    if change_feed is not None and change_feed["misses"]:
        missed.append(feed.NAME)
    if grid_in_browser is not None and grid_in_browser["misses"]:
        missed.append(browser.NAME)
    if ai_part is not None:
        missed += [f"{ai.NAME}: {miss}" for miss in ai_part["misses"]]
    if missed and not args.quick:
        print(f"FAILED: target missed at the stated load by {', '.join(missed)}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
