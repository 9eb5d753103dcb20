"""What a hosted service is given (`Runtime`) and what it declares about itself (`ServiceSpec`)."""

from __future__ import annotations

import importlib
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeAlias

import grpc
from google.protobuf.descriptor import ServiceDescriptor

from services.shared import access
from services.shared.bus import EventBus, open_bus
from services.shared.cache import Cache, open_cache
from services.shared.clients import Clients
from services.shared.config import Settings
from services.shared.db import Database
from services.shared.outbox import OutboxRelay

# What every servicer method receives as `context`.
Context: TypeAlias = grpc.aio.ServicerContext[Any, Any]


@dataclass
class Runtime:
    """The shared parts of one process: settings, database, cache, bus, outbox and stubs."""

    settings: Settings
    db: Database
    cache: Cache
    bus: EventBus
    outbox: OutboxRelay
    clients: Clients
    # Ports of the HTTP listeners services started beside gRPC, by name (e.g. the REST front).
    http_ports: dict[str, int] = field(default_factory=dict)
    _listener_stops: list[Callable[[], Awaitable[None]]] = field(default_factory=list)
    _closers: list[Callable[[], Awaitable[None]]] = field(default_factory=list)

    @classmethod
    async def open(cls, settings: Settings) -> Runtime:
        db = Database(settings.db_url)
        cache = await open_cache(settings)
        bus = await open_bus(settings, db)
        return cls(
            settings=settings,
            db=db,
            cache=cache,
            bus=bus,
            outbox=OutboxRelay(db, bus),
            clients=Clients(settings),
        )

    def on_stop_listening(self, stop: Callable[[], Awaitable[None]]) -> None:
        """Have `stop` (closing an HTTP listener) run when the process stops taking calls."""
        self._listener_stops.append(stop)

    async def stop_listening(self) -> None:
        while self._listener_stops:
            await self._listener_stops.pop()()

    def on_close(self, close: Callable[[], Awaitable[None]]) -> None:
        """Have `close` (releasing a client's connections, say) run when the process closes."""
        self._closers.append(close)

    async def close(self) -> None:
        await self.stop_listening()
        while self._closers:
            await self._closers.pop()()
        await self.outbox.stop()
        await self.clients.close()
        await self.bus.close()
        await self.cache.close()
        await self.db.close()


@dataclass(frozen=True)
class ServiceSpec:
    """One service as the host sees it. Each `services/<name>/__init__.py` exports `SERVICE`."""

    name: str
    # Fully qualified gRPC service names, for health and reflection.
    grpc_services: tuple[str, ...]
    # Adds the servicers to the server; may keep state built from the runtime.
    add_to_server: Callable[[grpc.aio.Server, Runtime], None]
    migrations: Path | None = None
    # Background work to start once the server is up (event consumers and the like).
    on_start: Callable[[Runtime], Awaitable[None]] | None = None
    # Who may call a service whose contract is not ours (Envoy's ext_authz API), for all its
    # methods; our own contracts declare it per method.
    foreign_access: access.Rule | None = None


def declare_service(
    name: str,
    service: ServiceDescriptor,
    servicer: str,
    *,
    package: str,
    on_start: Sequence[str] = (),
    foreign_access: access.Rule | None = None,
) -> ServiceSpec:
    """A service in a few lines: its name, its contract's service, and where its servicer
    class ("module:Class", built with the runtime) and its start-up hooks ("module:function",
    awaited with the runtime) are. They are imported only when a host starts the service, so
    listing every service stays cheap. Migrations are the package's `migrations/` if any."""
    migrations = Path(package).parent / "migrations"

    def add_to_server(server: grpc.aio.Server, runtime: Runtime) -> None:
        stubs = importlib.import_module(
            service.file.name.removesuffix(".proto").replace("/", ".") + "_pb2_grpc"
        )
        add = getattr(stubs, f"add_{service.name}Servicer_to_server")
        add(_load(servicer)(runtime), server)

    async def start(runtime: Runtime) -> None:
        for hook in on_start:
            await _load(hook)(runtime)

    return ServiceSpec(
        name=name,
        grpc_services=(service.full_name,),
        add_to_server=add_to_server,
        migrations=migrations if migrations.is_dir() else None,
        on_start=start if on_start else None,
        foreign_access=foreign_access,
    )


def _load(path: str) -> Any:
    module, _, attribute = path.partition(":")
    return getattr(importlib.import_module(module), attribute)
