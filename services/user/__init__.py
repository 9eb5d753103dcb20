"""user-service: profiles of the people in each tenant."""

from pathlib import Path

import grpc
from pyat.user.v1 import user_pb2, user_pb2_grpc

from services.shared.runtime import Runtime, ServiceSpec


def _add_to_server(server: grpc.aio.Server, runtime: Runtime) -> None:
    from services.user.servicer import UserServicer

    user_pb2_grpc.add_UserServiceServicer_to_server(UserServicer(runtime), server)


async def _on_start(runtime: Runtime) -> None:
    from services.user.events import subscribe

    await subscribe(runtime)


SERVICE = ServiceSpec(
    name="user",
    grpc_services=(user_pb2.DESCRIPTOR.services_by_name["UserService"].full_name,),
    add_to_server=_add_to_server,
    migrations=Path(__file__).parent / "migrations",
    on_start=_on_start,
)
