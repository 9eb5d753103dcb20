"""workspace-service over real gRPC, acting as real registered users through the whole chain:
workspaces and roles, members, invitations, the base registry and its quota, and tenancy."""

from __future__ import annotations

import asyncio
import datetime as dt
import secrets
import time
from collections.abc import Awaitable
from dataclasses import dataclass
from typing import Any

import grpc
import pytest
from pyat.auth.v1 import auth_pb2, auth_pb2_grpc
from pyat.events.v1 import events_pb2
from pyat.permission.v1 import permission_pb2 as perm
from pyat.permission.v1 import permission_pb2_grpc
from pyat.tenant.v1 import tenant_pb2, tenant_pb2_grpc
from pyat.workspace.v1 import workspace_pb2 as pb
from pyat.workspace.v1 import workspace_pb2_grpc
from sqlalchemy import select

from services import permission, workspace
from services.shared.ids import looks_like, new_id
from services.shared.outbox import OutboxRow
from services.shared.server import Host
from services.workspace.storage import BaseEntry, Workspace
from tests.contract.test_auth import PASSWORD, field_violations
from tests.fixtures.callers import caller_metadata
from tests.fixtures.fabric import StartHost

Metadata = tuple[tuple[str, str], ...]
READ_ONLY, COMMENTER, EDITOR, CREATOR, OWNER = (
    perm.ROLE_READ_ONLY, perm.ROLE_COMMENTER, perm.ROLE_EDITOR, perm.ROLE_CREATOR, perm.ROLE_OWNER,
)  # fmt: skip
NO_ROLE = perm.ROLE_UNSPECIFIED
FREE_PLAN_BASES = 10
OK = "OK"


@dataclass(frozen=True)
class Person:
    user_id: str
    tenant_id: str
    email: str
    md: Metadata


@dataclass(frozen=True)
class Api:
    """Stubs for the services a test talks to, all on one real fabric."""

    host: Host
    auth: auth_pb2_grpc.AuthServiceStub
    tenants: tenant_pb2_grpc.TenantServiceStub
    permissions: permission_pb2_grpc.PermissionServiceStub
    ws: workspace_pb2_grpc.WorkspaceServiceStub

    def rpc(self, person: Person, method: str, **fields: Any) -> Awaitable[Any]:
        """WorkspaceService.<method> called by `person`, the request made from `fields`."""
        request = getattr(pb, f"{method}Request")(**fields)
        call: Awaitable[Any] = getattr(self.ws, method)(request, metadata=person.md)
        return call

    async def outcome(self, person: Person, method: str, **fields: Any) -> str:
        """ "OK" or the name of the status code the call ended with."""
        try:
            await self.rpc(person, method, **fields)
        except grpc.aio.AioRpcError as err:
            return str(err.code().name)
        return OK

    async def sign_up(self, email: str | None = None, invitation_token: str = "") -> Person:
        request = auth_pb2.RegisterRequest(
            email=email or new_email(),
            password=PASSWORD,
            name="Grace",
            invitation_token=invitation_token,
        )
        registered = await self.auth.Register(request)
        user = registered.user
        bearer = (("authorization", f"Bearer {registered.access_token}"),)
        return Person(user.id, user.tenant_id, user.email, bearer)

    async def colleague(self, owner: Person) -> Person:
        """Someone who joins the owner's tenant through a tenant invitation."""
        email = new_email()
        invited = await self.tenants.CreateInvitation(
            tenant_pb2.CreateInvitationRequest(email=email), metadata=owner.md
        )
        person = await self.sign_up(email, invited.token)
        assert person.tenant_id == owner.tenant_id
        return person

    async def workspace(self, owner: Person, name: str = "Team") -> pb.Workspace:
        created: pb.CreateWorkspaceResponse = await self.rpc(owner, "CreateWorkspace", name=name)
        return created.workspace

    async def base(self, person: Person, workspace_id: str, name: str = "Base") -> pb.Base:
        created: pb.CreateBaseResponse = await self.rpc(
            person, "CreateBase", workspace_id=workspace_id, name=name
        )
        return created.base

    async def invite(
        self, owner: Person, workspace_id: str, email: str, role: int
    ) -> pb.CreateInvitationResponse:
        invited: pb.CreateInvitationResponse = await self.rpc(
            owner, "CreateInvitation", workspace_id=workspace_id, email=email, role=role
        )
        return invited

    async def add_member(self, owner: Person, workspace_id: str, person: Person, role: int) -> None:
        """Invite `person` with `role` and have them accept."""
        invited = await self.invite(owner, workspace_id, person.email, role)
        await self.rpc(person, "AcceptInvitation", invitation_id=invited.invitation.id)

    async def members(self, person: Person, workspace_id: str) -> dict[str, int]:
        listed = await self.rpc(person, "ListMembers", workspace_id=workspace_id)
        return {m.user_id: m.role for m in listed.members}

    async def bases_used(self, person: Person) -> int:
        mine = await self.tenants.GetMyTenant(tenant_pb2.GetMyTenantRequest(), metadata=person.md)
        return next(q.used for q in mine.tenant.quotas if q.kind == tenant_pb2.QUOTA_KIND_BASES)

    async def grant(self, owner: Person, person: Person, role: int, **resource: str) -> None:
        """A grant made straight in permission-service (as other services will make them)."""
        request = perm.GrantRequest(
            subject_id=person.user_id,
            resource=perm.Resource(**resource),
            role=role,  # type: ignore[arg-type]
        )
        await self.permissions.Grant(request, metadata=owner.md)


