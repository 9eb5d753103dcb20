"""auth-service: credentials, sign-in and token verification."""

from pathlib import Path

import grpc
from pyat.auth.v1 import auth_pb2, auth_pb2_grpc

from services.shared.runtime import Runtime, ServiceSpec


def _add_to_server(server: grpc.aio.Server, runtime: Runtime) -> None:
    from services.auth.servicer import AuthServicer

    auth_pb2_grpc.add_AuthServiceServicer_to_server(AuthServicer(runtime), server)


SERVICE = ServiceSpec(
    name="auth",
    grpc_services=(auth_pb2.DESCRIPTOR.services_by_name["AuthService"].full_name,),
    add_to_server=_add_to_server,
    migrations=Path(__file__).parent / "migrations",
)
