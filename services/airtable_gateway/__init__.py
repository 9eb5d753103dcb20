"""airtable-gateway: records with Airtable's semantics, for native and connected bases, and
Airtable's Web API (/v0) served by its REST front."""

from pyat.airtable.v1 import airtable_gateway_pb2

from services.shared.runtime import declare_service

SERVICE = declare_service(
    "airtable-gateway",
    airtable_gateway_pb2.DESCRIPTOR.services_by_name["AirtableGatewayService"],
    "services.airtable_gateway.servicer:AirtableGatewayServicer",
    package=__file__,
    on_start=[
        "services.airtable_gateway.events:subscribe",
        "services.airtable_gateway.connected.events:subscribe",
        "services.airtable_gateway.rest:start",
    ],
)
