"""permission-service: role grants at workspace, base and table level, and decisions on them."""

from pathlib import Path

import grpc
from pyat.permission.v1 import permission_pb2, permission_pb2_grpc

from services.shared.runtime import Runtime, ServiceSpec


def _add_to_server(server: grpc.aio.Server, runtime: Runtime) -> None:
    from services.permission.servicer import PermissionServicer

    permission_pb2_grpc.add_PermissionServiceServicer_to_server(PermissionServicer(runtime), server)


async def _on_start(runtime: Runtime) -> None:
    from services.permission.events import subscribe

    await subscribe(runtime)


SERVICE = ServiceSpec(
    name="permission",
    grpc_services=(permission_pb2.DESCRIPTOR.services_by_name["PermissionService"].full_name,),
    add_to_server=_add_to_server,
    migrations=Path(__file__).parent / "migrations",
    on_start=_on_start,
)
