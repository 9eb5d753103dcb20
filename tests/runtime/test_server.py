"""The server runtime: error mapping, metrics, logs, tracing, deadlines, health, reflection
and graceful shutdown, on real grpc.aio servers with a small probe service."""

from __future__ import annotations

import asyncio
import json
import logging
import os
import signal
import sqlite3
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import grpc
import httpx
import pytest
from google.rpc import error_details_pb2
from grpc_health.v1 import health_pb2, health_pb2_grpc
from grpc_reflection.v1alpha import reflection_pb2, reflection_pb2_grpc
from grpc_status import rpc_status
from opentelemetry import trace
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from prometheus_client import REGISTRY
from pyat.auth.v1 import auth_pb2, auth_pb2_grpc
from sqlalchemy.exc import OperationalError

from services.registry import SERVICES
from services.shared import access
from services.shared.errors import InvalidArgument
from services.shared.runtime import Runtime, ServiceSpec
from services.shared.telemetry import JsonFormatter
from tests.fixtures.fabric import StartHost, free_port

PROBE = "pyat.test.Probe"


def _probe_spec() -> ServiceSpec:
    """A tiny service that exercises the runtime: it fails on request and reports deadlines."""

    def add(server: grpc.aio.Server, runtime: Runtime) -> None:
        async def fail(request: bytes, context: Any) -> bytes:
            if request == b"domain":
                raise InvalidArgument("bad thing", fields={"thing": "is bad"}, reason="BAD_THING")
            if request == b"busy":
                raise OperationalError(
                    "INSERT ...", {}, sqlite3.OperationalError("database is locked")
                )
            raise RuntimeError("secret internals")

        async def remaining(request: bytes, context: Any) -> bytes:
            return str(context.time_remaining()).encode()

        async def relay(request: bytes, context: Any) -> bytes:
            call = runtime.clients.channel("probe").unary_unary(f"/{PROBE}/Remaining")
            answer: bytes = await call(b"")
            return answer

        async def sleep(request: bytes, context: Any) -> bytes:
            await asyncio.sleep(float(request.decode()))
            return b"slept"

        handlers = {
            name: grpc.unary_unary_rpc_method_handler(fn)
            for name, fn in {
                "Fail": fail,
                "Remaining": remaining,
                "Relay": relay,
                "Sleep": sleep,
            }.items()
        }
        server.add_generic_rpc_handlers([grpc.method_handlers_generic_handler(PROBE, handlers)])

    return ServiceSpec(
        name="probe",
        grpc_services=(PROBE,),
        add_to_server=add,
        foreign_access=access.Rule(access.PUBLIC),
    )


@pytest.fixture(scope="module")
def spans() -> Iterator[InMemorySpanExporter]:
    exporter = InMemorySpanExporter()
    provider = trace.get_tracer_provider()
    if not isinstance(provider, TracerProvider):
        provider = TracerProvider()
        trace.set_tracer_provider(provider)
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    yield exporter


async def _probe(
    host_address: str, method: str, body: bytes, timeout: float | None = None
) -> bytes:
    async with grpc.aio.insecure_channel(host_address) as channel:
        answer: bytes = await channel.unary_unary(f"/{PROBE}/{method}")(body, timeout=timeout)
        return answer


async def test_domain_errors_become_status_codes_with_details(start_host: StartHost) -> None:
    host = await start_host([_probe_spec()])
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await _probe(host.address, "Fail", b"domain")
    assert caught.value.code() is grpc.StatusCode.INVALID_ARGUMENT
    assert caught.value.details() == "bad thing"
    status = rpc_status.from_call(caught.value)
    assert status is not None
    kinds = {detail.type_url.rsplit("/", 1)[-1] for detail in status.details}
    assert kinds == {"google.rpc.ErrorInfo", "google.rpc.BadRequest"}
    bad = error_details_pb2.BadRequest()
    next(d for d in status.details if d.Is(bad.DESCRIPTOR)).Unpack(bad)
    assert [(v.field, v.description) for v in bad.field_violations] == [("thing", "is bad")]


