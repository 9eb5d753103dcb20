"""Who may do what in a base, for the services that keep a base's contents (schema, records).

A base belongs to a workspace, and permission-service judges by the whole path, so the first
call for a base asks workspace-service where it lives (which also proves the caller's tenant
can see it) and remembers the answer for a short while. Every call then needs
permission-service's decision: one asked under the caller's current grants token
(services.shared.versions) is kept, since any change of their grants replaces that token.
A kept decision lives at most DECISION_KEEP_S: how long a revoked role may still work here
when the token's replacement is not seen (a process whose cache permission-service does not
share, or the cache down at the time).
"""

from __future__ import annotations

import grpc
from pyat.permission.v1 import permission_pb2, permission_pb2_grpc
from pyat.workspace.v1 import workspace_pb2, workspace_pb2_grpc

from services.shared.cache import MemoryCache
from services.shared.clients import translate
from services.shared.errors import NotFound, PermissionDenied, Unavailable
from services.shared.identity import Caller
from services.shared.runtime import Runtime
from services.shared.versions import Versions, grants_scope

Action = permission_pb2.Action
READ = permission_pb2.ACTION_READ
# Bases never move between workspaces; a deleted one lingers here at most this long, and
# permission-service refuses it anyway once its grants are gone.
_WORKSPACE_TTL_S = 30.0
DECISION_KEEP_S = 2.0


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
        self._versions = Versions(runtime.cache)
        self._decisions = MemoryCache(max_entries=10_000)

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
        decision = await self._decision(caller, action, resource)
        if decision.allowed:
            return decision.role
        if decision.role == permission_pb2.ROLE_UNSPECIFIED:
            raise base_not_found(base_id)
        raise PermissionDenied(
            "your role on this base does not allow this", reason="INSUFFICIENT_ROLE"
        )

    async def _decision(
        self, caller: Caller, action: Action, resource: permission_pb2.Resource
    ) -> permission_pb2.CheckResponse:
        """permission-service's answer, kept under the caller's grants token when it can be."""
        try:
            (token,) = await self._versions.current(
                [grants_scope(caller.tenant_id, caller.user_id)]
            )
        except Unavailable:
            token = None  # nothing can be known current: ask
        key = (
            f"{caller.tenant_id}:{caller.user_id}:{token and token.decode()}:{action}:"
            f"{resource.workspace_id}:{resource.base_id}:{resource.table_id}"
        )
        kept = await self._decisions.get(key) if token else None
        if kept is not None:
            return permission_pb2.CheckResponse.FromString(kept)
        try:
            decision = await self._permissions.Check(
                permission_pb2.CheckRequest(action=action, resource=resource)
            )
        except grpc.aio.AioRpcError as err:
            raise translate("permission", err) from None
        if token:
            await self._decisions.set(key, decision.SerializeToString(), DECISION_KEEP_S)
        return decision
