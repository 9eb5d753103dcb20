"""workspace-service: workspaces, the registry of bases in each, and invitations to join them."""

from pyat.workspace.v1 import workspace_pb2

from services.shared.runtime import declare_service

SERVICE = declare_service(
    "workspace",
    workspace_pb2.DESCRIPTOR.services_by_name["WorkspaceService"],
    "services.workspace.servicer:WorkspaceServicer",
    package=__file__,
    on_start=["services.workspace.events:subscribe"],
)
