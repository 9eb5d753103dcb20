"""The registry of bases: which workspace (and tenant) each base belongs to, within quota."""

from __future__ import annotations

import asyncio
from typing import Any, cast

from pyat.events.v1 import events_pb2
from pyat.permission.v1 import permission_pb2
from pyat.workspace.v1 import workspace_pb2
from sqlalchemy import CursorResult, delete
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from services.shared.db import utcnow
from services.shared.errors import NotFound
from services.shared.identity import Caller
from services.shared.ids import looks_like, new_id
from services.shared.outbox import add_event
from services.shared.runtime import Runtime
from services.workspace import inputs, messages
from services.workspace.access import Permissions, base_resource, workspace_resource
from services.workspace.quota import BaseUsage
from services.workspace.storage import (
    BaseEntry,
    base_in_tenant,
    bases_in_workspaces,
    bases_of_workspace,
    workspace_in_tenant,
)
from services.workspace.workspaces import SOURCE, Workspaces, workspace_not_found

READ = permission_pb2.ACTION_READ


def base_not_found() -> NotFound:
    return NotFound("base not found", reason="BASE_NOT_FOUND")


class Bases:
    def __init__(
        self,
        runtime: Runtime,
        permissions: Permissions,
        workspaces: Workspaces,
        usage: BaseUsage,
    ) -> None:
        self.runtime = runtime
        self.permissions = permissions
        self.workspaces = workspaces
        self.usage = usage

    async def create(self, caller: Caller, workspace_id: str, name: str) -> workspace_pb2.Base:
        name = inputs.name(name)
        workspace = await self.workspaces.load(caller, workspace_id)
        role = await self.permissions.authorize(
            caller,
            permission_pb2.ACTION_EDIT_SCHEMA,
            workspace_resource(workspace.id),
            hidden=workspace_not_found(),
        )
        await self.usage.require_room()
        row = BaseEntry(
            id=new_id("app"),
            tenant_id=caller.tenant_id,
            workspace_id=workspace.id,
            name=name,
            created_by=caller.user_id,
            created_at=utcnow(),
        )
        try:
            async with self.runtime.db.transaction() as session:
                if await workspace_in_tenant(session, caller.tenant_id, workspace.id) is None:
                    raise workspace_not_found()
                session.add(row)
                await session.flush()
                _event(session, caller, row, "created")
        except IntegrityError:
            raise workspace_not_found() from None  # the workspace was deleted meanwhile
        self.runtime.outbox.notify()
        await self.workspaces.changed(caller.tenant_id)
        await self.usage.record(row.id, deleted=False)
        # Bases inherit the workspace's roles, so the creator's role here is theirs there.
        return messages.base(row, role)

    async def of_workspace(self, caller: Caller, workspace_id: str) -> list[workspace_pb2.Base]:
        """The bases the caller can read, or that hold a table they were given."""
        workspace = await self.workspaces.load(caller, workspace_id)
        async with self.runtime.db.read() as session:
            rows = await bases_of_workspace(session, workspace.id)
        resources = [workspace_resource(workspace.id)]
        resources += [base_resource(workspace.id, row.id) for row in rows]
        on_workspace, *on_bases = await self.permissions.batch_check(READ, resources)
        if on_workspace.allowed:
            return [messages.base(row, d.role) for row, d in zip(rows, on_bases, strict=True)]
        # No role on the workspace: only what their base or table grants in it show them.
        grants = [
            g
            for g in await self.permissions.grants_of(caller.user_id)
            if g.resource.workspace_id == workspace.id
        ]
        if not grants:
            raise workspace_not_found()
        holding = {g.resource.base_id for g in grants}
        return [
            messages.base(row, d.role)
            for row, d in zip(rows, on_bases, strict=True)
            if d.allowed or row.id in holding
        ]

    async def of_caller(self, caller: Caller) -> list[workspace_pb2.Base]:
        """Every base the caller can read, or that holds a table they were given, in every
        workspace of their tenant."""
        grants = await self.permissions.grants_of(caller.user_id)
        workspace_ids = sorted({g.resource.workspace_id for g in grants if g.resource.workspace_id})
        async with self.runtime.db.read() as session:
            rows = await bases_in_workspaces(session, caller.tenant_id, workspace_ids)
        decisions = await self.permissions.batch_check(
            READ, [base_resource(row.workspace_id, row.id) for row in rows]
        )
        holding = {g.resource.base_id for g in grants if g.resource.base_id}
        return [
            messages.base(row, d.role)
            for row, d in zip(rows, decisions, strict=True)
            if d.allowed or row.id in holding
        ]

    async def get(self, caller: Caller, base_id: str) -> workspace_pb2.Base:
        row = await self._load(caller, base_id)
        role = await self.permissions.visible_role(
            caller, base_resource(row.workspace_id, row.id), hidden=base_not_found()
        )
        return messages.base(row, role)

    async def delete(self, caller: Caller, base_id: str) -> None:
        row = await self._load(caller, base_id)
        resource = base_resource(row.workspace_id, row.id)
        await self.permissions.authorize(
            caller, permission_pb2.ACTION_DELETE, resource, hidden=base_not_found()
        )
        async with self.runtime.db.transaction() as session:
            result = await session.execute(
                delete(BaseEntry).where(
                    BaseEntry.id == row.id, BaseEntry.tenant_id == caller.tenant_id
                ),
                execution_options={"synchronize_session": False},
            )
            if cast("CursorResult[Any]", result).rowcount != 1:
                raise base_not_found()  # deleted a moment ago
            _event(session, caller, row, "deleted")
        self.runtime.outbox.notify()
        await self.workspaces.changed(caller.tenant_id)
        await asyncio.gather(
            self.usage.record(row.id, deleted=True), self.workspaces.revoke_all(resource)
        )

    async def _load(self, caller: Caller, base_id: str) -> BaseEntry:
        """One indexed read: GetBase is how other services find a base's workspace."""
        inputs.required(base_id, "base_id")
        row = None
        if looks_like(base_id, "app"):
            async with self.runtime.db.read() as session:
                row = await base_in_tenant(session, caller.tenant_id, base_id)
        if row is None:
            raise base_not_found()
        return row


def _event(session: AsyncSession, caller: Caller, row: BaseEntry, change: str) -> None:
    add_event(
        session,
        events_pb2.BaseChanged(
            tenant_id=caller.tenant_id,
            workspace_id=row.workspace_id,
            base_id=row.id,
            change=change,
            actor_id=caller.user_id,
        ),
        tenant_id=caller.tenant_id,
        source=SOURCE,
    )
