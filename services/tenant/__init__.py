"""tenant-service: tenants, plans, quotas and usage, members and invitations."""

from pathlib import Path

import grpc
from pyat.tenant.v1 import tenant_pb2, tenant_pb2_grpc

from services.shared.runtime import Runtime, ServiceSpec


def _add_to_server(server: grpc.aio.Server, runtime: Runtime) -> None:
    from services.tenant.servicer import TenantServicer

    tenant_pb2_grpc.add_TenantServiceServicer_to_server(TenantServicer(runtime), server)


async def _on_start(runtime: Runtime) -> None:
    from services.tenant.events import subscribe

    await subscribe(runtime)


SERVICE = ServiceSpec(
    name="tenant",
    grpc_services=(tenant_pb2.DESCRIPTOR.services_by_name["TenantService"].full_name,),
    add_to_server=_add_to_server,
    migrations=Path(__file__).parent / "migrations",
    on_start=_on_start,
)