def new_email() -> str:
    return f"ws-{secrets.token_hex(6)}@example.com"


def api_on(host: Host, channel: grpc.aio.Channel) -> Api:
    return Api(
        host,
        auth_pb2_grpc.AuthServiceStub(channel),
        tenant_pb2_grpc.TenantServiceStub(channel),
        permission_pb2_grpc.PermissionServiceStub(channel),
        workspace_pb2_grpc.WorkspaceServiceStub(channel),
    )


@pytest.fixture
def api(fabric: Host, channel: grpc.aio.Channel) -> Api:
    return api_on(fabric, channel)


@pytest.fixture(params=["sqlite", "postgres"])
def any_api(request: pytest.FixtureRequest) -> Api:
    """The fabric on SQLite, then on PostgreSQL, Redis and NATS (for the key flows)."""
    sqlite = request.param == "sqlite"
    host: Host = request.getfixturevalue("fabric" if sqlite else "pg_fabric")
    channel: grpc.aio.Channel = request.getfixturevalue("channel" if sqlite else "pg_channel")
    return api_on(host, channel)


@dataclass(frozen=True)
class Team:
    """People of one tenant, registered once for the tests that only need someone to act."""

    owner: Person
    bob: Person
    carol: Person
    dave: Person


@pytest.fixture(scope="module")
async def team(fabric: Host, channel: grpc.aio.Channel) -> Team:
    api = api_on(fabric, channel)
    owner = await api.sign_up()
    bob, carol, dave = [await api.colleague(owner) for _ in range(3)]
    return Team(owner, bob, carol, dave)


async def fails(call: Awaitable[Any], code: grpc.StatusCode) -> grpc.aio.AioRpcError:
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await call
    assert caught.value.code() is code, caught.value.details()
    return caught.value


# Workspaces


async def test_create_workspace_makes_the_caller_its_owner(any_api: Api) -> None:
    alice = await any_api.sign_up()
    created = await any_api.workspace(alice, "  Marketing  ")
    assert looks_like(created.id, "wsp")
    assert (created.name, created.tenant_id, created.created_by, created.my_role) == (
        "Marketing", alice.tenant_id, alice.user_id, OWNER,
    )  # fmt: skip
    assert created.created_at.ToDatetime(dt.UTC) <= dt.datetime.now(dt.UTC)
    assert await any_api.members(alice, created.id) == {alice.user_id: OWNER}
    got = await any_api.rpc(alice, "GetWorkspace", workspace_id=created.id)
    assert got.workspace == created


async def test_list_workspaces_shows_the_callers_with_their_role(api: Api) -> None:
    alice = await api.sign_up()
    bob = await api.colleague(alice)
    mine = [await api.workspace(alice, name) for name in ("One", "Two")]
    shared = await api.workspace(bob, "Bob's")
    await api.add_member(bob, shared.id, alice, EDITOR)
    await api.workspace(bob, "Private to Bob")

    listed = await api.rpc(alice, "ListWorkspaces")
    assert [(w.id, w.my_role) for w in listed.workspaces] == [
        (mine[0].id, OWNER), (mine[1].id, OWNER), (shared.id, EDITOR),
    ]  # fmt: skip
    stranger = await api.colleague(alice)
    assert list((await api.rpc(stranger, "ListWorkspaces")).workspaces) == []


@pytest.mark.parametrize(
    ("name", "problem"),
    [("", "is required"), ("   ", "is required"), ("x" * 201, "must be at most 200 characters"),
     ("nul\x00byte", "must not contain NUL characters"),
     ("line\nbreak", "must not contain control characters")],
    ids=["empty", "blank", "too-long", "nul", "newline"],
)  # fmt: skip
async def test_workspace_names_are_checked(api: Api, team: Team, name: str, problem: str) -> None:
    alice = team.owner
    err = await fails(
        api.rpc(alice, "CreateWorkspace", name=name), grpc.StatusCode.INVALID_ARGUMENT
    )
    assert field_violations(err) == {"name": problem}
    created = await api.workspace(alice)
    err = await fails(
        api.rpc(alice, "UpdateWorkspace", workspace_id=created.id, name=name),
        grpc.StatusCode.INVALID_ARGUMENT,
    )
    assert field_violations(err) == {"name": problem}
    got = await api.rpc(alice, "GetWorkspace", workspace_id=created.id)
    assert got.workspace.name == "Team"


async def test_a_name_of_200_characters_fits(api: Api, team: Team) -> None:
    assert (await api.workspace(team.owner, "é" * 200)).name == "é" * 200