async def test_unexpected_errors_are_internal_and_leak_nothing(start_host: StartHost) -> None:
    host = await start_host([_probe_spec()])
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await _probe(host.address, "Fail", b"crash")
    assert caught.value.code() is grpc.StatusCode.INTERNAL
    assert "secret" not in (caught.value.details() or "")


async def test_a_busy_sqlite_database_is_unavailable_not_internal(start_host: StartHost) -> None:
    host = await start_host([_probe_spec()])
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await _probe(host.address, "Fail", b"busy")
    assert caught.value.code() is grpc.StatusCode.UNAVAILABLE
    assert caught.value.details() == "the database is busy; try again"


def _metric(name: str, **labels: str) -> float:
    return REGISTRY.get_sample_value(name, labels) or 0.0


async def test_metrics_count_calls_errors_and_latency(start_host: StartHost) -> None:
    port = free_port()
    host = await start_host([_probe_spec()], metrics_port=port)
    labels = {"grpc_service": PROBE, "grpc_method": "Fail", "grpc_code": "INVALID_ARGUMENT"}
    before = _metric("pyat_grpc_server_errors_total", **labels)
    latency_before = _metric(
        "pyat_grpc_server_handling_seconds_count", grpc_service=PROBE, grpc_method="Fail"
    )
    for _ in range(3):
        with pytest.raises(grpc.aio.AioRpcError):
            await _probe(host.address, "Fail", b"domain")
    assert _metric("pyat_grpc_server_errors_total", **labels) == before + 3
    assert (
        _metric("pyat_grpc_server_handling_seconds_count", grpc_service=PROBE, grpc_method="Fail")
        == latency_before + 3
    )
    async with httpx.AsyncClient() as http:
        scraped = (await http.get(f"http://127.0.0.1:{port}/metrics")).text
    assert 'pyat_grpc_server_errors_total{grpc_code="INVALID_ARGUMENT"' in scraped


async def test_deadline_propagates_to_calls_made_while_serving(start_host: StartHost) -> None:
    host = await start_host([_probe_spec()], default_call_timeout_s=30.0)
    inherited = float(await _probe(host.address, "Relay", b"", timeout=2.0))
    assert 0 < inherited <= 2.05
    # Without a deadline from the caller, a call between services still gets the default.
    defaulted = float(await _probe(host.address, "Relay", b""))
    assert 2.0 < defaulted <= 30.5  # gRPC rounds deadlines up slightly


async def test_one_trace_spans_a_call_across_services(
    start_host: StartHost, spans: InMemorySpanExporter
) -> None:
    host = await start_host()
    spans.clear()
    async with grpc.aio.insecure_channel(host.address) as channel:
        await auth_pb2_grpc.AuthServiceStub(channel).Register(
            auth_pb2.RegisterRequest(email=f"trace-{time.time_ns()}@example.com",
                                     password="correct-horse-9")
        )  # fmt: skip
    finished = spans.get_finished_spans()
    by_name = {(s.name, s.kind.name): s for s in finished}
    register = by_name[("/pyat.auth.v1.AuthService/Register", "SERVER")]
    create_server = by_name[("/pyat.user.v1.UserService/CreateUser", "SERVER")]
    create_client = by_name[("/pyat.user.v1.UserService/CreateUser", "CLIENT")]
    assert create_client.context.trace_id == register.context.trace_id
    assert create_server.context.trace_id == register.context.trace_id
    assert create_server.parent is not None
    assert create_server.parent.span_id == create_client.context.span_id


