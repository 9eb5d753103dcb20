"""Invitations by email to a workspace: create, list, revoke, and accept by the invitee.

Someone with no account in the tenant yet also gets a tenant invitation (tenant-service),
whose token they register with; they then accept the workspace invitation like anyone else.
"""

from __future__ import annotations

import datetime as dt
import logging
from typing import Any, cast

import grpc
from pyat.events.v1 import events_pb2
from pyat.permission.v1 import permission_pb2
from pyat.tenant.v1 import tenant_pb2, tenant_pb2_grpc
from pyat.user.v1 import user_pb2, user_pb2_grpc
from pyat.workspace.v1 import workspace_pb2
from sqlalchemy import CursorResult, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from services.shared.clients import translate
from services.shared.db import utcnow
from services.shared.emails import normalize_email
from services.shared.errors import (
    AlreadyExists,
    FailedPrecondition,
    NotFound,
    PermissionDenied,
)
from services.shared.identity import Caller
from services.shared.ids import looks_like, new_id
from services.shared.outbox import add_event
from services.shared.runtime import Runtime
from services.workspace import inputs, messages
from services.workspace.access import Permissions, Resource, workspace_resource
from services.workspace.members import Members, grant_of
from services.workspace.storage import (
    ACCEPTED,
    EXPIRED,
    PENDING,
    REVOKED,
    Invitation,
    invitation_in_tenant,
    latest_tenant_invitation,
    pending_invitations,
)
from services.workspace.workspaces import SOURCE, Workspaces, workspace_not_found

log = logging.getLogger("pyat.workspace")

VALID_FOR = dt.timedelta(days=7)


def invitation_not_found() -> NotFound:
    return NotFound("invitation not found", reason="INVITATION_NOT_FOUND")