async def test_each_role_can_do_what_it_should_and_no_more(api: Api, team: Team) -> None:
    owner = team.owner
    created = await api.workspace(owner)
    people = {READ_ONLY: team.bob, EDITOR: team.carol, CREATOR: team.dave}
    for role, person in people.items():
        await api.add_member(owner, created.id, person, role)

    table: dict[int, list[str]] = {}
    for role, person in people.items():
        on = {"workspace_id": created.id}
        table[role] = [
            await api.outcome(person, "GetWorkspace", **on),
            await api.outcome(person, "ListMembers", **on),
            await api.outcome(person, "UpdateWorkspace", name="New", **on),
            await api.outcome(person, "CreateBase", name="B", **on),
            await api.outcome(person, "ListInvitations", **on),
            await api.outcome(person, "DeleteWorkspace", **on),
        ]
    denied = "PERMISSION_DENIED"
    assert table == {
        READ_ONLY: [OK, OK, denied, denied, denied, denied],
        EDITOR: [OK, OK, denied, denied, denied, denied],
        CREATOR: [OK, OK, OK, OK, denied, denied],
    }
    got = await api.rpc(team.carol, "GetWorkspace", workspace_id=created.id)
    assert (got.workspace.name, got.workspace.my_role) == ("New", EDITOR)


async def test_someone_without_a_role_cannot_tell_the_workspace_exists(
    api: Api, team: Team
) -> None:
    created = await api.workspace(team.owner)
    stranger = team.bob
    for ws_id in (created.id, new_id("wsp")):
        on = {"workspace_id": ws_id}
        for method, fields in (
            ("GetWorkspace", on), ("UpdateWorkspace", {**on, "name": "x"}),
            ("DeleteWorkspace", on), ("ListMembers", on), ("ListBases", on),
        ):  # fmt: skip
            err = await fails(api.rpc(stranger, method, **fields), grpc.StatusCode.NOT_FOUND)
            assert err.details() == "workspace not found"


async def test_delete_workspace_removes_it_its_bases_and_its_grants(api: Api) -> None:
    owner = await api.sign_up()
    editor = await api.colleague(owner)
    created = await api.workspace(owner)
    await api.add_member(owner, created.id, editor, EDITOR)
    bases = [await api.base(owner, created.id, f"B{i}") for i in range(2)]
    used_before = await api.bases_used(owner)

    await api.rpc(owner, "DeleteWorkspace", workspace_id=created.id)

    for person in (owner, editor):
        await fails(
            api.rpc(person, "GetWorkspace", workspace_id=created.id), grpc.StatusCode.NOT_FOUND
        )
        assert list((await api.rpc(person, "ListWorkspaces")).workspaces) == []
        for base in bases:
            await fails(api.rpc(person, "GetBase", base_id=base.id), grpc.StatusCode.NOT_FOUND)
    grants = await api.permissions.ListGrants(
        perm.ListGrantsRequest(resource=perm.Resource(workspace_id=created.id)), metadata=owner.md
    )
    assert list(grants.grants) == []
    assert await api.bases_used(owner) == used_before - 2


# Members


async def test_update_member_changes_a_role_but_never_demotes_the_last_owner(
    api: Api, team: Team
) -> None:
    owner, bob = team.owner, team.bob
    created = await api.workspace(owner)
    await api.add_member(owner, created.id, bob, READ_ONLY)
    on = {"workspace_id": created.id}

    updated = await api.rpc(owner, "UpdateMember", **on, user_id=bob.user_id, role=CREATOR)
    assert (updated.member.user_id, updated.member.role) == (bob.user_id, CREATOR)
    err = await fails(
        api.rpc(owner, "UpdateMember", **on, user_id=owner.user_id, role=EDITOR),
        grpc.StatusCode.FAILED_PRECONDITION,
    )
    assert "last owner" in err.details()

    # With a second owner, the first may step down.
    await api.rpc(owner, "UpdateMember", **on, user_id=bob.user_id, role=OWNER)
    await api.rpc(owner, "UpdateMember", **on, user_id=owner.user_id, role=EDITOR)
    assert await api.members(bob, created.id) == {owner.user_id: EDITOR, bob.user_id: OWNER}
    await fails(
        api.rpc(owner, "UpdateMember", **on, user_id=bob.user_id, role=EDITOR),
        grpc.StatusCode.PERMISSION_DENIED,
    )


async def test_two_owners_demoting_each_other_at_once_leave_one_owner(any_api: Api) -> None:
    alice = await any_api.sign_up()
    bob = await any_api.colleague(alice)
    created = await any_api.workspace(alice)
    await any_api.add_member(alice, created.id, bob, OWNER)

    def demote(actor: Person, target: Person) -> Awaitable[str]:
        return any_api.outcome(
            actor, "UpdateMember", workspace_id=created.id, user_id=target.user_id, role=EDITOR
        )

    outcomes = await asyncio.gather(demote(alice, bob), demote(bob, alice))
    # The second sees either the last owner, or that it no longer is one itself.
    assert sorted(outcomes) in ([OK, "PERMISSION_DENIED"], ["FAILED_PRECONDITION", OK])
    roles = await any_api.members(alice, created.id)
    assert sorted(roles.values()) == [EDITOR, OWNER]


