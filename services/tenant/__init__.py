"""tenant-service: tenants, plans, quotas and usage, members and invitations."""

from pyat.tenant.v1 import tenant_pb2

from services.shared.runtime import declare_service

SERVICE = declare_service(
    "tenant",
    tenant_pb2.DESCRIPTOR.services_by_name["TenantService"],
    "services.tenant.servicer:TenantServicer",
    package=__file__,
    on_start=["services.tenant.events:subscribe"],
)