class Invitations:
    def __init__(
        self,
        runtime: Runtime,
        permissions: Permissions,
        workspaces: Workspaces,
        members: Members,
    ) -> None:
        self.runtime = runtime
        self.permissions = permissions
        self.workspaces = workspaces
        self.members = members
        self.users = user_pb2_grpc.UserServiceStub(runtime.clients.channel("user"))
        self.tenants = tenant_pb2_grpc.TenantServiceStub(runtime.clients.channel("tenant"))

    async def create(
        self, caller: Caller, workspace_id: str, email: str, role: int
    ) -> tuple[workspace_pb2.Invitation, str]:
        """The new invitation, and the signup token when the email has no account here."""
        email = normalize_email(email)
        invited_role = inputs.role(role)
        workspace = await self.workspaces.load(caller, workspace_id)
        resource = workspace_resource(workspace.id)
        my_role = await self.permissions.authorize(
            caller, permission_pb2.ACTION_MANAGE_MEMBERS, resource, hidden=workspace_not_found()
        )
        if invited_role > my_role:
            raise PermissionDenied(
                "you cannot invite with a role above your own", reason="ROLE_TOO_HIGH"
            )
        now = utcnow()
        async with self.runtime.db.read() as session:
            if await pending_invitations(
                session, caller.tenant_id, now, workspace_id=workspace.id, email=email
            ):
                raise _already_invited()

        signup_token, tenant_invitation_id = "", None
        user = await self._tenant_user(email)
        if user is not None:
            if any(g.subject_id == user.id for g in await self.permissions.grants_on(resource)):
                raise AlreadyExists("they are already a member", reason="ALREADY_MEMBER")
        else:
            signup_token, tenant_invitation_id = await self._invite_to_tenant(email)

        row = Invitation(
            id=new_id("ivt"),
            tenant_id=caller.tenant_id,
            workspace_id=workspace.id,
            email=email,
            role=invited_role,
            invited_by=caller.user_id,
            created_at=now,
            expires_at=now + VALID_FOR,
            status=PENDING,
            tenant_invitation_id=tenant_invitation_id,
        )
        try:
            async with self.runtime.db.transaction() as session:
                # An expired invitation to the same email makes way for the new one.
                await session.execute(
                    update(Invitation)
                    .where(
                        Invitation.workspace_id == workspace.id,
                        Invitation.email == email,
                        Invitation.status == PENDING,
                        Invitation.expires_at <= now,
                    )
                    .values(status=EXPIRED, closed_at=now),
                    execution_options={"synchronize_session": False},
                )
                session.add(row)
                await session.flush()
                _event(session, caller, row, "created")
        except IntegrityError:
            # Another invitation to this email was made at the same moment. The tenant
            # invitation stays: it replaced the other one's, so it is the one that works.
            raise _already_invited() from None
        self.runtime.outbox.notify()
        return messages.invitation(row, workspace.name), signup_token

    async def of_workspace(
        self, caller: Caller, workspace_id: str
    ) -> list[workspace_pb2.Invitation]:
        workspace = await self.workspaces.load(caller, workspace_id)
        await self.permissions.authorize(
            caller,
            permission_pb2.ACTION_MANAGE_MEMBERS,
            workspace_resource(workspace.id),
            hidden=workspace_not_found(),
        )
        async with self.runtime.db.read() as session:
            rows = await pending_invitations(
                session, caller.tenant_id, utcnow(), workspace_id=workspace.id
            )
        return [messages.invitation(row, name) for row, name in rows]

    async def revoke(self, caller: Caller, workspace_id: str, invitation_id: str) -> None:
        inputs.required(invitation_id, "invitation_id")
        workspace = await self.workspaces.load(caller, workspace_id)
        await self.permissions.authorize(
            caller,
            permission_pb2.ACTION_MANAGE_MEMBERS,
            workspace_resource(workspace.id),
            hidden=workspace_not_found(),
        )
        now = utcnow()
        async with self.runtime.db.transaction() as session:
            row = await self._find(session, caller, invitation_id)
            if row is None or row.workspace_id != workspace.id or not _open(row, now):
                raise invitation_not_found()
            if not await _close(session, row, REVOKED, caller, now):
                raise invitation_not_found()  # accepted or revoked a moment ago
            _event(session, caller, row, "revoked")
            # The tenant invitation goes too, unless another invitation still relies on it.
            still_pending = await pending_invitations(
                session, caller.tenant_id, now, email=row.email
            )
            tenant_invitation_id = None
            if not still_pending:
                tenant_invitation_id = await latest_tenant_invitation(
                    session, caller.tenant_id, row.email
                )
        self.runtime.outbox.notify()
        if tenant_invitation_id is not None:
            await self._revoke_tenant_invitation(tenant_invitation_id)

    async def mine(self, caller: Caller) -> list[workspace_pb2.Invitation]:
        email = await self._email_of_caller()
        async with self.runtime.db.read() as session:
            rows = await pending_invitations(session, caller.tenant_id, utcnow(), email=email)
        return [messages.invitation(row, name) for row, name in rows]

    async def accept(
        self, caller: Caller, invitation_id: str
    ) -> tuple[workspace_pb2.Workspace, workspace_pb2.Member]:
        inputs.required(invitation_id, "invitation_id")
        email = await self._email_of_caller()
        now = utcnow()
        async with self.runtime.db.read() as session:
            row = await self._find(session, caller, invitation_id)
        if row is None or row.email != email:
            raise invitation_not_found()
        if row.status != PENDING:
            raise FailedPrecondition(
                f"this invitation was {row.status}", reason="INVITATION_CLOSED"
            )
        if row.expires_at <= now:
            raise FailedPrecondition("this invitation has expired", reason="INVITATION_EXPIRED")

        async with self.members.changing(caller, row.workspace_id) as workspace:
            resource = workspace_resource(workspace.id)
            before = grant_of(await self.permissions.grants_on(resource), caller.user_id)
            # Never lower a role the invitee already has.
            if before is not None and before.role >= row.role:
                grant = before
            else:
                invited_role = cast("permission_pb2.Role", row.role)
                grant = await self.permissions.grant(caller.user_id, resource, invited_role)
            # Granted, then spent with its event: a crash in between leaves it pending, and
            # accepting again finishes the job.
            try:
                async with self.runtime.db.transaction() as session:
                    if not await _close(session, row, ACCEPTED, caller, now):
                        raise FailedPrecondition(
                            "this invitation was just closed", reason="INVITATION_CLOSED"
                        )
                    _event(session, caller, row, "accepted")
            except Exception:
                if grant is not before:
                    await self._restore(caller.user_id, resource, before)
                raise
        self.runtime.outbox.notify()
        return messages.workspace(workspace, grant.role), messages.member(grant)

    async def _restore(
        self, user_id: str, resource: Resource, before: permission_pb2.Grant | None
    ) -> None:
        """Put back the role a failed acceptance replaced."""
        if before is None:
            await self.permissions.revoke(user_id, resource)
        else:
            await self.permissions.grant(user_id, resource, before.role)

    async def _find(
        self, session: AsyncSession, caller: Caller, invitation_id: str
    ) -> Invitation | None:
        if not looks_like(invitation_id, "ivt"):
            return None
        return await invitation_in_tenant(session, caller.tenant_id, invitation_id)

    async def _email_of_caller(self) -> str:
        try:
            me = await self.users.GetMe(user_pb2.GetMeRequest())
        except grpc.aio.AioRpcError as err:
            raise translate("user-service", err) from None
        return me.user.email.strip().lower()

    async def _tenant_user(self, email: str) -> user_pb2.User | None:
        """The user of the caller's tenant with this email, if there is one."""
        try:
            answer = await self.users.ListUsers(user_pb2.ListUsersRequest(email=email, page_size=1))
        except grpc.aio.AioRpcError as err:
            raise translate("user-service", err) from None
        return next((u for u in answer.users if u.email.lower() == email), None)

    async def _invite_to_tenant(self, email: str) -> tuple[str, str]:
        """A tenant invitation's token and id. tenant-service replaces an older pending one
        to the same email, so the newest token is the one that works."""
        request = tenant_pb2.CreateInvitationRequest(
            email=email, role=tenant_pb2.TENANT_ROLE_MEMBER
        )
        try:
            answer = await self.tenants.CreateInvitation(request)
        except grpc.aio.AioRpcError as err:
            if err.code() is grpc.StatusCode.PERMISSION_DENIED:
                raise PermissionDenied(
                    "only the tenant's owners and admins can invite someone who has no "
                    "account in it yet",
                    reason="TENANT_INVITE_DENIED",
                ) from None
            raise translate("tenant-service", err) from None
        return answer.token, answer.invitation.id

    async def _revoke_tenant_invitation(self, tenant_invitation_id: str) -> None:
        request = tenant_pb2.RevokeInvitationRequest(invitation_id=tenant_invitation_id)
        try:
            await self.tenants.RevokeInvitation(request)
        except grpc.aio.AioRpcError as err:
            # The tenant's admins can still revoke it; nothing here depends on it.
            log.info("tenant invitation left pending: %s", translate("tenant-service", err).message)


def _already_invited() -> AlreadyExists:
    return AlreadyExists(
        "a pending invitation to this email exists already", reason="ALREADY_INVITED"
    )


def _open(row: Invitation, now: dt.datetime) -> bool:
    return row.status == PENDING and row.expires_at > now


async def _close(
    session: AsyncSession, row: Invitation, status: str, caller: Caller, now: dt.datetime
) -> bool:
    """Move a pending invitation to `status`; False when someone else closed it first."""
    result = await session.execute(
        update(Invitation)
        .where(Invitation.id == row.id, Invitation.status == PENDING)
        .values(status=status, closed_by=caller.user_id, closed_at=now),
        execution_options={"synchronize_session": False},
    )
    return cast("CursorResult[Any]", result).rowcount == 1


def _event(session: AsyncSession, caller: Caller, row: Invitation, change: str) -> None:
    add_event(
        session,
        events_pb2.WorkspaceInvitationChanged(
            tenant_id=caller.tenant_id,
            workspace_id=row.workspace_id,
            invitation_id=row.id,
            email=row.email,
            change=change,
            actor_id=caller.user_id,
        ),
        tenant_id=caller.tenant_id,
        source=SOURCE,
    )