@pytest.mark.parametrize(
    ("user_id", "role", "code", "field"),
    [("", EDITOR, grpc.StatusCode.INVALID_ARGUMENT, "user_id"),
     (None, NO_ROLE, grpc.StatusCode.INVALID_ARGUMENT, "role"),
     (None, 42, grpc.StatusCode.INVALID_ARGUMENT, "role"),
     ("usr" + "Z" * 14, EDITOR, grpc.StatusCode.NOT_FOUND, None),
     ("x" * 10_000, EDITOR, grpc.StatusCode.NOT_FOUND, None)],
    ids=["no-user", "no-role", "unknown-role", "not-a-member", "huge-id"],
)  # fmt: skip
async def test_update_member_rejects_bad_input(
    api: Api,
    team: Team,
    user_id: str | None,
    role: int,
    code: grpc.StatusCode,
    field: str | None,
) -> None:
    owner, bob = team.owner, team.bob
    created = await api.workspace(owner)
    await api.add_member(owner, created.id, bob, EDITOR)
    target = bob.user_id if user_id is None else user_id
    err = await fails(
        api.rpc(owner, "UpdateMember", workspace_id=created.id, user_id=target, role=role), code
    )
    if field:
        assert field in field_violations(err)
    assert len(err.details()) < 200
    assert await api.members(owner, created.id) == {owner.user_id: OWNER, bob.user_id: EDITOR}


async def test_members_leave_owners_remove_and_the_last_owner_stays(api: Api, team: Team) -> None:
    owner, bob, carol = team.owner, team.bob, team.carol
    created = await api.workspace(owner)
    await api.add_member(owner, created.id, bob, EDITOR)
    await api.add_member(owner, created.id, carol, EDITOR)
    on = {"workspace_id": created.id}

    # An editor may not remove someone else, but may leave.
    await fails(
        api.rpc(bob, "RemoveMember", **on, user_id=carol.user_id), grpc.StatusCode.PERMISSION_DENIED
    )
    await api.rpc(bob, "RemoveMember", **on, user_id=bob.user_id)
    await fails(api.rpc(bob, "GetWorkspace", **on), grpc.StatusCode.NOT_FOUND)
    # The owner removes carol; removing her again finds no such member.
    await api.rpc(owner, "RemoveMember", **on, user_id=carol.user_id)
    await fails(
        api.rpc(owner, "RemoveMember", **on, user_id=carol.user_id), grpc.StatusCode.NOT_FOUND
    )
    err = await fails(
        api.rpc(owner, "RemoveMember", **on, user_id=owner.user_id),
        grpc.StatusCode.FAILED_PRECONDITION,
    )
    assert "last owner" in err.details()
    assert await api.members(owner, created.id) == {owner.user_id: OWNER}
    # Someone who is no member cannot learn the workspace exists by trying to leave it.
    err = await fails(
        api.rpc(bob, "RemoveMember", **on, user_id=bob.user_id), grpc.StatusCode.NOT_FOUND
    )
    assert err.details() == "workspace not found"


# Invitations


async def test_inviting_a_tenant_user_who_accepts_and_gets_the_role(any_api: Api) -> None:
    api = any_api
    owner = await api.sign_up()
    bob = await api.colleague(owner)
    created = await api.workspace(owner, "Ops")
    on = {"workspace_id": created.id}

    invited = await api.invite(owner, created.id, f"  {bob.email.upper()} ", EDITOR)
    invitation = invited.invitation
    assert invited.signup_token == ""
    assert looks_like(invitation.id, "ivt")
    shown = (invitation.email, invitation.role, invitation.invited_by, invitation.workspace_name)
    assert shown == (bob.email, EDITOR, owner.user_id, "Ops")
    valid_for = invitation.expires_at.ToDatetime() - invitation.created_at.ToDatetime()
    assert valid_for == dt.timedelta(days=7)

    again = api.invite(owner, created.id, bob.email, READ_ONLY)
    await fails(again, grpc.StatusCode.ALREADY_EXISTS)
    assert list((await api.rpc(owner, "ListInvitations", **on)).invitations) == [invitation]
    assert list((await api.rpc(bob, "ListMyInvitations")).invitations) == [invitation]

    # Only the invitee can accept; to anyone else it does not exist.
    carol = await api.colleague(owner)
    accept = {"invitation_id": invitation.id}
    for someone_else in (carol, owner):
        await fails(api.rpc(someone_else, "AcceptInvitation", **accept), grpc.StatusCode.NOT_FOUND)

    accepted = await api.rpc(bob, "AcceptInvitation", **accept)
    assert (accepted.workspace.id, accepted.workspace.my_role) == (created.id, EDITOR)
    assert (accepted.member.user_id, accepted.member.role) == (bob.user_id, EDITOR)
    assert (await api.rpc(bob, "GetWorkspace", **on)).workspace.my_role == EDITOR
    assert await api.outcome(bob, "CreateBase", **on, name="B") == "PERMISSION_DENIED"

    await fails(api.rpc(bob, "AcceptInvitation", **accept), grpc.StatusCode.FAILED_PRECONDITION)
    assert list((await api.rpc(owner, "ListInvitations", **on)).invitations) == []
    assert list((await api.rpc(bob, "ListMyInvitations")).invitations) == []
    # A member is not invited again.
    err = await fails(
        api.invite(owner, created.id, bob.email, EDITOR), grpc.StatusCode.ALREADY_EXISTS
    )
    assert "member" in err.details()


