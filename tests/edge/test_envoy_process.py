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
from pyat.auth.v1 import auth_pb2
from pyat.user.v1 import user_pb2

from services.edge.config import STRIPPED_HEADERS, envoy_config
from services.edge.process import EnvoyProcess
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
            assert unknown.json() == {"code": 404, "message": "Not Found"}
            # JSON to a gRPC path is not gRPC: it reaches no service.
            not_grpc = await http.post("/pyat.auth.v1.AuthService/Login", json={})
            assert not_grpc.status_code == 404
            # Under /v0 the gateway is asked first, and here there is none: fail closed.
            airtable = await http.get("/v0/appAAAAAAAAAAAAAA/Table")
            assert airtable.status_code == 503
            assert airtable.json()["error"]["type"] == "SERVICE_UNAVAILABLE"

            # A guarded method, and no api-gateway to ask: ext_authz fails closed.
            guarded = await http.get("/v1/users/me", headers={"Authorization": "Bearer x"})
            assert guarded.status_code == 503
            assert guarded.headers["content-type"] == "application/json"
            assert guarded.json()["error"]["type"] == "SERVICE_UNAVAILABLE"
            async with grpc.aio.insecure_channel(f"127.0.0.1:{edge_port}") as channel:
                get_me: grpc.aio.UnaryUnaryMultiCallable[bytes, bytes] = channel.unary_unary(
                    "/pyat.user.v1.UserService/GetMe"
                )
                with pytest.raises(grpc.aio.AioRpcError) as refused:
                    await get_me(b"", timeout=5)
                assert refused.value.code() == grpc.StatusCode.UNAVAILABLE

            # An open method reaches the server, which lacks it: the converted gRPC status
            # (google.rpc.Status as JSON) comes through as is, not as a local reply.
            unimplemented = await http.post("/v1/auth/login", json={})
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


def _login(request: bytes, context: grpc.aio.ServicerContext[bytes, bytes]) -> bytes:
    # Echo the metadata the edge let through in the user's name.
    seen = sorted(f"{key}={value}" for key, value in context.invocation_metadata() or ())
    return auth_pb2.LoginResponse(user=user_pb2.User(name="|".join(seen))).SerializeToString()


async def _refresh(request: bytes, context: grpc.aio.ServicerContext[bytes, bytes]) -> bytes:
    detail = any_pb2.Any()
    detail.Pack(error_details_pb2.ErrorInfo(reason="BAD_CREDENTIALS", domain="pyat"))
    status = status_pb2.Status(code=16, message="wrong email or password", details=[detail])
    await context.abort_with_status(rpc_status.to_status(status))
    raise AssertionError("abort_with_status returned")


async def test_identity_headers_are_dropped_and_error_details_pass(tmp_path: Path) -> None:
    handlers = (
        grpc.method_handlers_generic_handler(
            "pyat.auth.v1.AuthService",
            {
                "Login": grpc.unary_unary_rpc_method_handler(_login),
                "Refresh": grpc.unary_unary_rpc_method_handler(_refresh),
            },
        ),
    )
    async with upstream(*handlers) as (_, port), edge(port, tmp_path) as (_, edge_port):
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{edge_port}") as http:
            # Login is open, so nothing but the first filter stands between client and server.
            forged = {header: "/forged" for header in STRIPPED_HEADERS}
            login = await http.post("/v1/auth/login", json={}, headers=forged)
            assert login.status_code == 200
            seen = dict(item.split("=", 1) for item in login.json()["user"]["name"].split("|"))
            assert "user-agent" in seen
            assert not {"x-pyat-tenant-id", "x-pyat-user-id", "x-pyat-scopes"} & set(seen)
            assert "x-pyat-base-id" not in seen
            # Only the transcoder's own record of the request is left.
            assert seen["x-envoy-original-path"] == "/v1/auth/login"
            assert seen["x-envoy-original-method"] == "POST"

            # An upstream's 401 is its own answer, not rewritten like the gateway's refusals.
            refresh = await http.post("/v1/auth/refresh", json={"refresh_token": "x"})
            assert refresh.status_code == 401
            assert refresh.headers["content-type"] == "application/json"
            assert refresh.json() == {
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
