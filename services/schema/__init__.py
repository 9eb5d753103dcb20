"""schema-service: the tables, fields and views of every base, and the validation of cells."""

from pathlib import Path

import grpc
from pyat.schema.v1 import schema_pb2, schema_pb2_grpc

from services.shared.runtime import Runtime, ServiceSpec


def _add_to_server(server: grpc.aio.Server, runtime: Runtime) -> None:
    from services.schema.servicer import SchemaServicer

    schema_pb2_grpc.add_SchemaServiceServicer_to_server(SchemaServicer(runtime), server)


async def _on_start(runtime: Runtime) -> None:
    from services.schema.events import subscribe

    await subscribe(runtime)


SERVICE = ServiceSpec(
    name="schema",
    grpc_services=(schema_pb2.DESCRIPTOR.services_by_name["SchemaService"].full_name,),
    add_to_server=_add_to_server,
    migrations=Path(__file__).parent / "migrations",
    on_start=_on_start,
)
