"""schema-service: the tables, fields and views of every base, and the validation of cells."""

from pyat.schema.v1 import schema_pb2

from services.shared.runtime import declare_service

SERVICE = declare_service(
    "schema",
    schema_pb2.DESCRIPTOR.services_by_name["SchemaService"],
    "services.schema.servicer:SchemaServicer",
    package=__file__,
    on_start=["services.schema.events:subscribe"],
)
