"""Who may do what in a base, for the services that keep a base's contents (schema, records).

A base belongs to a workspace, and permission-service judges by the whole path, so the first
call for a base asks workspace-service where it lives (which also proves the caller's tenant
can see it) and remembers the answer for a short while. Every call then asks
permission-service, whose own cache makes that cheap and whose answers change the moment a
grant does.
"""

from __future__ import annotations

import grpc
from pyat.permission.v1 import permission_pb2, permission_pb2_grpc
from pyat.workspace.v1 import workspace_pb2, workspace_pb2_grpc

from services.shared.clients import translate
from services.shared.errors import NotFound, PermissionDenied
from services.shared.identity import Caller
from services.shared.runtime import Runtime

Action = permission_pb2.Action
READ = permission_pb2.ACTION_READ
# Bases never move between workspaces; a deleted one lingers here at most this long, and
# permission-service refuses it anyway once its grants are gone.
_WORKSPACE_TTL_S = 30.0


def base_not_found(base_id: str) -> NotFound:
    return NotFound(f"base {base_id!r} was not found", reason="BASE_NOT_FOUND")


class BaseAccess:
    """Checks a caller's right to act on a base (or one table of it)."""

    def __init__(self, runtime: Runtime) -> None:
        self._cache = runtime.cache
        self._workspaces = workspace_pb2_grpc.WorkspaceServiceStub(
            runtime.clients.channel("workspace")
        )
        self._permissions = permission_pb2_grpc.PermissionServiceStub(
            runtime.clients.channel("permission")
        )

    async def workspace_of(self, caller: Caller, base_id: str) -> str:
        """The workspace of a base in the caller's tenant, or NOT_FOUND."""
        key = f"base-workspace:{caller.tenant_id}:{base_id}"
        cached = await self._cache.get(key)
        if cached is not None:
            return cached.decode()
        try:
            answer = await self._workspaces.GetBase(workspace_pb2.GetBaseRequest(base_id=base_id))
        except grpc.aio.AioRpcError as err:
            if err.code() in (grpc.StatusCode.NOT_FOUND, grpc.StatusCode.INVALID_ARGUMENT):
                raise base_not_found(base_id) from None
            raise translate("workspace", err) from None
        workspace_id = answer.base.workspace_id
        await self._cache.set(key, workspace_id.encode(), ttl_s=_WORKSPACE_TTL_S)
        return workspace_id

    async def require(
        self, caller: Caller, base_id: str, action: Action, table_id: str = ""
    ) -> permission_pb2.Role:
        """The caller's role on the base (or table) if it allows `action`. Otherwise NOT_FOUND
        when the caller has no role there at all, PERMISSION_DENIED when the role is too weak."""
        workspace_id = await self.workspace_of(caller, base_id)
        resource = permission_pb2.Resource(
            workspace_id=workspace_id, base_id=base_id, table_id=table_id
        )
        try:
            decision = await self._permissions.Check(
                permission_pb2.CheckRequest(action=action, resource=resource)
            )
        except grpc.aio.AioRpcError as err:
            raise translate("permission", err) from None
        if decision.allowed:
            return decision.role
        if decision.role == permission_pb2.ROLE_UNSPECIFIED:
            raise base_not_found(base_id)
        raise PermissionDenied(
            "your role on this base does not allow this", reason="INSUFFICIENT_ROLE"
        )
