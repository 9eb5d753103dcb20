"""`pyat`: run the platform (`up`), one service (`serve`), migrations (`migrate`), or write
the edge config (`edge-config`). Every setting comes from the environment (see config.py)."""

from __future__ import annotations

import argparse
import asyncio
import gc
import signal
import sys
from collections.abc import Coroutine, Sequence
from pathlib import Path
from typing import Any

from services.registry import SERVICES
from services.shared.config import Settings
from services.shared.db import Database
from services.shared.runtime import ServiceSpec
from services.shared.server import Host, migrate
from services.shared.telemetry import setup_logging, setup_tracing


def descriptor_set_path() -> Path:
    """The descriptor set that `make gen` writes beside the generated code."""
    import pyat

    return Path(next(iter(pyat.__path__))).resolve().parent / "pyat.binpb"


async def _until_stopped() -> None:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stop.set)
    await stop.wait()
    # A second Ctrl-C during shutdown should not print a traceback.
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
        f"  REST API (Envoy):  {edge}   point a browser or client here",
        f'  Airtable clients:  Api(personal_access_token, endpoint_url="{edge}")  (/v0/)',
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


async def up(settings: Settings) -> None:
    """Every service in this process on one port, with Envoy in front."""
    from services.airtable_gateway import rest
    from services.shared.edge import EnvoyProcess, envoy_config

    host = Host(list(SERVICES.values()), settings)
    await host.start()
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
        )
        await envoy.start(config, settings.data_dir.resolve() / "envoy")
        print(_banner(settings, host), flush=True)
        await _until_stopped()
        print("Stopping...", flush=True)
    finally:
        await envoy.stop()
        await host.stop()


async def serve(settings: Settings, specs: Sequence[ServiceSpec]) -> None:
    """Some services alone; the others are found through PYAT_<NAME>_ADDR."""
    host = Host(specs, settings)
    await host.start()
    settle_heap()
    print(f"serving {', '.join(s.name for s in specs)} on {host.address}", flush=True)
    try:
        await _until_stopped()
    finally:
        await host.stop()


async def migrate_all(settings: Settings, specs: Sequence[ServiceSpec]) -> None:
    db = Database(settings.db_url)
    try:
        await migrate(db, specs)
    finally:
        await db.close()
    print(f"migrated {', '.join(s.name for s in specs)} on {settings.db_url.split('@')[-1]}")


def _pick(names: Sequence[str]) -> list[ServiceSpec]:
    unknown = [name for name in names if name.removesuffix("-service") not in SERVICES]
    if unknown:
        raise SystemExit(f"unknown service {', '.join(unknown)}; known: {', '.join(SERVICES)}")
    return [SERVICES[name.removesuffix("-service")] for name in names] or list(SERVICES.values())


def _run(main: Coroutine[Any, Any, None]) -> None:
    import uvloop

    uvloop.run(main)


def main(argv: Sequence[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    if args[:1] == ["edge-config"]:
        from services.shared.edge import edge_config_main

        return edge_config_main(args[1:])

    parser = argparse.ArgumentParser(prog="pyat", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("up", help="run every service and Envoy (what `make run` does)")
    serve_cmd = commands.add_parser("serve", help="run one or more services alone")
    serve_cmd.add_argument("services", nargs="+", metavar="SERVICE", help=", ".join(SERVICES))
    migrate_cmd = commands.add_parser("migrate", help="apply database migrations")
    migrate_cmd.add_argument("services", nargs="*", metavar="SERVICE")
    commands.add_parser("edge-config", help="write the Envoy config (see --help)")
    parsed = parser.parse_args(args)

    settings = Settings.from_env()
    setup_logging(settings)
    setup_tracing(settings, "pyat" if parsed.command == "up" else "pyat-" + "-".join(args[1:]))
    if parsed.command == "up":
        _run(up(settings))
    elif parsed.command == "serve":
        _run(serve(settings, _pick(parsed.services)))
    elif parsed.command == "migrate":
        _run(migrate_all(settings, _pick(parsed.services)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
