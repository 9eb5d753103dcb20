"""`pyat`: run the platform (`up`), some services or the /v0 front alone (`serve`), migrations
(`migrate`), write the edge config (`edge-config`), or serve MCP over stdio (`mcp`). Settings
come from the environment (see services/shared/config.py)."""

from __future__ import annotations

import argparse
import asyncio
import errno
import gc
import signal
import socket
import sys
from collections.abc import Coroutine, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from services.edge.config import (
    ADMIN_HOST,
    DESCRIPTOR_SET,
    ENVOY_CONFIG,
    K8S_ENVOY_CONFIG,
    envoy_config,
    write_edge_config,
)
from services.edge.process import EnvoyError, EnvoyProcess
from services.registry import SERVICES
from services.shared.config import Settings
from services.shared.db import Database, DatabaseNotReady, create_database_if_missing
from services.shared.http_listener import port_of
from services.shared.runtime import ServiceSpec
from services.shared.server import Host, migrate
from services.shared.telemetry import setup_logging, setup_tracing

# `pyat serve airtable-gateway-rest`: airtable-gateway's /v0 front as a process of its own.
REST_FRONT = "airtable-gateway-rest"


class StartError(Exception):
    """What kept `pyat` from starting, in words for the person who ran it."""


def descriptor_set_path() -> Path:
    """The descriptor set that `make gen` writes beside the generated code."""
    import pyat

    return Path(next(iter(pyat.__path__))).resolve().parent / "pyat.binpb"


@dataclass(frozen=True)
class Listener:
    """A port a command listens on, and the setting that moves it."""

    name: str  # what listens there, as the person running pyat knows it
    setting: str  # of the port
    host: str
    port: int
    host_setting: str | None = None


def listeners(command: str, settings: Settings, specs: Sequence[ServiceSpec]) -> list[Listener]:
    """The ports `command` will listen on. The /v0 front and web-bff's HTTP side are left out
    of `up`, which gives them any free port (only Envoy calls them, and Envoy is told where)."""
    if command == REST_FRONT:
        return [_front(settings)]
    grpc_host = settings.grpc_host
    found = [Listener("gRPC", "PYAT_GRPC_PORT", grpc_host, settings.grpc_port, "PYAT_GRPC_HOST")]
    if command == "up":
        found += [
            Listener(
                "edge", "PYAT_EDGE_PORT", settings.edge_host, settings.edge_port, "PYAT_EDGE_HOST"
            ),
            Listener("Envoy admin", "PYAT_ENVOY_ADMIN_PORT", ADMIN_HOST, settings.envoy_admin_port),
        ]
    else:
        if any(spec.name == "airtable-gateway" for spec in specs):
            found.append(_front(settings))
        if any(spec.name == "web-bff" for spec in specs):
            found.append(
                Listener(
                    "web-bff's HTTP side",
                    "PYAT_WEB_HTTP_PORT",
                    settings.web_http_host,
                    settings.web_http_port,
                    "PYAT_WEB_HTTP_HOST",
                )
            )
        if any(spec.name == "mcp" for spec in specs):
            found.append(
                Listener(
                    "mcp-server's HTTP side",
                    "PYAT_MCP_HTTP_PORT",
                    settings.mcp_http_host,
                    settings.mcp_http_port,
                    "PYAT_MCP_HTTP_HOST",
                )
            )
    if settings.metrics_port:
        # Served on the gRPC host.
        found.append(
            Listener(
                "metrics", "PYAT_METRICS_PORT", grpc_host, settings.metrics_port, "PYAT_GRPC_HOST"
            )
        )
    return found


def _front(settings: Settings) -> Listener:
    return Listener(
        "the /v0 front",
        "PYAT_AIRTABLE_HTTP_PORT",
        settings.airtable_http_host,
        settings.airtable_http_port,
        "PYAT_AIRTABLE_HTTP_HOST",
    )


def check_ports(wanted: Sequence[Listener]) -> None:
    """Raises StartError naming the setting to change when a port can't be listened on.

    Done before anything starts, so a taken port costs one line rather than a half-started
    process. The sockets are held until all are bound, so two settings on one port are caught
    too; port 0 (any free port) can't be taken.
    """
    held: list[socket.socket] = []
    try:
        for listener in wanted:
            if listener.port == 0:
                continue
            family = socket.AF_INET6 if ":" in listener.host else socket.AF_INET
            try:
                held.append(socket.create_server((listener.host, listener.port), family=family))
            except OSError as error:
                if error.errno == errno.EADDRINUSE:
                    raise StartError(
                        f"port {listener.port} is in use ({listener.name}); "
                        f"set {listener.setting} to another port"
                    ) from None
                settings = " and ".join(filter(None, (listener.host_setting, listener.setting)))
                raise StartError(
                    f"cannot listen on {listener.host}:{listener.port} ({listener.name}): "
                    f"{error.strerror or error}; check {settings}"
                ) from None
    finally:
        for sock in held:
            sock.close()


