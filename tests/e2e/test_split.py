"""Size 2: each service in its own process, finding the others through PYAT_<NAME>_ADDR, on
the machine's PostgreSQL, Redis and NATS."""

from __future__ import annotations

import asyncio
import os
import secrets
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import grpc
import pytest
from grpc_health.v1 import health_pb2, health_pb2_grpc
from pyat.auth.v1 import auth_pb2, auth_pb2_grpc
from pyat.user.v1 import user_pb2, user_pb2_grpc

from tests.fixtures.fabric import free_port
from tests.fixtures.infra import delete_stream


def _wait_serving(address: str, timeout_s: float = 30) -> None:
    with grpc.insecure_channel(address) as channel:
        health = health_pb2_grpc.HealthStub(channel)
        deadline = time.monotonic() + timeout_s
        while True:
            try:
                health.Check(health_pb2.HealthCheckRequest(), timeout=1)
                return
            except grpc.RpcError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.2)


@pytest.fixture
def split_services(
    tmp_path: Path, pg_url: str, redis_url: str, nats_url: str, unique_name: str
) -> Iterator[dict[str, str]]:
    # Register reaches tenant-service and user-service; GetMe reaches auth-service back.
    ports = {"auth": free_port(), "user": free_port(), "tenant": free_port()}
    env = {
        **os.environ,
        "DATABASE_URL": pg_url,
        "REDIS_URL": redis_url,
        "NATS_URL": nats_url,
        "PYAT_NATS_STREAM": unique_name.upper(),
        "PYAT_CACHE_PREFIX": f"{unique_name}:",
        "PYAT_METRICS_PORT": "0",
        "PYAT_JWT_SECRET": "split-test-signing-key-long-enough-0123456789",
        **{f"PYAT_{name.upper()}_ADDR": f"127.0.0.1:{port}" for name, port in ports.items()},
    }
    processes = [
        subprocess.Popen(
            [sys.executable, "-m", "services.cli", "serve", name],
            env={**env, "PYAT_GRPC_PORT": str(port), "PYAT_DATA_DIR": str(tmp_path / name)},
            stdout=subprocess.DEVNULL,
            stderr=(tmp_path / f"{name}.log").open("w"),
        )
        for name, port in ports.items()
    ]
    try:
        for port in ports.values():
            _wait_serving(f"127.0.0.1:{port}")
        yield {name: f"127.0.0.1:{port}" for name, port in ports.items()}
    finally:
        for process in processes:
            process.terminate()
        for process in processes:
            assert process.wait(timeout=10) == 0
        asyncio.run(delete_stream(nats_url, unique_name.upper()))


async def test_services_in_separate_processes_call_each_other(
    split_services: dict[str, str],
) -> None:
    email = f"split-{secrets.token_hex(5)}@example.com"
    async with (
        grpc.aio.insecure_channel(split_services["auth"]) as auth_channel,
        grpc.aio.insecure_channel(split_services["user"]) as user_channel,
    ):
        auth = auth_pb2_grpc.AuthServiceStub(auth_channel)
        users = user_pb2_grpc.UserServiceStub(user_channel)
        # auth-service creates the profile through user-service's own process...
        registered = await auth.Register(
            auth_pb2.RegisterRequest(email=email, password="correct-horse-9", name="Split")
        )
        # ...and user-service verifies the token through auth-service's.
        me = await users.GetMe(
            user_pb2.GetMeRequest(),
            metadata=(("authorization", f"Bearer {registered.access_token}"),),
        )
        assert me.user == registered.user
        login = await auth.Login(auth_pb2.LoginRequest(email=email, password="correct-horse-9"))
        assert login.user == registered.user