def test_json_logs_carry_the_trace_id(spans: InMemorySpanExporter) -> None:
    record = logging.LogRecord("pyat.test", logging.INFO, __file__, 1, "hello %s", ("world",), None)
    record.method = "/x/Y"
    with trace.get_tracer("test").start_as_current_span("op") as span:
        line = json.loads(JsonFormatter().format(record))
    assert line["msg"] == "hello world"
    assert line["level"] == "info"
    assert line["method"] == "/x/Y"
    assert line["trace_id"] == format(span.get_span_context().trace_id, "032x")


async def test_health_and_reflection_list_every_service(start_host: StartHost) -> None:
    host = await start_host()
    async with grpc.aio.insecure_channel(host.address) as channel:
        health = health_pb2_grpc.HealthStub(channel)
        for name in ["", "pyat.auth.v1.AuthService", "pyat.user.v1.UserService"]:
            answer = await health.Check(health_pb2.HealthCheckRequest(service=name))
            assert answer.status == health_pb2.HealthCheckResponse.SERVING
        reflection = reflection_pb2_grpc.ServerReflectionStub(channel)
        request = reflection_pb2.ServerReflectionRequest(list_services="")
        async for response in reflection.ServerReflectionInfo(iter([request])):
            listed = {s.name for s in response.list_services_response.service}
    assert {
        "pyat.auth.v1.AuthService",
        "pyat.user.v1.UserService",
        "grpc.health.v1.Health",
        "grpc.reflection.v1alpha.ServerReflection",
    } <= listed


async def test_shutdown_lets_calls_in_flight_finish(start_host: StartHost) -> None:
    host = await start_host([_probe_spec()])
    in_flight = asyncio.create_task(_probe(host.address, "Sleep", b"0.5"))
    await asyncio.sleep(0.1)
    started = time.monotonic()
    await host.stop(grace_s=5)
    assert await in_flight == b"slept"
    assert time.monotonic() - started < 5
    with pytest.raises(grpc.aio.AioRpcError):
        await _probe(host.address, "Sleep", b"0", timeout=1)


def test_sigterm_stops_a_served_process_within_10_seconds(tmp_path: Path) -> None:
    port = free_port()
    env = {
        **os.environ,
        "PYAT_GRPC_PORT": str(port),
        "PYAT_METRICS_PORT": "0",
        # airtable-gateway's /v0 front, web-bff's and mcp-server's HTTP sides too: no test
        # takes a fixed port.
        "PYAT_AIRTABLE_HTTP_PORT": "0",
        "PYAT_WEB_HTTP_PORT": "0",
        "PYAT_MCP_HTTP_PORT": "0",
        "PYAT_DATA_DIR": str(tmp_path),
    }
    env.pop("DATABASE_URL", None)
    process = subprocess.Popen(
        [sys.executable, "-m", "services.cli", "serve", *SERVICES],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    try:
        channel = grpc.insecure_channel(f"127.0.0.1:{port}")
        health = health_pb2_grpc.HealthStub(channel)
        deadline = time.monotonic() + 30
        while True:
            try:
                health.Check(health_pb2.HealthCheckRequest(), timeout=1)
                break
            except grpc.RpcError:
                assert time.monotonic() < deadline, "server did not come up"
                time.sleep(0.2)
        channel.close()
        started = time.monotonic()
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=10) == 0
        assert time.monotonic() - started < 10
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()


def test_nul_field_finds_nul_characters_at_any_depth() -> None:
    from google.protobuf import struct_pb2
    from pyat.user.v1 import user_pb2

    from services.shared.interceptors import nul_field

    clean = user_pb2.UpdateMeRequest(name="Ada")
    clean.preferences.update({"theme": "dark", "tags": ["a", "b"]})
    assert nul_field(clean) is None
    nested = user_pb2.UpdateMeRequest()
    nested.preferences.update({"tags": ["ok", "bad\x00"]})
    assert nul_field(nested) == "preferences.fields.list_value.values.string_value"
    assert nul_field(user_pb2.UpdateMeRequest(name="x\x00")) == "name"
    assert nul_field(struct_pb2.Struct()) is None
