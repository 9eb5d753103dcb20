"""Airtable's base and workspace information, `GET /v0/meta/bases/{baseId}` and
`GET /v0/meta/workspaces/{workspaceId}`, with the collaborators and outstanding invites that
`include` asks for, in the shapes of Airtable's "Get base/workspace collaborators".

WorkspaceService says whether the caller may see the base or workspace at all; the grants
permission-service keeps on it are its collaborators, and user-service gives their emails.

A personal access token reads these with Airtable's `workspacesAndBases:read` scope, which
GetBase and GetWorkspace declare: each route is judged by the method it serves, and the
lookups that fill in its answer are then made on the caller's behalf.
"""

from __future__ import annotations

import asyncio
from collections.abc import Collection, Iterable, Sequence

import grpc
from aiohttp import web
from pyat.permission.v1 import permission_pb2
from pyat.user.v1 import user_pb2
from pyat.workspace.v1 import workspace_pb2

from services.airtable_gateway.rest import methods
from services.airtable_gateway.rest.errors import forbidden, invalid_request
from services.airtable_gateway.rest.inputs import JsonObject, only
from services.airtable_gateway.rest.shapes import airtable_time, collaborator_level
from services.airtable_gateway.rest.stubs import Stubs, stubs_of
from services.shared import identity

# Who the calls these routes make come from, on the caller's behalf.
_SERVICE = "airtable-gateway"

_BASE_INCLUDES = ("collaborators", "inviteLinks", "interfaces")
_WORKSPACE_INCLUDES = ("collaborators", "inviteLinks")
# Only owners invite people to a workspace, and nobody shares one: there are no shares.
_RESTRICTIONS = {
    "inviteCreationRestriction": "onlyOwners",
    "shareCreationRestriction": "onlyOwners",
}
# Groups of users don't exist here; Airtable's shape has room for them all the same.
_NO_GROUPS: JsonObject = {"baseCollaborators": [], "workspaceCollaborators": []}


def routes() -> list[web.RouteDef]:
    return [
        web.get("/v0/meta/bases/{base}", get_base),
        web.get("/v0/meta/workspaces/{workspace}", get_workspace),
    ]


@methods.serves(methods.GET_BASE)
async def get_base(request: web.Request) -> web.Response:
    base_id = request.match_info["base"]
    include = _includes(request, _BASE_INCLUDES)
    stubs = stubs_of(request)
    answer = await stubs.workspace.GetBase(workspace_pb2.GetBaseRequest(base_id=base_id))
    _on_behalf_of_the_caller()
    base = answer.base
    body: JsonObject = {
        "id": base.id,
        "name": base.name,
        "createdTime": airtable_time(base.created_at),
        "permissionLevel": collaborator_level(base.my_role),
        "workspaceId": base.workspace_id,
    }
    if "collaborators" in include:
        on_workspace, on_base = await asyncio.gather(
            _grants(stubs, permission_pb2.Resource(workspace_id=base.workspace_id)),
            _grants(
                stubs, permission_pb2.Resource(workspace_id=base.workspace_id, base_id=base.id)
            ),
        )
        emails = await _emails(stubs, [*on_workspace, *on_base])
        body["groupCollaborators"] = _NO_GROUPS
        body["individualCollaborators"] = {
            "baseCollaborators": _individuals(on_base, emails),
            "workspaceCollaborators": _individuals(on_workspace, emails),
        }
    if "inviteLinks" in include:
        invitations = await _invitations(stubs, base.workspace_id, base.my_role)
        body["inviteLinks"] = {"baseInviteLinks": [], "workspaceInviteLinks": invitations}
    if "interfaces" in include:
        body["interfaces"] = {}
    return web.json_response(body)


