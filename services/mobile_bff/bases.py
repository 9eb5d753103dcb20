"""The caller's bases with their tables, in one compact answer: workspaces, then each
workspace's bases, then each base's tables, each level fanned out in parallel."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Sequence
from typing import TypeVar

import grpc
from pyat.mobilebff.v1 import mobile_bff_pb2 as pb
from pyat.schema.v1 import schema_pb2, schema_pb2_grpc
from pyat.workspace.v1 import workspace_pb2, workspace_pb2_grpc

from services.mobile_bff.upstream import relayed
from services.shared.runtime import Runtime

# Each call of the fan-out gets this long at most (less when the app's own deadline is
# nearer: the client interceptor takes the smaller), so one slow base can't hold the rest.
CALL_TIMEOUT_S = 5.0
# Calls in flight at once, so a tenant with hundreds of bases doesn't flood its neighbours.
MAX_PARALLEL = 8

_Item = TypeVar("_Item")
_Result = TypeVar("_Result")


async def _gather(
    items: Sequence[_Item], call: Callable[[_Item], Awaitable[_Result]]
) -> list[_Result]:
    gate = asyncio.Semaphore(MAX_PARALLEL)

    async def one(item: _Item) -> _Result:
        async with gate:
            return await call(item)

    return list(await asyncio.gather(*(one(item) for item in items)))


def compact_table(table: schema_pb2.Table) -> pb.CompactTable:
    return pb.CompactTable(
        id=table.id,
        name=table.name,
        primary_field_id=table.primary_field_id,
        fields=[pb.CompactField(id=f.id, name=f.name, type=f.type) for f in table.fields],
    )


class Bases:
    def __init__(self, runtime: Runtime) -> None:
        self._workspaces = workspace_pb2_grpc.WorkspaceServiceStub(
            runtime.clients.channel("workspace")
        )
        self._schema = schema_pb2_grpc.SchemaServiceStub(runtime.clients.channel("schema"))

    async def of_caller(self) -> list[pb.CompactBase]:
        try:
            listed = await self._workspaces.ListWorkspaces(
                workspace_pb2.ListWorkspacesRequest(), timeout=CALL_TIMEOUT_S
            )
        except grpc.aio.AioRpcError as err:
            raise relayed("workspace", err) from None
        per_workspace = await _gather(list(listed.workspaces), self._bases_of)
        bases = [base for bases in per_workspace for base in bases]
        tables = await _gather(bases, self._tables_of)
        return [
            pb.CompactBase(
                id=base.id,
                name=base.name,
                workspace_id=base.workspace_id,
                role=base.my_role,
                tables=[compact_table(table) for table in base_tables],
            )
            for base, base_tables in zip(bases, tables, strict=True)
            if base_tables is not None
        ]

    async def _bases_of(self, workspace: workspace_pb2.Workspace) -> list[workspace_pb2.Base]:
        try:
            answer = await self._workspaces.ListBases(
                workspace_pb2.ListBasesRequest(workspace_id=workspace.id), timeout=CALL_TIMEOUT_S
            )
        except grpc.aio.AioRpcError as err:
            if err.code() is grpc.StatusCode.NOT_FOUND:
                return []  # deleted since it was listed
            raise relayed("workspace", err) from None
        return list(answer.bases)

    async def _tables_of(self, base: workspace_pb2.Base) -> list[schema_pb2.Table] | None:
        """The base's tables; None when the base went away (or out of reach) meanwhile."""
        try:
            answer = await self._schema.ListTables(
                schema_pb2.ListTablesRequest(base_id=base.id), timeout=CALL_TIMEOUT_S
            )
        except grpc.aio.AioRpcError as err:
            if err.code() in (grpc.StatusCode.NOT_FOUND, grpc.StatusCode.PERMISSION_DENIED):
                return None
            raise relayed("schema", err) from None
        return list(answer.tables)
