"""workspace-service: workspaces, the registry of bases in each, and invitations to join them."""

from pathlib import Path

import grpc
from pyat.workspace.v1 import workspace_pb2, workspace_pb2_grpc

from services.shared.runtime import Runtime, ServiceSpec


def _add_to_server(server: grpc.aio.Server, runtime: Runtime) -> None:
    from services.workspace.servicer import WorkspaceServicer

    workspace_pb2_grpc.add_WorkspaceServiceServicer_to_server(WorkspaceServicer(runtime), server)


async def _on_start(runtime: Runtime) -> None:
    from services.workspace.events import subscribe

    await subscribe(runtime)


SERVICE = ServiceSpec(
    name="workspace",
    grpc_services=(workspace_pb2.DESCRIPTOR.services_by_name["WorkspaceService"].full_name,),
    add_to_server=_add_to_server,
    migrations=Path(__file__).parent / "migrations",
    on_start=_on_start,
)
