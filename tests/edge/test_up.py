"""`pyat up` and `pyat serve` as processes: a taken port is one clear line, two `pyat up` run
side by side on moved ports, and the /v0 front runs as a process of its own."""

from __future__ import annotations

import asyncio
import secrets
import socket
import time
from pathlib import Path

import httpx
import pytest

from services.cli import descriptor_set_path
from services.edge.config import envoy_config
from services.edge.process import EnvoyProcess
from services.shared.server import Host
from tests.e2e.test_airtable_rest import call, create_base, sign_up
from tests.e2e.test_gateway import PASSWORD
from tests.edge.processes import UP_PORTS, Pyat, free_ports, moved_ports, pyat_env, run_pyat

pytestmark = pytest.mark.envoy


@pytest.mark.parametrize(
    ("setting", "name"),
    [
        ("PYAT_GRPC_PORT", "gRPC"),
        ("PYAT_EDGE_PORT", "edge"),
        ("PYAT_ENVOY_ADMIN_PORT", "Envoy admin"),
        ("PYAT_METRICS_PORT", "metrics"),
    ],
)
async def test_a_taken_port_stops_pyat_up_with_one_line(
    tmp_path: Path, setting: str, name: str
) -> None:
    with socket.create_server(("127.0.0.1", 0)) as taken:
        port = taken.getsockname()[1]
        env = pyat_env(tmp_path, **{**moved_ports(), setting: str(port)})
        code, out, err = await run_pyat(["up"], env)
    assert (code, out) == (1, "")
    # One line and nothing else: no traceback, no complaint from a half-closed event loop.
    assert err == f"pyat: port {port} is in use ({name}); set {setting} to another port\n"
    # It stopped before starting anything.
    assert not (tmp_path / "pyat.db").exists()


async def test_a_taken_port_stops_the_v0_front_with_one_line(tmp_path: Path) -> None:
    with socket.create_server(("127.0.0.1", 0)) as taken:
        port = taken.getsockname()[1]
        env = pyat_env(tmp_path, PYAT_AIRTABLE_HTTP_PORT=str(port))
        code, out, err = await run_pyat(["serve", "airtable-gateway-rest"], env)
    assert (code, out) == (1, "")
    setting = "PYAT_AIRTABLE_HTTP_PORT"
    assert err == f"pyat: port {port} is in use (the /v0 front); set {setting} to another port\n"


async def answers(edge: str, timeout_s: float = 60.0) -> dict[str, object]:
    """Registers someone through `edge`, retrying until Envoy and the services behind it
    answer (or the time is up): proof that the whole instance serves."""
    deadline = time.monotonic() + timeout_s
    async with httpx.AsyncClient(base_url=edge, timeout=10) as http:
        while True:
            email = f"side-{secrets.token_hex(5)}@example.com"
            try:
                response = await http.post(
                    "/v1/auth/register", json={"email": email, "password": PASSWORD, "name": "S"}
                )
                if response.status_code == 200:
                    body: dict[str, object] = response.json()
                    return body
                seen = f"{response.status_code} {response.text}"
            except httpx.TransportError as error:
                seen = repr(error)
            if time.monotonic() > deadline:
                raise AssertionError(f"{edge} does not answer: {seen}")
            await asyncio.sleep(0.5)


async def test_two_pyat_ups_run_side_by_side_on_moved_ports(tmp_path: Path) -> None:
    # Picked together, so the two instances share no port; and no default port either.
    ports = iter(free_ports(2 * len(UP_PORTS)))
    ups = []
    for name in ("first", "second"):
        env = pyat_env(tmp_path / name, **{setting: str(next(ports)) for setting in UP_PORTS})
        ups.append(Pyat(["up"], env, tmp_path / name))
    try:
        await asyncio.gather(*(up.start() for up in ups))
        await asyncio.gather(*(up.wait_for("PyAirtable is up.") for up in ups))
        edges = [f"http://127.0.0.1:{up.env['PYAT_EDGE_PORT']}" for up in ups]
        registered = await asyncio.gather(*(answers(edge) for edge in edges))
        # Two instances, two data dirs: two different platforms.
        assert registered[0]["user"] != registered[1]["user"]
    finally:
        codes = await asyncio.gather(*(up.stop() for up in ups))
    assert codes == [0, 0], [up.err_path.read_text()[-2000:] for up in ups]


async def test_the_v0_front_runs_as_a_process_of_its_own(fabric: Host, tmp_path: Path) -> None:
    front_port, edge_port, admin_port = free_ports(3)
    # It finds the services at their addresses, and verifies the caller assertions Envoy's
    # ext_authz signs with the deployment's key.
    addresses = {
        f"PYAT_{name}_ADDR": fabric.address for name in ("AIRTABLE_GATEWAY", "SCHEMA", "WORKSPACE")
    }
    assert fabric.settings.jwt_secret is not None
    env = pyat_env(
        tmp_path / "front",
        PYAT_AIRTABLE_HTTP_PORT=str(front_port),
        PYAT_JWT_SECRET=fabric.settings.jwt_secret,
        **addresses,
    )
    front = Pyat(["serve", "airtable-gateway-rest"], env, tmp_path / "front")
    envoy = EnvoyProcess()
    config = envoy_config(
        descriptor_set_path(),
        edge_host="127.0.0.1",
        edge_port=edge_port,
        admin_port=admin_port,
        upstreams=("127.0.0.1", fabric.port),
        airtable_rest=("127.0.0.1", front_port),
    )
    try:
        await front.start()
        out = await front.wait_for("serving airtable-gateway-rest")
        assert f"127.0.0.1:{front_port}" in out
        await envoy.start(config, tmp_path / "envoy")
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{edge_port}", timeout=10) as http:
            account = await sign_up(http)
            base = await create_base(http, account)
            path = f"/v0/{base['id']}/Tasks"
            await call(http, "POST", path, account.pat, json={"fields": {"Name": "Alone"}})
            listed = await call(http, "GET", path, account.pat)
            assert [r["fields"]["Name"] for r in listed["records"]] == ["Alone"]

            # /v0 was that process's doing: without it, Envoy has nowhere to send it.
            assert await front.stop() == 0
            gone = await http.get(path, headers={"Authorization": f"Bearer {account.pat}"})
            assert gone.status_code == 503
    finally:
        await envoy.stop()
        await front.stop()
