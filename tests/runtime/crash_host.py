"""A host for the crash test (tests/runtime/test_bus_crash.py), run as its own process so the
test can SIGKILL it: one service whose two durable consumers, "fast" and "slow", record every
event they are given, on SQLite with the embedded bus.

    python -m tests.runtime.crash_host DATA_DIR [--produce] [--block-slow]

--produce commits events (a few per transaction) until the process is stopped; --block-slow
has "slow" stop for good inside its handler, after handling its first event.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import signal
from pathlib import Path

from pyat.events.v1.events_pb2 import Event, UserRegistered
from sqlalchemy import text

from services.shared.bus import Handler
from services.shared.config import Settings
from services.shared.outbox import add_event
from services.shared.runtime import Runtime, ServiceSpec
from services.shared.server import Host

DURABLES = ("fast", "slow")

_TABLES = (
    # Every delivery, duplicates included.
    "CREATE TABLE IF NOT EXISTS crash_deliveries"
    " (n INTEGER PRIMARY KEY, durable TEXT NOT NULL, event_id TEXT NOT NULL)",
    # Every event handled, once: a redelivery is dropped by its id.
    "CREATE TABLE IF NOT EXISTS crash_handled"
    " (durable TEXT NOT NULL, event_id TEXT NOT NULL, PRIMARY KEY (durable, event_id))",
)


_DELIVERED = text("INSERT INTO crash_deliveries (durable, event_id) VALUES (:durable, :id)")
_HANDLED = text(
    "INSERT INTO crash_handled (durable, event_id) VALUES (:durable, :id) ON CONFLICT DO NOTHING"
)


def crash_service(block_slow: bool) -> ServiceSpec:
    async def on_start(runtime: Runtime) -> None:
        async with runtime.db.transaction() as session:
            for statement in _TABLES:
                await session.execute(text(statement))

        def handler_for(durable: str) -> Handler:
            async def handle(event: Event) -> None:
                async with runtime.db.transaction() as session:
                    await session.execute(_DELIVERED, {"durable": durable, "id": event.id})
                    await session.execute(_HANDLED, {"durable": durable, "id": event.id})
                if durable == "slow" and block_slow:
                    await asyncio.Event().wait()  # slow for good: killed in here
                await asyncio.sleep(0.002)  # slower than the producer, so work piles up

            return handle

        for durable in DURABLES:
            await runtime.bus.subscribe(
                durable, [UserRegistered.DESCRIPTOR.full_name], handler_for(durable)
            )

    return ServiceSpec(
        name="crash",
        grpc_services=(),
        add_to_server=lambda _server, _runtime: None,
        on_start=on_start,
    )


async def produce(runtime: Runtime) -> None:
    number = 0
    while True:
        async with runtime.db.transaction() as session:
            for _ in range(1 + number % 3):
                number += 1
                add_event(
                    session, UserRegistered(user_id=f"usr{number}"), tenant_id="ten", source="crash"
                )
        runtime.outbox.notify()
        await asyncio.sleep(0.005)


async def main(data_dir: Path, *, produce_events: bool, block_slow: bool) -> None:
    settings = Settings(
        grpc_port=0,
        metrics_port=0,
        data_dir=data_dir,
        jwt_secret="crash-test-signing-key-that-is-long-enough-0123456789",
        log_level="WARNING",
        shutdown_grace_s=1.0,
    )
    host = Host([crash_service(block_slow)], settings)
    await host.start()
    assert host.runtime is not None
    stop = asyncio.Event()
    asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, stop.set)
    producer = asyncio.create_task(produce(host.runtime)) if produce_events else None
    await stop.wait()
    if producer is not None:
        producer.cancel()
    await host.stop()


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("data_dir", type=Path)
    parser.add_argument("--produce", action="store_true")
    parser.add_argument("--block-slow", action="store_true")
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING)
    asyncio.run(main(args.data_dir, produce_events=args.produce, block_slow=args.block_slow))
