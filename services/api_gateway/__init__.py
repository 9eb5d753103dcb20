"""api-gateway: Envoy's ext_authz: who is calling, and the rate limits."""

import grpc
from envoy.service.auth.v3 import external_auth_pb2, external_auth_pb2_grpc

from services.shared.runtime import Runtime, ServiceSpec


def _add_to_server(server: grpc.aio.Server, runtime: Runtime) -> None:
    from services.api_gateway.servicer import AuthorizationServicer

    external_auth_pb2_grpc.add_AuthorizationServicer_to_server(
        AuthorizationServicer(runtime), server
    )


SERVICE = ServiceSpec(
    name="api-gateway",
    grpc_services=(external_auth_pb2.DESCRIPTOR.services_by_name["Authorization"].full_name,),
    add_to_server=_add_to_server,
)
