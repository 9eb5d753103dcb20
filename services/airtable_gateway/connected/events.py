"""Events connected bases consume: a base deleted from its workspace takes its connection
(and the stored token) with it, however it was deleted."""

from __future__ import annotations

from pyat.events.v1 import events_pb2

from services.airtable_gateway.connected.airtable import AirtableClient
from services.airtable_gateway.connected.connections import Connections
from services.shared.runtime import Runtime


async def subscribe(runtime: Runtime) -> None:
    client = AirtableClient(runtime.cache)
    runtime.on_close(client.close)
    connections = Connections(runtime, client)

    async def on_base_changed(event: events_pb2.Event) -> None:
        changed = events_pb2.BaseChanged()
        event.payload.Unpack(changed)
        if changed.change == "deleted":
            await connections.forget(changed.tenant_id, changed.base_id)

    await runtime.bus.subscribe(
        "airtable-gateway-connections",
        [events_pb2.BaseChanged.DESCRIPTOR.full_name],
        on_base_changed,
    )