async def test_inviting_someone_new_gives_a_signup_token_that_lands_them_in_the_tenant(
    any_api: Api,
) -> None:
    api = any_api
    owner = await api.sign_up()
    created = await api.workspace(owner)
    email = new_email()
    invited = await api.invite(owner, created.id, email, CREATOR)
    assert invited.signup_token

    newcomer = await api.sign_up(email, invited.signup_token)
    assert newcomer.tenant_id == owner.tenant_id
    mine = await api.rpc(newcomer, "ListMyInvitations")
    assert [i.id for i in mine.invitations] == [invited.invitation.id]
    accepted = await api.rpc(newcomer, "AcceptInvitation", invitation_id=invited.invitation.id)
    assert accepted.member.role == CREATOR
    base = await api.base(newcomer, created.id)
    got = await api.rpc(owner, "GetBase", base_id=base.id)
    assert (got.base.workspace_id, got.base.created_by) == (created.id, newcomer.user_id)


async def test_accepting_never_lowers_a_role_already_held(api: Api, team: Team) -> None:
    owner, bob = team.owner, team.bob
    created = await api.workspace(owner)
    invited = await api.invite(owner, created.id, bob.email, READ_ONLY)
    # Made owner another way while the invitation was pending.
    await api.grant(owner, bob, OWNER, workspace_id=created.id)
    accepted = await api.rpc(bob, "AcceptInvitation", invitation_id=invited.invitation.id)
    assert accepted.member.role == OWNER
    assert (await api.members(owner, created.id))[bob.user_id] == OWNER


async def test_a_revoked_invitation_can_no_longer_be_accepted_nor_signed_up_with(
    api: Api, team: Team
) -> None:
    owner = team.owner
    created = await api.workspace(owner)
    email = new_email()
    first = await api.invite(owner, created.id, email, EDITOR)
    revoke = {"workspace_id": created.id, "invitation_id": first.invitation.id}
    await api.rpc(owner, "RevokeInvitation", **revoke)
    await fails(api.rpc(owner, "RevokeInvitation", **revoke), grpc.StatusCode.NOT_FOUND)
    listed = await api.rpc(owner, "ListInvitations", workspace_id=created.id)
    assert list(listed.invitations) == []
    # The tenant invitation made with it went too.
    with pytest.raises(grpc.aio.AioRpcError):
        await api.sign_up(email, first.signup_token)

    # Invited again, they sign up and find the old invitation spent.
    second = await api.invite(owner, created.id, email, EDITOR)
    newcomer = await api.sign_up(email, second.signup_token)
    await fails(
        api.rpc(newcomer, "AcceptInvitation", invitation_id=first.invitation.id),
        grpc.StatusCode.FAILED_PRECONDITION,
    )
    await api.rpc(newcomer, "AcceptInvitation", invitation_id=second.invitation.id)


@pytest.mark.parametrize(
    ("email", "role", "field"),
    [("", EDITOR, "email"), ("not-an-email", EDITOR, "email"), ("a@b", EDITOR, "email"),
     ("nul\x00@example.com", EDITOR, "email"), ("x" * 300 + "@example.com", EDITOR, "email"),
     ("ok@example.com", NO_ROLE, "role"), ("ok@example.com", 9, "role")],
    ids=["empty", "no-at", "no-dot", "nul", "too-long", "no-role", "unknown-role"],
)  # fmt: skip
async def test_create_invitation_rejects_bad_input(
    api: Api, team: Team, email: str, role: int, field: str
) -> None:
    created = await api.workspace(team.owner)
    err = await fails(
        api.invite(team.owner, created.id, email, role), grpc.StatusCode.INVALID_ARGUMENT
    )
    assert field in field_violations(err)
    assert len(err.details()) < 200


async def test_only_owners_invite_list_and_revoke_invitations(api: Api, team: Team) -> None:
    owner, creator = team.owner, team.bob
    created = await api.workspace(owner)
    await api.add_member(owner, created.id, creator, CREATOR)
    invited = await api.invite(owner, created.id, new_email(), READ_ONLY)
    on = {"workspace_id": created.id}
    assert [
        await api.outcome(creator, "CreateInvitation", **on, email=new_email(), role=READ_ONLY),
        await api.outcome(creator, "ListInvitations", **on),
        await api.outcome(creator, "RevokeInvitation", **on, invitation_id=invited.invitation.id),
    ] == ["PERMISSION_DENIED"] * 3
    listed = await api.rpc(owner, "ListInvitations", **on)
    assert [i.id for i in listed.invitations] == [invited.invitation.id]


@pytest.mark.parametrize(
    "invitation_id", ["", "ivt", "ivt" + "Z" * 14, "x" * 10_000],
    ids=["empty", "short", "unknown", "huge"],
)  # fmt: skip
async def test_accept_and_revoke_with_bad_invitation_ids(
    api: Api, team: Team, invitation_id: str
) -> None:
    owner = team.owner
    created = await api.workspace(owner)
    code = grpc.StatusCode.INVALID_ARGUMENT if not invitation_id else grpc.StatusCode.NOT_FOUND
    await fails(api.rpc(owner, "AcceptInvitation", invitation_id=invitation_id), code)
    await fails(
        api.rpc(owner, "RevokeInvitation", workspace_id=created.id, invitation_id=invitation_id),
        code,
    )