def _stop_signals() -> asyncio.Event:
    """Set by SIGINT or SIGTERM. Taken before anything starts: a process that answers health
    checks while still settling must stop cleanly on a signal, not die of it."""
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stop.set)
    return stop


async def _until_stopped(stop: asyncio.Event) -> None:
    await stop.wait()
    # A second Ctrl-C during shutdown should not print a traceback.
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.remove_signal_handler(signum)
        signal.signal(signum, signal.SIG_IGN)


def _banner(settings: Settings, host: Host) -> str:
    edge = f"http://{settings.edge_host}:{settings.edge_port}"
    storage = (
        "PostgreSQL" if settings.database_url else f"SQLite at {settings.db_url.split('///')[-1]}"
    )
    lines = [
        "",
        "PyAirtable is up.",
        f"  Web app:           {edge}/   point a browser here",
        f"  REST API (Envoy):  {edge}   point a client here (the API: {edge}/openapi.json)",
        f'  Airtable clients:  Api(personal_access_token, endpoint_url="{edge}")  (/v0/)',
        f"  MCP clients:       {edge}/mcp   with a personal access token; stdio: `pyat mcp`",
        f"  gRPC:              {host.address}   grpcurl -plaintext {host.address} list",
        f"  Metrics:           http://{settings.grpc_host}:{settings.metrics_port}/metrics"
        if settings.metrics_port
        else "  Metrics:           off",
        f"  Envoy admin:       http://127.0.0.1:{settings.envoy_admin_port}",
        f"  Storage:           {storage}; cache {'Redis' if settings.redis_url else 'in-process'};"
        f" bus {'NATS JetStream' if settings.nats_url else 'in-process'}",
        f"  Services:          {', '.join(spec.name for spec in host.specs)}",
        "",
        f"  Try: curl -s -X POST {edge}/v1/auth/register -d "
        """'{"email":"ada@example.com","password":"correct-horse-9","name":"Ada"}'""",
        "",
        "Press Ctrl-C to stop.",
    ]
    return "\n".join(lines)


def settle_heap() -> None:
    """Once everything is loaded: move what start-up made (modules, descriptors, mappers, the
    tens of thousands of objects that live as long as the process) out of the collector's
    sight, so that a full collection later scans only what requests made. Full collections
    of the whole heap stalled every call in the process for up to 100 ms."""
    gc.collect()
    gc.freeze()


async def _prepare_database(settings: Settings) -> None:
    try:
        created = await create_database_if_missing(settings.db_url)
        if created:
            print(f"created the database {created}", flush=True)
    except DatabaseNotReady as error:
        raise StartError(str(error)) from None


async def _start(host: Host) -> None:
    """Start `host`; if that fails half-way, close what did start before passing it on."""
    await _prepare_database(host.settings)
    try:
        await host.start()
    except BaseException:
        await host.stop(grace_s=0)
        raise


async def up(settings: Settings) -> None:
    """Every service in this process on one port, with Envoy in front."""
    from services.airtable_gateway import rest
    from services.mcp import http as mcp_http
    from services.web_bff import http as web_http

    # Envoy's config is written at start, so the /v0 front, web-bff's HTTP side and
    # mcp-server's, which only Envoy calls, can take any free port: they never collide with
    # another `pyat up` or a `pyat serve`.
    stop = _stop_signals()
    host = Host(
        list(SERVICES.values()),
        settings.with_(airtable_http_port=0, web_http_port=0, mcp_http_port=0),
    )
    await _start(host)
    settle_heap()
    assert host.runtime is not None  # started
    envoy = EnvoyProcess()
    try:
        config = envoy_config(
            descriptor_set_path(),
            edge_host=settings.edge_host,
            edge_port=settings.edge_port,
            admin_port=settings.envoy_admin_port,
            upstreams=(settings.grpc_host, host.port),
            airtable_rest=(settings.airtable_http_host, host.runtime.http_ports[rest.NAME]),
            web_app=(settings.web_http_host, host.runtime.http_ports[web_http.NAME]),
            mcp=(settings.mcp_http_host, host.runtime.http_ports[mcp_http.NAME]),
        )
        try:
            await envoy.start(config, settings.data_dir.resolve() / "envoy")
            # The banner's promise: the first request after it reaches a service.
            await envoy.until_upstreams_healthy(settings.envoy_admin_port)
        except EnvoyError as error:
            raise StartError(str(error)) from None
        print(_banner(settings, host), flush=True)
        await _until_stopped(stop)
        print("Stopping...", flush=True)
    finally:
        await envoy.stop()
        await host.stop()


async def serve(settings: Settings, specs: Sequence[ServiceSpec]) -> None:
    """Some services alone; the others are found through PYAT_<NAME>_ADDR."""
    stop = _stop_signals()
    host = Host(specs, settings)
    await _start(host)
    settle_heap()
    print(f"serving {', '.join(s.name for s in specs)} on {host.address}", flush=True)
    try:
        await _until_stopped(stop)
    finally:
        await host.stop()


