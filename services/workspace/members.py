"""Members of a workspace: the grants on the workspace itself, kept in permission-service.

Changes to one workspace's members run one at a time (an in-process lock, and on PostgreSQL
a row lock on the workspace across processes), so two owners demoting each other at once
cannot leave it with none.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from pyat.permission.v1 import permission_pb2
from pyat.workspace.v1 import workspace_pb2

from services.shared.errors import FailedPrecondition, NotFound, PermissionDenied
from services.shared.identity import Caller
from services.shared.runtime import Runtime
from services.workspace import inputs, messages
from services.workspace.access import Permissions, workspace_resource
from services.workspace.storage import Workspace, workspace_in_tenant
from services.workspace.workspaces import Workspaces, workspace_not_found

OWNER = permission_pb2.ROLE_OWNER
_LOCK_STRIPES = 64


def member_not_found() -> NotFound:
    return NotFound("member not found", reason="MEMBER_NOT_FOUND")


def grant_of(grants: list[permission_pb2.Grant], user_id: str) -> permission_pb2.Grant | None:
    return next((g for g in grants if g.subject_id == user_id), None)


def _is_last_owner(grants: list[permission_pb2.Grant], target: permission_pb2.Grant) -> bool:
    return target.role == OWNER and sum(g.role == OWNER for g in grants) == 1


class Members:
    def __init__(self, runtime: Runtime, permissions: Permissions, workspaces: Workspaces) -> None:
        self.runtime = runtime
        self.permissions = permissions
        self.workspaces = workspaces
        self._locks = [asyncio.Lock() for _ in range(_LOCK_STRIPES)]

    @asynccontextmanager
    async def changing(self, caller: Caller, workspace_id: str) -> AsyncIterator[Workspace]:
        """Hold the workspace's member lock; yields the workspace, still there."""
        async with self._locks[hash(workspace_id) % _LOCK_STRIPES]:
            async with self.runtime.db.transaction() as session:
                row = await workspace_in_tenant(
                    session, caller.tenant_id, workspace_id, for_update=True
                )
                if row is None:
                    raise workspace_not_found()
                yield row

    async def of_workspace(self, caller: Caller, workspace_id: str) -> list[workspace_pb2.Member]:
        row = await self.workspaces.load(caller, workspace_id)
        resource = workspace_resource(row.id)
        await self.permissions.authorize(
            caller, permission_pb2.ACTION_READ, resource, hidden=workspace_not_found()
        )
        return [messages.member(g) for g in await self.permissions.grants_on(resource)]

    async def update(
        self, caller: Caller, workspace_id: str, user_id: str, role: int
    ) -> workspace_pb2.Member:
        inputs.required(user_id, "user_id")
        new_role = inputs.role(role)
        row = await self.workspaces.load(caller, workspace_id)
        resource = workspace_resource(row.id)
        my_role = await self.permissions.authorize(
            caller, permission_pb2.ACTION_MANAGE_MEMBERS, resource, hidden=workspace_not_found()
        )
        if new_role > my_role:
            raise PermissionDenied("you cannot give a role above your own", reason="ROLE_TOO_HIGH")
        async with self.changing(caller, row.id):
            grants = await self.permissions.grants_on(resource)
            target = grant_of(grants, user_id)
            if target is None:
                raise member_not_found()
            if target.role == new_role:
                return messages.member(target)
            if _is_last_owner(grants, target):
                raise FailedPrecondition(
                    "the last owner cannot be demoted; make someone else owner first",
                    reason="LAST_OWNER",
                )
            granted = await self.permissions.grant(user_id, resource, new_role)
        return messages.member(granted)

    async def remove(self, caller: Caller, workspace_id: str, user_id: str) -> None:
        inputs.required(user_id, "user_id")
        row = await self.workspaces.load(caller, workspace_id)
        resource = workspace_resource(row.id)
        if user_id != caller.user_id:
            await self.permissions.authorize(
                caller,
                permission_pb2.ACTION_MANAGE_MEMBERS,
                resource,
                hidden=workspace_not_found(),
            )
        async with self.changing(caller, row.id):
            grants = await self.permissions.grants_on(resource)
            target = grant_of(grants, user_id)
            if target is None:
                # Someone leaving a workspace they cannot see learns nothing about it.
                if user_id == caller.user_id and not await self.permissions.sees_within(
                    caller, resource
                ):
                    raise workspace_not_found()
                raise member_not_found()
            if _is_last_owner(grants, target):
                raise FailedPrecondition(
                    "the last owner cannot leave; make someone else owner first",
                    reason="LAST_OWNER",
                )
            await self.permissions.revoke(user_id, resource)