# Bases


async def test_bases_are_registered_in_their_workspace(any_api: Api) -> None:
    api = any_api
    owner = await api.sign_up()
    created = await api.workspace(owner)
    other = await api.workspace(owner, "Other")
    base = await api.base(owner, created.id, "  CRM ")
    assert looks_like(base.id, "app")
    assert (base.name, base.workspace_id, base.tenant_id, base.created_by, base.my_role) == (
        "CRM", created.id, owner.tenant_id, owner.user_id, OWNER,
    )  # fmt: skip
    await api.base(owner, other.id, "Elsewhere")
    assert (await api.rpc(owner, "GetBase", base_id=base.id)).base == base
    assert list((await api.rpc(owner, "ListBases", workspace_id=created.id)).bases) == [base]

    await api.rpc(owner, "DeleteBase", base_id=base.id)
    await fails(api.rpc(owner, "GetBase", base_id=base.id), grpc.StatusCode.NOT_FOUND)
    await fails(api.rpc(owner, "DeleteBase", base_id=base.id), grpc.StatusCode.NOT_FOUND)
    assert list((await api.rpc(owner, "ListBases", workspace_id=created.id)).bases) == []


async def test_base_roles_follow_the_workspace_and_base_grants(api: Api, team: Team) -> None:
    owner, creator, reader, guest = team.owner, team.bob, team.carol, team.dave
    created = await api.workspace(owner)
    await api.add_member(owner, created.id, creator, CREATOR)
    await api.add_member(owner, created.id, reader, READ_ONLY)
    shown = await api.base(creator, created.id, "Shown")
    hidden = await api.base(owner, created.id, "Hidden")
    # The guest has a role on one base only, and the reader a stronger one there.
    await api.grant(owner, guest, EDITOR, workspace_id=created.id, base_id=shown.id)
    await api.grant(owner, reader, CREATOR, workspace_id=created.id, base_id=shown.id)

    async def bases_of(person: Person) -> list[tuple[str, int]]:
        listed = await api.rpc(person, "ListBases", workspace_id=created.id)
        return [(b.id, b.my_role) for b in listed.bases]

    assert await bases_of(reader) == [(shown.id, CREATOR), (hidden.id, READ_ONLY)]
    assert await bases_of(guest) == [(shown.id, EDITOR)]
    # The guest sees the workspace, without a role on it, and only the base they were given.
    listed = await api.rpc(guest, "ListWorkspaces")
    assert {w.id: w.my_role for w in listed.workspaces}[created.id] == NO_ROLE
    got = await api.rpc(guest, "GetWorkspace", workspace_id=created.id)
    assert got.workspace.my_role == NO_ROLE
    assert (await api.rpc(guest, "GetBase", base_id=shown.id)).base.my_role == EDITOR
    await fails(api.rpc(guest, "GetBase", base_id=hidden.id), grpc.StatusCode.NOT_FOUND)
    # What they can see but may not do is denied, not hidden.
    assert [
        await api.outcome(guest, "UpdateWorkspace", workspace_id=created.id, name="x"),
        await api.outcome(guest, "ListMembers", workspace_id=created.id),
        await api.outcome(guest, "DeleteBase", base_id=shown.id),
        await api.outcome(creator, "DeleteBase", base_id=shown.id),
        await api.outcome(guest, "DeleteBase", base_id=hidden.id),
    ] == ["PERMISSION_DENIED"] * 4 + ["NOT_FOUND"]
    # Nor can they leave a workspace they are no member of, though they see it.
    err = await fails(
        api.rpc(guest, "RemoveMember", workspace_id=created.id, user_id=guest.user_id),
        grpc.StatusCode.NOT_FOUND,
    )
    assert err.details() == "member not found"


async def test_the_free_plan_stops_at_its_base_quota_and_deleting_makes_room(api: Api) -> None:
    owner = await api.sign_up()
    created = await api.workspace(owner)
    bases = [await api.base(owner, created.id, f"B{i}") for i in range(FREE_PLAN_BASES)]
    assert await api.bases_used(owner) == FREE_PLAN_BASES
    err = await fails(
        api.rpc(owner, "CreateBase", workspace_id=created.id, name="One too many"),
        grpc.StatusCode.RESOURCE_EXHAUSTED,
    )
    assert "10" in err.details()
    listed = await api.rpc(owner, "ListBases", workspace_id=created.id)
    assert len(listed.bases) == FREE_PLAN_BASES

    await api.rpc(owner, "DeleteBase", base_id=bases[0].id)
    assert await api.bases_used(owner) == FREE_PLAN_BASES - 1
    await api.base(owner, created.id, "Fits again")
    # Each base is counted once, though its event records it a second time.
    await base_events_handled(api)
    assert await api.bases_used(owner) == FREE_PLAN_BASES


