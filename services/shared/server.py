"""The one way to start services: a grpc.aio server with health, reflection and interceptors.

`Host` runs any set of services in one process, so the same code serves `pyat up` (all of
them), `pyat serve <name>` (one) and the tests (whichever they need, on port 0).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence
from http.server import HTTPServer
from pathlib import Path

import grpc
from grpc_health.v1 import health, health_pb2, health_pb2_grpc
from grpc_reflection.v1alpha import reflection

from services.shared import access
from services.shared.admission import Gatekeeper
from services.shared.config import Settings
from services.shared.db import Database
from services.shared.identity import Assertions, assertion_key
from services.shared.interceptors import server_interceptors
from services.shared.runtime import Runtime, ServiceSpec
from services.shared.telemetry import serve_metrics

log = logging.getLogger("pyat.server")

SHARED_MIGRATIONS = Path(__file__).parent / "migrations"

_SERVER_OPTIONS = [
    ("grpc.so_reuseport", 0),
    ("grpc.keepalive_permit_without_calls", 1),
    ("grpc.http2.min_ping_interval_without_data_ms", 10_000),
]


async def migrate(db: Database, specs: Sequence[ServiceSpec]) -> None:
    """Apply the shared migrations (the outbox) and then each service's own."""
    await db.migrate(SHARED_MIGRATIONS, "alembic_version_shared")
    for spec in specs:
        if spec.migrations is not None:
            await db.migrate(spec.migrations, f"alembic_version_{spec.name}")


class Host:
    """Hosts services on one gRPC port. `start()`, then `stop()` (or `async with`)."""

    def __init__(self, specs: Sequence[ServiceSpec], settings: Settings) -> None:
        self.specs = list(specs)
        self.settings = settings
        self.port = 0
        self.runtime: Runtime | None = None
        self._server: grpc.aio.Server | None = None
        self._health = health.aio.HealthServicer()
        self._metrics: HTTPServer | None = None

    @property
    def address(self) -> str:
        return f"{self.settings.grpc_host}:{self.port}"

    async def start(self) -> None:
        gatekeeper = Gatekeeper(Assertions(assertion_key(self.settings)))
        server = grpc.aio.server(
            interceptors=server_interceptors(gatekeeper, self._rules()), options=_SERVER_OPTIONS
        )
        self.port = server.add_insecure_port(f"{self.settings.grpc_host}:{self.settings.grpc_port}")
        if self.port == 0:
            raise OSError(f"cannot listen on {self.settings.grpc_host}:{self.settings.grpc_port}")
        # Services that call each other in this process do so through this port.
        self.settings = self.settings.with_(grpc_port=self.port)
        self.runtime = runtime = await Runtime.open(self.settings)
        gatekeeper.verify_bearer = runtime.clients.verify_token
        await migrate(runtime.db, self.specs)

        names = [name for spec in self.specs for name in spec.grpc_services]
        for spec in self.specs:
            spec.add_to_server(server, runtime)
        health_pb2_grpc.add_HealthServicer_to_server(self._health, server)
        reflection.enable_server_reflection(
            [*names, health_pb2.DESCRIPTOR.services_by_name["Health"].full_name,
             reflection.SERVICE_NAME],
            server,
        )  # fmt: skip
        await server.start()
        self._server = server

        runtime.outbox.start()
        for spec in self.specs:
            if spec.on_start is not None:
                await spec.on_start(runtime)
        for name in ["", *names]:
            await self._health.set(name, health_pb2.HealthCheckResponse.SERVING)
        self._metrics = serve_metrics(self.settings)
        log.info("serving", extra={"address": self.address, "services": names})

    def _rules(self) -> access.Rules:
        """Each method's access: the contracts', or what a foreign service's spec says."""
        foreign = {
            name: spec.foreign_access
            for spec in self.specs
            if spec.foreign_access is not None
            for name in spec.grpc_services
        }

        def rule(path: str) -> access.Rule | None:
            return foreign.get(path.lstrip("/").partition("/")[0]) or access.rule_for(path)

        return rule

    async def stop(self, grace_s: float | None = None) -> None:
        """Stop taking calls, let calls in flight finish (up to the grace period), then close."""
        grace = self.settings.shutdown_grace_s if grace_s is None else grace_s
        await self._health.enter_graceful_shutdown()
        if self.runtime is not None:
            # HTTP fronts first: what they serve goes through the gRPC server below.
            await self.runtime.stop_listening()
        if self._server is not None:
            await self._server.stop(grace)
            self._server = None
        if self.runtime is not None:
            await self.runtime.close()
            self.runtime = None
        if self._metrics is not None:
            await asyncio.to_thread(self._metrics.shutdown)
            self._metrics = None
        log.info("stopped", extra={"address": self.address})

    async def __aenter__(self) -> Host:
        await self.start()
        return self

    async def __aexit__(self, *_exc: object) -> None:
        await self.stop()
