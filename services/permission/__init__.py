"""permission-service: role grants at workspace, base and table level, and decisions on them."""

from pyat.permission.v1 import permission_pb2

from services.shared.runtime import declare_service

SERVICE = declare_service(
    "permission",
    permission_pb2.DESCRIPTOR.services_by_name["PermissionService"],
    "services.permission.servicer:PermissionServicer",
    package=__file__,
    on_start=["services.permission.events:subscribe"],
)
