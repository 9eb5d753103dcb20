"""Workspaces in a tenant: create (with the caller as owner), list, get, rename and delete."""

from __future__ import annotations

import asyncio
import logging

from pyat.events.v1 import events_pb2
from pyat.permission.v1 import permission_pb2
from pyat.workspace.v1 import workspace_pb2
from sqlalchemy import delete
from sqlalchemy.ext.asyncio import AsyncSession

from services.shared.db import utcnow
from services.shared.errors import DomainError, NotFound, Unavailable
from services.shared.identity import Caller
from services.shared.ids import looks_like, new_id
from services.shared.outbox import add_event
from services.shared.runtime import Runtime
from services.shared.versions import Versions, workspaces_scope
from services.workspace import inputs, messages
from services.workspace.access import Permissions, Resource, base_resource, workspace_resource
from services.workspace.quota import BaseUsage
from services.workspace.storage import (
    BaseEntry,
    Invitation,
    Workspace,
    bases_of_workspace,
    workspace_in_tenant,
    workspaces_in_tenant,
)

log = logging.getLogger("pyat.workspace")

SOURCE = "workspace"
OWNER = permission_pb2.ROLE_OWNER
UNSPECIFIED = permission_pb2.ROLE_UNSPECIFIED


def workspace_not_found() -> NotFound:
    # One answer for "no such workspace", "another tenant's" and "not yours to see".
    return NotFound("workspace not found", reason="WORKSPACE_NOT_FOUND")


class Workspaces:
    def __init__(self, runtime: Runtime, permissions: Permissions, usage: BaseUsage) -> None:
        self.runtime = runtime
        self.permissions = permissions
        self.usage = usage
        self.versions = Versions(runtime.cache)

    async def changed(self, tenant_id: str) -> None:
        """After a commit that adds, renames or removes a workspace or base of the tenant: what
        other services keep of them is not current any more (their events say so again)."""
        try:
            await self.versions.replace(workspaces_scope(tenant_id))
        except Unavailable as exc:
            log.warning("cannot replace the tenant's workspaces token: %s", exc)

    async def load(self, caller: Caller, workspace_id: str) -> Workspace:
        """A workspace of the caller's tenant (whether they may see it is asked separately)."""
        inputs.required(workspace_id, "workspace_id")
        row = None
        if looks_like(workspace_id, "wsp"):
            async with self.runtime.db.read() as session:
                row = await workspace_in_tenant(session, caller.tenant_id, workspace_id)
        if row is None:
            raise workspace_not_found()
        return row

    async def create(self, caller: Caller, name: str) -> workspace_pb2.Workspace:
        name = inputs.name(name)
        workspace_id = new_id("wsp")
        resource = workspace_resource(workspace_id)
        # The owner's grant comes first: a grant on an id that is never stored opens nothing,
        # while a stored workspace without an owner could never be managed or deleted.
        await self.permissions.grant(caller.user_id, resource, OWNER)
        now = utcnow()
        row = Workspace(
            id=workspace_id,
            tenant_id=caller.tenant_id,
            name=name,
            created_by=caller.user_id,
            created_at=now,
            updated_at=now,
        )
        try:
            async with self.runtime.db.transaction() as session:
                session.add(row)
                self._event(session, caller, workspace_id, "created")
        except Exception:
            await self.revoke_all(resource)
            raise
        self.runtime.outbox.notify()
        await self.changed(caller.tenant_id)
        return messages.workspace(row, OWNER)

    async def of_caller(self, caller: Caller) -> list[workspace_pb2.Workspace]:
        """Every workspace the caller holds a grant in, with their workspace-level role."""
        roles: dict[str, permission_pb2.Role] = {}
        for grant in await self.permissions.grants_of(caller.user_id):
            target = grant.resource
            if not target.workspace_id:
                continue
            if target.base_id or target.table_id:
                roles.setdefault(target.workspace_id, UNSPECIFIED)
            else:
                roles[target.workspace_id] = grant.role
        async with self.runtime.db.read() as session:
            rows = await workspaces_in_tenant(session, caller.tenant_id, list(roles))
        return [messages.workspace(row, roles[row.id]) for row in rows]

    async def get(self, caller: Caller, workspace_id: str) -> workspace_pb2.Workspace:
        row = await self.load(caller, workspace_id)
        role = await self.permissions.visible_role(
            caller, workspace_resource(row.id), hidden=workspace_not_found()
        )
        return messages.workspace(row, role)

    async def update(self, caller: Caller, workspace_id: str, name: str) -> workspace_pb2.Workspace:
        name = inputs.name(name)
        row = await self.load(caller, workspace_id)
        role = await self.permissions.authorize(
            caller,
            permission_pb2.ACTION_EDIT_SCHEMA,
            workspace_resource(row.id),
            hidden=workspace_not_found(),
        )
        async with self.runtime.db.transaction() as session:
            current = await workspace_in_tenant(session, caller.tenant_id, row.id, for_update=True)
            if current is None:
                raise workspace_not_found()  # deleted meanwhile
            if current.name != name:
                current.name = name
                current.updated_at = utcnow()
                self._event(session, caller, row.id, "updated")
        self.runtime.outbox.notify()
        await self.changed(caller.tenant_id)
        return messages.workspace(current, role)

    async def delete(self, caller: Caller, workspace_id: str) -> None:
        """Delete the workspace with its bases and invitations, then the grants on them."""
        row = await self.load(caller, workspace_id)
        resource = workspace_resource(row.id)
        await self.permissions.authorize(
            caller, permission_pb2.ACTION_DELETE, resource, hidden=workspace_not_found()
        )
        # Rows first, grants after: grants left behind by a failure open nothing that exists,
        # whereas revoking first could leave a workspace nobody owns.
        async with self.runtime.db.transaction() as session:
            current = await workspace_in_tenant(session, caller.tenant_id, row.id, for_update=True)
            if current is None:
                raise workspace_not_found()
            bases = await bases_of_workspace(session, row.id)
            await session.execute(delete(Invitation).where(Invitation.workspace_id == row.id))
            await session.execute(delete(BaseEntry).where(BaseEntry.workspace_id == row.id))
            await session.delete(current)
            for base in bases:
                add_event(
                    session,
                    events_pb2.BaseChanged(
                        tenant_id=caller.tenant_id,
                        workspace_id=row.id,
                        base_id=base.id,
                        change="deleted",
                        actor_id=caller.user_id,
                    ),
                    tenant_id=caller.tenant_id,
                    source=SOURCE,
                )
            self._event(session, caller, row.id, "deleted")
        self.runtime.outbox.notify()
        await self.changed(caller.tenant_id)
        await asyncio.gather(
            *(self.usage.record(base.id, deleted=True) for base in bases),
            self.revoke_all(resource),
            *(self.revoke_all(base_resource(row.id, base.id)) for base in bases),
        )

    async def revoke_all(self, resource: Resource) -> None:
        """Revoke every grant on `resource`, as cleanup: a failure is logged, not raised."""
        try:
            grants = await self.permissions.grants_on(resource)
            for grant in grants:
                await self.permissions.revoke(grant.subject_id, resource)
        except DomainError as err:
            log.warning("could not revoke grants on a deleted resource: %s", err.message)

    def _event(self, session: AsyncSession, caller: Caller, workspace_id: str, change: str) -> None:
        add_event(
            session,
            events_pb2.WorkspaceChanged(
                tenant_id=caller.tenant_id,
                workspace_id=workspace_id,
                change=change,
                actor_id=caller.user_id,
            ),
            tenant_id=caller.tenant_id,
            source=SOURCE,
        )
