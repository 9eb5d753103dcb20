"""airtable-gateway: records with Airtable's semantics, in three parts behind one servicer:
`native/` keeps the records of our own bases, `connected/` forwards those of a tenant's
Airtable bases, and `rest/` is the /v0 front that serves Airtable's Web API (in this process,
or alone with `pyat serve airtable-gateway-rest`)."""

from pyat.airtable.v1 import airtable_gateway_pb2

from services.shared.runtime import declare_service

SERVICE = declare_service(
    "airtable-gateway",
    airtable_gateway_pb2.DESCRIPTOR.services_by_name["AirtableGatewayService"],
    "services.airtable_gateway.servicer:AirtableGatewayServicer",
    package=__file__,
    on_start=[
        "services.airtable_gateway.native.events:subscribe",
        "services.airtable_gateway.connected.events:subscribe",
        "services.airtable_gateway.rest:start",
    ],
)