async def serve_rest_front(settings: Settings) -> None:
    """airtable-gateway's /v0 front alone: it calls airtable-gateway, schema-service and
    workspace-service at their PYAT_<NAME>_ADDR, and has no database of its own."""
    from services.airtable_gateway import rest
    from services.shared.clients import Clients

    stop = _stop_signals()
    clients = Clients(settings)
    try:
        runner = await rest.listen(clients, settings)
        try:
            settle_heap()
            address = f"{settings.airtable_http_host}:{port_of(runner)}"
            print(f"serving {REST_FRONT} on {address}", flush=True)
            await _until_stopped(stop)
        finally:
            await runner.cleanup()
    finally:
        await clients.close()


async def migrate_all(settings: Settings, specs: Sequence[ServiceSpec]) -> None:
    await _prepare_database(settings)
    db = Database(settings.db_url)
    try:
        await migrate(db, specs)
    finally:
        await db.close()
    print(f"migrated {', '.join(s.name for s in specs)} on {settings.db_url.split('@')[-1]}")


def edge_config(descriptor_set: Path, *, k8s: bool, out: Path | None) -> int:
    """`pyat edge-config`: write the Envoy config that `make gen` commits."""
    if not descriptor_set.is_file():
        print(f"{descriptor_set} not found: run `make gen` from the repo root", file=sys.stderr)
        return 1
    write_edge_config(descriptor_set, k8s=k8s, out=out)
    return 0


def _pick(names: Sequence[str]) -> list[ServiceSpec]:
    unknown = [name for name in names if name.removesuffix("-service") not in SERVICES]
    if unknown:
        raise SystemExit(f"unknown service {', '.join(unknown)}; known: {', '.join(SERVICES)}")
    return [SERVICES[name.removesuffix("-service")] for name in names] or list(SERVICES.values())


def _run(main: Coroutine[Any, Any, None]) -> None:
    import uvloop

    uvloop.run(main)


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="pyat", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("up", help="run every service and Envoy (what `make run` does)")
    serve_cmd = commands.add_parser(
        "serve",
        help="run one or more services alone, or the /v0 front alone",
        description=f"Run services alone (one gRPC port), or `{REST_FRONT}` alone: "
        "airtable-gateway's /v0 front, calling the services at PYAT_<NAME>_ADDR.",
    )
    serve_cmd.add_argument(
        "services", nargs="+", metavar="SERVICE", help=", ".join([*SERVICES, REST_FRONT])
    )
    migrate_cmd = commands.add_parser("migrate", help="apply database migrations")
    migrate_cmd.add_argument("services", nargs="*", metavar="SERVICE")
    edge = commands.add_parser(
        "edge-config",
        help="write the Envoy config (see --help)",
        description="Write the Envoy edge config built from the protos (run from the repo root).",
    )
    edge.add_argument(
        "--k8s",
        action="store_true",
        help="the Kubernetes variant: one upstream per <name>-service, and a copy of the "
        f"descriptor set beside it (default out: {K8S_ENVOY_CONFIG})",
    )
    edge.add_argument("--out", type=Path, help=f"where to write it (default: {ENVOY_CONFIG})")
    edge.add_argument(
        "--descriptor-set", type=Path, default=DESCRIPTOR_SET, help="the protoc descriptor set"
    )
    commands.add_parser(
        "mcp",
        help="serve MCP over stdio for a desktop client (PYAT_TOKEN, PYAT_URL)",
        description="Serve the Model Context Protocol over stdio, relayed to PYAT_URL's /mcp "
        "(default http://127.0.0.1:8080) with the personal access token in PYAT_TOKEN: "
        "the command Claude Desktop's config runs.",
    )
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    parsed = _parser().parse_args(args)
    if parsed.command == "edge-config":
        return edge_config(parsed.descriptor_set, k8s=parsed.k8s, out=parsed.out)
    if parsed.command == "mcp":
        from services.mcp import stdio

        return stdio.main()

    command: str = parsed.command
    specs: list[ServiceSpec] = []
    if command == "serve" and REST_FRONT in parsed.services:
        if parsed.services != [REST_FRONT]:
            raise SystemExit(f"pyat: {REST_FRONT} runs alone: `pyat serve {REST_FRONT}`")
        command = REST_FRONT
    elif command in ("serve", "migrate"):
        specs = _pick(parsed.services)

    try:
        settings = Settings.from_env()
    except ValueError as error:  # a setting that is not a number, say
        print(f"pyat: {error}", file=sys.stderr)
        return 1
    try:
        if command != "migrate":
            check_ports(listeners(command, settings, specs))
        setup_logging(settings)
        setup_tracing(settings, "pyat" if command == "up" else "pyat-" + "-".join(args[1:]))
        if command == "up":
            _run(up(settings))
        elif command == "serve":
            _run(serve(settings, specs))
        elif command == REST_FRONT:
            _run(serve_rest_front(settings))
        elif command == "migrate":
            _run(migrate_all(settings, specs))
    except StartError as error:
        print(f"pyat: {error}", file=sys.stderr, flush=True)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
