"""api-gateway: Envoy's ext_authz: who is calling, and the rate limits."""

from envoy.service.auth.v3 import external_auth_pb2

from services.shared import access
from services.shared.runtime import declare_service

SERVICE = declare_service(
    "api-gateway",
    external_auth_pb2.DESCRIPTOR.services_by_name["Authorization"],
    "services.api_gateway.servicer:AuthorizationServicer",
    package=__file__,
    # Envoy asks before it knows who is calling: the check is how it finds out.
    foreign_access=access.Rule(access.PUBLIC),
)