@methods.serves(methods.GET_WORKSPACE)
async def get_workspace(request: web.Request) -> web.Response:
    if identity.caller().token_bases:
        # Airtable gives a token the workspaces it names; ours name bases only.
        raise forbidden("this token is limited to some bases and has no access to workspaces")
    include = _includes(request, _WORKSPACE_INCLUDES)
    stubs = stubs_of(request)
    answer = await stubs.workspace.GetWorkspace(
        workspace_pb2.GetWorkspaceRequest(workspace_id=request.match_info["workspace"])
    )
    _on_behalf_of_the_caller()
    workspace = answer.workspace
    # The bases the caller can read.
    listed = await stubs.workspace.ListBases(
        workspace_pb2.ListBasesRequest(workspace_id=workspace.id)
    )
    bases = list(listed.bases)
    body: JsonObject = {
        "id": workspace.id,
        "name": workspace.name,
        "createdTime": airtable_time(workspace.created_at),
        "baseIds": [base.id for base in bases],
        "workspaceRestrictions": _RESTRICTIONS,
    }
    if "collaborators" in include:
        on_workspace, *on_bases = await asyncio.gather(
            _grants(stubs, permission_pb2.Resource(workspace_id=workspace.id)),
            *(
                _grants(stubs, permission_pb2.Resource(workspace_id=workspace.id, base_id=b.id))
                for b in bases
            ),
        )
        emails = await _emails(stubs, [*on_workspace, *(g for grants in on_bases for g in grants)])
        body["groupCollaborators"] = _NO_GROUPS
        body["individualCollaborators"] = {
            "baseCollaborators": [
                {"baseId": base.id, **individual}
                for base, grants in zip(bases, on_bases, strict=True)
                for individual in _individuals(grants, emails)
            ],
            "workspaceCollaborators": _individuals(on_workspace, emails),
        }
    if "inviteLinks" in include:
        invitations = await _invitations(stubs, workspace.id, workspace.my_role)
        body["inviteLinks"] = {"baseInviteLinks": [], "workspaceInviteLinks": invitations}
    return web.json_response(body)


def _on_behalf_of_the_caller() -> None:
    """The route's own method has been judged (its `serves` mark): the lookups that fill in
    the answer are made for the caller, as services make them."""
    identity.act_as(identity.caller().on_behalf(_SERVICE))


def _includes(request: web.Request, allowed: Collection[str]) -> set[str]:
    """What `include` asks for; clients send it as `include=a&include=b` or `include[]=a`."""
    only(request.query, ("include", "include[]"), "the query")
    include = {*request.query.getall("include", []), *request.query.getall("include[]", [])}
    unknown = sorted(include - set(allowed))
    if unknown:
        raise invalid_request(
            f"Invalid 'include': {unknown[0]!r} can't be included; these can: {', '.join(allowed)}."
        )
    return include


async def _grants(
    stubs: Stubs, resource: permission_pb2.Resource
) -> Sequence[permission_pb2.Grant]:
    """The roles granted on exactly `resource`."""
    answer = await stubs.permission.ListGrants(permission_pb2.ListGrantsRequest(resource=resource))
    return answer.grants


async def _emails(stubs: Stubs, grants: Iterable[permission_pb2.Grant]) -> dict[str, str]:
    """The email of each user granted a role. Users who have left the tenant are not among
    them: Airtable leaves deleted collaborators out."""
    user_ids = sorted({grant.subject_id for grant in grants})
    found = await asyncio.gather(*(_user(stubs, user_id) for user_id in user_ids))
    return {user.id: user.email for user in found if user is not None}


async def _user(stubs: Stubs, user_id: str) -> user_pb2.User | None:
    try:
        answer = await stubs.user.GetUser(user_pb2.GetUserRequest(user_id=user_id))
    except grpc.aio.AioRpcError as err:
        if err.code() is grpc.StatusCode.NOT_FOUND:
            return None
        raise
    return answer.user


def _individuals(
    grants: Iterable[permission_pb2.Grant], emails: dict[str, str]
) -> list[JsonObject]:
    return [
        {
            "userId": grant.subject_id,
            "email": emails[grant.subject_id],
            "permissionLevel": collaborator_level(grant.role),
            "createdTime": airtable_time(grant.granted_at),
            "grantedByUserId": grant.granted_by,
        }
        for grant in grants
        if grant.subject_id in emails
    ]


async def _invitations(
    stubs: Stubs, workspace_id: str, role: permission_pb2.Role
) -> list[JsonObject]:
    """A workspace's pending invitations, each an invite link for one email. Only owners
    see them, as only owners make them."""
    if role != permission_pb2.ROLE_OWNER:
        return []
    answer = await stubs.workspace.ListInvitations(
        workspace_pb2.ListInvitationsRequest(workspace_id=workspace_id)
    )
    return [
        {
            "id": invitation.id,
            "type": "singleUse",
            "createdTime": airtable_time(invitation.created_at),
            "invitedEmail": invitation.email,
            "referredByUserId": invitation.invited_by,
            "permissionLevel": collaborator_level(invitation.role),
            "restrictedToEmailDomains": [],
        }
        for invitation in answer.invitations
    ]
