"""workspace-service's gRPC surface: the caller, handed over to the domain; the answer wrapped."""

from __future__ import annotations

from pyat.workspace.v1 import workspace_pb2 as pb
from pyat.workspace.v1 import workspace_pb2_grpc

from services.shared import identity
from services.shared.runtime import Context, Runtime
from services.workspace.access import Permissions
from services.workspace.bases import Bases
from services.workspace.invitations import Invitations
from services.workspace.members import Members
from services.workspace.quota import BaseUsage
from services.workspace.workspaces import Workspaces


class WorkspaceServicer(workspace_pb2_grpc.WorkspaceServiceServicer):
    def __init__(self, runtime: Runtime) -> None:
        self.runtime = runtime
        permissions = Permissions(runtime)
        usage = BaseUsage(runtime)
        self.workspaces = Workspaces(runtime, permissions, usage)
        self.members = Members(runtime, permissions, self.workspaces)
        self.invitations = Invitations(runtime, permissions, self.workspaces, self.members)
        self.bases = Bases(runtime, permissions, self.workspaces, usage)

    async def CreateWorkspace(
        self, request: pb.CreateWorkspaceRequest, context: Context
    ) -> pb.CreateWorkspaceResponse:
        caller = identity.caller()
        return pb.CreateWorkspaceResponse(
            workspace=await self.workspaces.create(caller, request.name)
        )

    async def ListWorkspaces(
        self, request: pb.ListWorkspacesRequest, context: Context
    ) -> pb.ListWorkspacesResponse:
        caller = identity.caller()
        return pb.ListWorkspacesResponse(workspaces=await self.workspaces.of_caller(caller))

    async def GetWorkspace(
        self, request: pb.GetWorkspaceRequest, context: Context
    ) -> pb.GetWorkspaceResponse:
        caller = identity.caller()
        return pb.GetWorkspaceResponse(
            workspace=await self.workspaces.get(caller, request.workspace_id)
        )

    async def UpdateWorkspace(
        self, request: pb.UpdateWorkspaceRequest, context: Context
    ) -> pb.UpdateWorkspaceResponse:
        caller = identity.caller()
        workspace = await self.workspaces.update(caller, request.workspace_id, request.name)
        return pb.UpdateWorkspaceResponse(workspace=workspace)

    async def DeleteWorkspace(
        self, request: pb.DeleteWorkspaceRequest, context: Context
    ) -> pb.DeleteWorkspaceResponse:
        caller = identity.caller()
        await self.workspaces.delete(caller, request.workspace_id)
        return pb.DeleteWorkspaceResponse()

    async def ListMembers(
        self, request: pb.ListMembersRequest, context: Context
    ) -> pb.ListMembersResponse:
        caller = identity.caller()
        return pb.ListMembersResponse(
            members=await self.members.of_workspace(caller, request.workspace_id)
        )

    async def UpdateMember(
        self, request: pb.UpdateMemberRequest, context: Context
    ) -> pb.UpdateMemberResponse:
        caller = identity.caller()
        member = await self.members.update(
            caller, request.workspace_id, request.user_id, request.role
        )
        return pb.UpdateMemberResponse(member=member)

    async def RemoveMember(
        self, request: pb.RemoveMemberRequest, context: Context
    ) -> pb.RemoveMemberResponse:
        caller = identity.caller()
        await self.members.remove(caller, request.workspace_id, request.user_id)
        return pb.RemoveMemberResponse()

    async def CreateInvitation(
        self, request: pb.CreateInvitationRequest, context: Context
    ) -> pb.CreateInvitationResponse:
        caller = identity.caller()
        invitation, signup_token = await self.invitations.create(
            caller, request.workspace_id, request.email, request.role
        )
        return pb.CreateInvitationResponse(invitation=invitation, signup_token=signup_token)

    async def ListInvitations(
        self, request: pb.ListInvitationsRequest, context: Context
    ) -> pb.ListInvitationsResponse:
        caller = identity.caller()
        invitations = await self.invitations.of_workspace(caller, request.workspace_id)
        return pb.ListInvitationsResponse(invitations=invitations)

    async def RevokeInvitation(
        self, request: pb.RevokeInvitationRequest, context: Context
    ) -> pb.RevokeInvitationResponse:
        caller = identity.caller()
        await self.invitations.revoke(caller, request.workspace_id, request.invitation_id)
        return pb.RevokeInvitationResponse()

    async def ListMyInvitations(
        self, request: pb.ListMyInvitationsRequest, context: Context
    ) -> pb.ListMyInvitationsResponse:
        caller = identity.caller()
        return pb.ListMyInvitationsResponse(invitations=await self.invitations.mine(caller))

    async def AcceptInvitation(
        self, request: pb.AcceptInvitationRequest, context: Context
    ) -> pb.AcceptInvitationResponse:
        caller = identity.caller()
        workspace, member = await self.invitations.accept(caller, request.invitation_id)
        return pb.AcceptInvitationResponse(workspace=workspace, member=member)

    async def CreateBase(
        self, request: pb.CreateBaseRequest, context: Context
    ) -> pb.CreateBaseResponse:
        caller = identity.caller()
        base = await self.bases.create(caller, request.workspace_id, request.name)
        return pb.CreateBaseResponse(base=base)

    async def ListBases(
        self, request: pb.ListBasesRequest, context: Context
    ) -> pb.ListBasesResponse:
        caller = identity.caller()
        if not request.workspace_id:
            bases = await self.bases.of_caller(caller)
        else:
            bases = await self.bases.of_workspace(caller, request.workspace_id)
        if caller.token_bases:
            # A personal access token limited to some bases sees only those.
            bases = [base for base in bases if base.id in caller.token_bases]
        return pb.ListBasesResponse(bases=bases)

    async def GetBase(self, request: pb.GetBaseRequest, context: Context) -> pb.GetBaseResponse:
        caller = identity.caller()
        return pb.GetBaseResponse(base=await self.bases.get(caller, request.base_id))

    async def DeleteBase(
        self, request: pb.DeleteBaseRequest, context: Context
    ) -> pb.DeleteBaseResponse:
        caller = identity.caller()
        await self.bases.delete(caller, request.base_id)
        return pb.DeleteBaseResponse()
