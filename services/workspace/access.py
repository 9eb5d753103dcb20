"""workspace-service's side of permission-service: checks, grants, and who may see what.

A caller sees a workspace (or base) when they hold any grant at or under it: a base grant
shows its workspace, a table grant its base. Anything else is answered as if it did not
exist; what they see but may not do is PERMISSION_DENIED.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence

import grpc
from pyat.permission.v1 import permission_pb2, permission_pb2_grpc

from services.shared.clients import translate
from services.shared.errors import DomainError, PermissionDenied
from services.shared.identity import Caller
from services.shared.runtime import Runtime

Action = permission_pb2.Action
Role = permission_pb2.Role
Resource = permission_pb2.Resource
UNSPECIFIED = permission_pb2.ROLE_UNSPECIFIED
SERVICE = "permission-service"
# Checks per BatchCheck call; a longer list goes as several calls at once.
_BATCH_LIMIT = 100


def workspace_resource(workspace_id: str) -> Resource:
    return Resource(workspace_id=workspace_id)


def base_resource(workspace_id: str, base_id: str) -> Resource:
    return Resource(workspace_id=workspace_id, base_id=base_id)


def _within(grant: permission_pb2.Grant, resource: Resource) -> bool:
    """Whether `grant` is on `resource` or on something under it."""
    if resource.base_id:
        return grant.resource.base_id == resource.base_id
    return grant.resource.workspace_id == resource.workspace_id


class Permissions:
    """The calls workspace-service makes to permission-service, with errors translated."""

    def __init__(self, runtime: Runtime) -> None:
        self._stub = permission_pb2_grpc.PermissionServiceStub(
            runtime.clients.channel("permission")
        )

    async def check(self, action: Action, resource: Resource) -> permission_pb2.CheckResponse:
        try:
            return await self._stub.Check(
                permission_pb2.CheckRequest(action=action, resource=resource)
            )
        except grpc.aio.AioRpcError as err:
            raise translate(SERVICE, err) from None

    async def batch_check(
        self, action: Action, resources: Sequence[Resource]
    ) -> list[permission_pb2.CheckResponse]:
        checks = [permission_pb2.CheckRequest(action=action, resource=r) for r in resources]
        chunks = [checks[i : i + _BATCH_LIMIT] for i in range(0, len(checks), _BATCH_LIMIT)]
        try:
            answers = await asyncio.gather(
                *(self._stub.BatchCheck(permission_pb2.BatchCheckRequest(checks=c)) for c in chunks)
            )
        except grpc.aio.AioRpcError as err:
            raise translate(SERVICE, err) from None
        return [result for answer in answers for result in answer.results]

    async def grants_of(self, subject_id: str) -> list[permission_pb2.Grant]:
        return await self._list(permission_pb2.ListGrantsRequest(subject_id=subject_id))

    async def grants_on(self, resource: Resource) -> list[permission_pb2.Grant]:
        return await self._list(permission_pb2.ListGrantsRequest(resource=resource))

    async def _list(self, request: permission_pb2.ListGrantsRequest) -> list[permission_pb2.Grant]:
        try:
            return list((await self._stub.ListGrants(request)).grants)
        except grpc.aio.AioRpcError as err:
            raise translate(SERVICE, err) from None

    async def grant(self, subject_id: str, resource: Resource, role: Role) -> permission_pb2.Grant:
        request = permission_pb2.GrantRequest(subject_id=subject_id, resource=resource, role=role)
        try:
            return (await self._stub.Grant(request)).grant
        except grpc.aio.AioRpcError as err:
            raise translate(SERVICE, err) from None

    async def revoke(self, subject_id: str, resource: Resource) -> bool:
        request = permission_pb2.RevokeRequest(subject_id=subject_id, resource=resource)
        try:
            return (await self._stub.Revoke(request)).revoked
        except grpc.aio.AioRpcError as err:
            raise translate(SERVICE, err) from None

    async def sees_within(self, caller: Caller, resource: Resource) -> bool:
        """Whether the caller holds a grant under `resource` (asked only once a Check said no)."""
        return any(_within(g, resource) for g in await self.grants_of(caller.user_id))

    async def authorize(
        self, caller: Caller, action: Action, resource: Resource, *, hidden: DomainError
    ) -> Role:
        """The caller's role on `resource` if it allows `action`; else PERMISSION_DENIED when
        the caller can see the resource, or `hidden` (a NOT_FOUND) when they cannot."""
        decision = await self.check(action, resource)
        if decision.allowed:
            return decision.role
        if decision.role != UNSPECIFIED or await self.sees_within(caller, resource):
            raise PermissionDenied("your role here does not allow this", reason="INSUFFICIENT_ROLE")
        raise hidden

    async def visible_role(
        self, caller: Caller, resource: Resource, *, hidden: DomainError
    ) -> Role:
        """The caller's role on a resource they can see (UNSPECIFIED when they see it only
        through a grant under it), or `hidden` when they cannot see it."""
        decision = await self.check(permission_pb2.ACTION_READ, resource)
        if decision.allowed or await self.sees_within(caller, resource):
            return decision.role
        raise hidden