async def base_events_handled(api: Api) -> None:
    """Wait until workspace-service has handled every BaseChanged event committed so far.

    It handles them in the order they are published, so once they all are, a sentinel
    published after them (a base counted for a newcomer's tenant) is handled after them.
    """
    runtime = api.host.runtime
    assert runtime is not None
    base_changed = events_pb2.BaseChanged.DESCRIPTOR.full_name
    unpublished = select(OutboxRow.seq).where(
        OutboxRow.event_type == base_changed, OutboxRow.published_at.is_(None)
    )

    async def any_unpublished() -> bool:
        async with runtime.db.read() as session:
            return await session.scalar(unpublished.limit(1)) is not None

    deadline = time.monotonic() + 20
    while await any_unpublished():
        assert time.monotonic() < deadline, "BaseChanged events still unpublished after 20 s"
        await asyncio.sleep(0.02)
    newcomer = await api.sign_up()
    sentinel = events_pb2.BaseChanged(
        tenant_id=newcomer.tenant_id,
        actor_id=newcomer.user_id,
        base_id=new_id("app"),
        change="created",
    )
    event = events_pb2.Event(
        id=new_id("evt"), type=base_changed, tenant_id=newcomer.tenant_id, source="test"
    )
    event.payload.Pack(sentinel)
    await runtime.bus.publish(event)
    while await api.bases_used(newcomer) != 1:
        assert time.monotonic() < deadline, "the sentinel BaseChanged was not handled in 20 s"
        await asyncio.sleep(0.02)


@pytest.mark.parametrize(
    "base_id", ["", "app", "app" + "Z" * 14, "wsp" + "Z" * 14, "../../etc", "x" * 10_000],
    ids=["empty", "short", "unknown", "wrong-prefix", "path", "huge"],
)  # fmt: skip
async def test_get_and_delete_base_with_bad_ids(api: Api, team: Team, base_id: str) -> None:
    code = grpc.StatusCode.INVALID_ARGUMENT if not base_id else grpc.StatusCode.NOT_FOUND
    for method in ("GetBase", "DeleteBase"):
        err = await fails(api.rpc(team.owner, method, base_id=base_id), code)
        assert len(err.details()) < 200


@pytest.mark.parametrize(
    "workspace_id", ["", "wsp", "wsp" + "%" * 14, "app" + "Z" * 14, "x" * 10_000],
    ids=["empty", "short", "bad-chars", "wrong-prefix", "huge"],
)  # fmt: skip
async def test_workspace_rpcs_with_bad_ids(api: Api, team: Team, workspace_id: str) -> None:
    code = grpc.StatusCode.INVALID_ARGUMENT if not workspace_id else grpc.StatusCode.NOT_FOUND
    on = {"workspace_id": workspace_id}
    for method, fields in (
        ("GetWorkspace", on), ("CreateBase", {**on, "name": "B"}), ("ListMembers", on),
        ("CreateInvitation", {**on, "email": "a@example.com", "role": EDITOR}),
        # An empty workspace id lists the bases of every workspace instead.
        *([("ListBases", on)] if workspace_id else []),
    ):  # fmt: skip
        err = await fails(api.rpc(team.owner, method, **fields), code)
        assert len(err.details()) < 200


async def test_list_bases_without_a_workspace_lists_every_readable_base(api: Api) -> None:
    owner = await api.sign_up()
    first, second = await api.workspace(owner), await api.workspace(owner)
    bases = [await api.base(owner, first.id), await api.base(owner, second.id)]
    listed = (await api.rpc(owner, "ListBases", workspace_id="")).bases
    assert sorted(b.id for b in listed) == sorted(b.id for b in bases)
    # Someone else in the tenant with no role anywhere sees none of them.
    colleague = await api.colleague(owner)
    assert not (await api.rpc(colleague, "ListBases", workspace_id="")).bases


# Tenancy and identity


async def test_another_tenant_finds_nothing_by_any_id(any_api: Api) -> None:
    api = any_api
    alice = await api.sign_up()
    mallory = await api.sign_up()  # a tenant of her own
    assert mallory.tenant_id != alice.tenant_id
    created = await api.workspace(alice)
    base = await api.base(alice, created.id)
    invited = await api.invite(alice, created.id, mallory.email, OWNER)

    def attempts(ws: str, app: str, ivt: str) -> list[tuple[str, dict[str, Any]]]:
        on = {"workspace_id": ws}
        return [
            ("GetWorkspace", on), ("UpdateWorkspace", {**on, "name": "pwned"}),
            ("DeleteWorkspace", on), ("ListMembers", on),
            ("UpdateMember", {**on, "user_id": alice.user_id, "role": READ_ONLY}),
            ("RemoveMember", {**on, "user_id": alice.user_id}),
            ("RemoveMember", {**on, "user_id": mallory.user_id}),
            ("CreateInvitation", {**on, "email": mallory.email, "role": OWNER}),
            ("ListInvitations", on), ("RevokeInvitation", {**on, "invitation_id": ivt}),
            ("AcceptInvitation", {"invitation_id": ivt}),
            ("CreateBase", {**on, "name": "pwned"}), ("ListBases", on),
            ("GetBase", {"base_id": app}), ("DeleteBase", {"base_id": app}),
        ]  # fmt: skip

    real = attempts(created.id, base.id, invited.invitation.id)
    made_up = attempts(new_id("wsp"), new_id("app"), new_id("ivt"))
    for (method, theirs), (_, nobodys) in zip(real, made_up, strict=True):
        err = await fails(api.rpc(mallory, method, **theirs), grpc.StatusCode.NOT_FOUND)
        same = await fails(api.rpc(mallory, method, **nobodys), grpc.StatusCode.NOT_FOUND)
        assert err.details() == same.details(), method

    assert not (await api.rpc(mallory, "ListWorkspaces")).workspaces
    assert not (await api.rpc(mallory, "ListMyInvitations")).invitations
    # Everything of alice's is as it was.
    on = {"workspace_id": created.id}
    assert (await api.rpc(alice, "GetWorkspace", **on)).workspace.name == "Team"
    assert await api.members(alice, created.id) == {alice.user_id: OWNER}
    assert [b.id for b in (await api.rpc(alice, "ListBases", **on)).bases] == [base.id]
    pending = await api.rpc(alice, "ListInvitations", **on)
    assert [i.id for i in pending.invitations] == [invited.invitation.id]


