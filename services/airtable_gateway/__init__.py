"""airtable-gateway: records with Airtable's semantics, for native and connected bases."""

from pathlib import Path

import grpc
from pyat.airtable.v1 import airtable_gateway_pb2, airtable_gateway_pb2_grpc

from services.shared.runtime import Runtime, ServiceSpec


def _add_to_server(server: grpc.aio.Server, runtime: Runtime) -> None:
    from services.airtable_gateway.servicer import AirtableGatewayServicer

    airtable_gateway_pb2_grpc.add_AirtableGatewayServiceServicer_to_server(
        AirtableGatewayServicer(runtime), server
    )


async def _on_start(runtime: Runtime) -> None:
    from services.airtable_gateway import events, rest
    from services.airtable_gateway.connected import events as connected_events

    await events.subscribe(runtime)
    await connected_events.subscribe(runtime)
    await rest.start(runtime)


SERVICE = ServiceSpec(
    name="airtable-gateway",
    grpc_services=(
        airtable_gateway_pb2.DESCRIPTOR.services_by_name["AirtableGatewayService"].full_name,
    ),
    add_to_server=_add_to_server,
    migrations=Path(__file__).parent / "migrations",
    on_start=_on_start,
)
