"""A real Envoy in front of a real grpc.aio server: what REST and gRPC clients get back."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import grpc
import httpx
import pytest
from google.protobuf import any_pb2
from google.rpc import error_details_pb2, status_pb2
from grpc_health.v1 import health, health_pb2_grpc
from grpc_status import rpc_status
from pyat.user.v1 import user_pb2

from services.shared.edge import EnvoyProcess, envoy_config
from services.shared.identity import IDENTITY_HEADERS
from tests.fixtures.fabric import free_port

pytestmark = pytest.mark.envoy

REPO = Path(__file__).resolve().parents[2]
DESCRIPTOR_SET = REPO / "gen" / "pyat.binpb"


@asynccontextmanager
async def upstream(*handlers: grpc.GenericRpcHandler) -> AsyncIterator[tuple[grpc.aio.Server, int]]:
    """A grpc.aio server on a free port that serves grpc.health.v1 and `handlers`."""
    server = grpc.aio.server()
    health_pb2_grpc.add_HealthServicer_to_server(health.aio.HealthServicer(), server)
    server.add_generic_rpc_handlers(handlers)
    port = server.add_insecure_port("127.0.0.1:0")
    await server.start()
    try:
        yield server, port
    finally:
        await server.stop(None)


@asynccontextmanager
async def edge(upstream_port: int, workdir: Path) -> AsyncIterator[tuple[EnvoyProcess, int]]:
    edge_port = free_port()
    config = envoy_config(
        DESCRIPTOR_SET,
        edge_host="127.0.0.1",
        edge_port=edge_port,
        admin_port=free_port(),
        upstreams=("127.0.0.1", upstream_port),
    )
    envoy = EnvoyProcess()
    await envoy.start(config, workdir)
    try:
        yield envoy, edge_port
    finally:
        await envoy.stop()


async def refuses(port: int) -> bool:
    try:
        _, writer = await asyncio.open_connection("127.0.0.1", port)
    except OSError:
        return True
    writer.close()
    return False


async def test_local_replies_are_json_and_stop_is_prompt(tmp_path: Path) -> None:
    async with upstream() as (server, port), edge(port, tmp_path) as (envoy, edge_port):
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{edge_port}") as http:
            unknown = await http.get("/v1/no/such/thing")
            assert unknown.status_code == 404
            assert unknown.headers["content-type"] == "application/json"
            assert unknown.json() == {
                "code": 404,
                "message": "Could not resolve /v1/no/such/thing to a method.",
            }

            # A public method reaches the server, which lacks it: the converted gRPC status
            # (google.rpc.Status as JSON) comes through as is, not as a local reply.
            unimplemented = await http.get("/v1/users/me")
            assert unimplemented.status_code == 501
            assert unimplemented.json() == {
                "code": 12,
                "message": "Method not found!",
                "details": [],
            }

            # Internal methods are not routed, for REST and native gRPC clients alike.
            internal = await http.post("/pyat.user.v1.UserService/CreateUser", json={})
            assert internal.status_code == 404
            assert internal.json()["code"] == 404
            async with grpc.aio.insecure_channel(f"127.0.0.1:{edge_port}") as channel:
                create_user: grpc.aio.UnaryUnaryMultiCallable[bytes, bytes] = channel.unary_unary(
                    "/pyat.user.v1.UserService/CreateUser"
                )
                with pytest.raises(grpc.aio.AioRpcError) as raised:
                    await create_user(b"", timeout=5)
                # A gRPC client gets the local reply's text as is, not the JSON body.
                assert raised.value.code() == grpc.StatusCode.UNIMPLEMENTED
                assert raised.value.details() == "Not Found"

            await server.stop(None)
            down = await http.post("/v1/auth/login", json={"email": "a@b.c", "password": "x"})
            assert down.status_code == 503
            assert down.headers["content-type"] == "application/json"
            body = down.json()
            assert body["code"] == 503
            assert body["message"]

        started = time.monotonic()
        await envoy.stop()
        assert time.monotonic() - started < 5
        assert not envoy.running
        assert await refuses(edge_port)


def _get_me(request: bytes, context: grpc.aio.ServicerContext[bytes, bytes]) -> bytes:
    # Echo the metadata keys the edge let through in the user's name.
    keys = sorted(key for key, _ in context.invocation_metadata() or ())
    return user_pb2.GetMeResponse(user=user_pb2.User(name=",".join(keys))).SerializeToString()


async def _login(request: bytes, context: grpc.aio.ServicerContext[bytes, bytes]) -> bytes:
    detail = any_pb2.Any()
    detail.Pack(error_details_pb2.ErrorInfo(reason="BAD_CREDENTIALS", domain="pyat"))
    status = status_pb2.Status(code=16, message="wrong email or password", details=[detail])
    await context.abort_with_status(rpc_status.to_status(status))
    raise AssertionError("abort_with_status returned")


async def test_identity_headers_are_dropped_and_error_details_pass(tmp_path: Path) -> None:
    handlers = (
        grpc.method_handlers_generic_handler(
            "pyat.user.v1.UserService", {"GetMe": grpc.unary_unary_rpc_method_handler(_get_me)}
        ),
        grpc.method_handlers_generic_handler(
            "pyat.auth.v1.AuthService", {"Login": grpc.unary_unary_rpc_method_handler(_login)}
        ),
    )
    async with upstream(*handlers) as (_, port), edge(port, tmp_path) as (_, edge_port):
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{edge_port}") as http:
            forged = {header: "forged" for header in IDENTITY_HEADERS}
            me = await http.get("/v1/users/me", headers=forged)
            assert me.status_code == 200
            seen = me.json()["user"]["name"].split(",")
            assert "user-agent" in seen
            assert not set(IDENTITY_HEADERS) & set(seen)

            login = await http.post("/v1/auth/login", json={"email": "a@b.c", "password": "x"})
            assert login.status_code == 401
            assert login.headers["content-type"] == "application/json"
            assert login.json() == {
                "code": 16,
                "message": "wrong email or password",
                "details": [
                    {
                        "@type": "type.googleapis.com/google.rpc.ErrorInfo",
                        "reason": "BAD_CREDENTIALS",
                        "domain": "pyat",
                        "metadata": {},
                    }
                ],
            }