@pytest.mark.parametrize(
    "metadata",
    [(), (("authorization", "Bearer not-a-token"),), (("authorization", "Basic dXNlcjpwYXNz"),)],
    ids=["none", "garbage-bearer", "basic"],
)  # fmt: skip
async def test_every_rpc_needs_a_verified_caller(api: Api, metadata: Metadata) -> None:
    nobody = Person("", "", "", metadata)
    ws_id, base_id = new_id("wsp"), new_id("app")
    for method, fields in (
        ("CreateWorkspace", {"name": "x"}), ("ListWorkspaces", {}),
        ("GetWorkspace", {"workspace_id": ws_id}), ("ListMyInvitations", {}),
        ("CreateBase", {"workspace_id": ws_id, "name": "x"}), ("GetBase", {"base_id": base_id}),
    ):  # fmt: skip
        await fails(api.rpc(nobody, method, **fields), grpc.StatusCode.UNAUTHENTICATED)


async def test_changes_emit_events_through_the_outbox(api: Api) -> None:
    owner = await api.sign_up()
    created = await api.workspace(owner)
    on = {"workspace_id": created.id}
    await api.rpc(owner, "UpdateWorkspace", **on, name="Renamed")
    base = await api.base(owner, created.id)
    await api.rpc(owner, "DeleteBase", base_id=base.id)
    invited = await api.invite(owner, created.id, new_email(), EDITOR)
    await api.rpc(owner, "RevokeInvitation", **on, invitation_id=invited.invitation.id)
    await api.rpc(owner, "DeleteWorkspace", **on)

    assert api.host.runtime is not None
    async with api.host.runtime.db.read() as session:
        query = select(OutboxRow.payload).where(OutboxRow.tenant_id == owner.tenant_id)
        payloads = (await session.execute(query.order_by(OutboxRow.seq))).scalars().all()
    kinds = (
        events_pb2.WorkspaceChanged,
        events_pb2.BaseChanged,
        events_pb2.WorkspaceInvitationChanged,
    )
    seen = []
    for event in map(events_pb2.Event.FromString, payloads):
        for kind in kinds:
            if event.source == "workspace" and event.type == kind.DESCRIPTOR.full_name:
                message = kind()
                event.payload.Unpack(message)
                assert (message.actor_id, message.tenant_id) == (owner.user_id, owner.tenant_id)
                seen.append((kind.__name__, message.change))
    assert seen == [
        ("WorkspaceChanged", "created"), ("WorkspaceChanged", "updated"),
        ("BaseChanged", "created"), ("BaseChanged", "deleted"),
        ("WorkspaceInvitationChanged", "created"), ("WorkspaceInvitationChanged", "revoked"),
        ("WorkspaceChanged", "deleted"),
    ]  # fmt: skip


async def test_nothing_is_left_behind_when_a_service_it_needs_fails(start_host: StartHost) -> None:
    caller = Person(new_id("usr"), new_id("ten"), "", ())
    headers = caller_metadata(caller.tenant_id, caller.user_id)
    caller = Person(caller.user_id, caller.tenant_id, "", headers)
    # Without permission-service the owner cannot be granted: no ownerless workspace stays.
    alone = await start_host([workspace.SERVICE])
    async with grpc.aio.insecure_channel(alone.address) as channel:
        api = api_on(alone, channel)
        await fails(api.rpc(caller, "CreateWorkspace", name="W"), grpc.StatusCode.UNIMPLEMENTED)
    assert alone.runtime is not None
    async with alone.runtime.db.read() as session:
        assert (await session.execute(select(Workspace))).first() is None

    # Without tenant-service the base quota cannot be checked: no base is made.
    host = await start_host([permission.SERVICE, workspace.SERVICE])
    async with grpc.aio.insecure_channel(host.address) as channel:
        api = api_on(host, channel)
        created = await api.workspace(caller)
        await fails(
            api.rpc(caller, "CreateBase", workspace_id=created.id, name="B"),
            grpc.StatusCode.UNIMPLEMENTED,
        )
        assert not (await api.rpc(caller, "ListBases", workspace_id=created.id)).bases
    assert host.runtime is not None
    async with host.runtime.db.read() as session:
        assert (await session.execute(select(BaseEntry))).first() is None
