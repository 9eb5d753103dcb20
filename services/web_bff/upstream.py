"""The services web-bff asks, through their generated stubs, each call with its own deadline.

Calls carry the identity of the call being served (or of `identity.act_as`), so every answer
is what the caller may see. Failures come back as the error our own caller should get. The
caller's profile, workspaces, bases, read decisions, tables, and each base's change cursor and
newest changes are kept while current (kept.py), by tenant and caller, so one caller's answers
are never another's.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Hashable, Sequence
from typing import TypeVar

import grpc
from pyat.airtable.v1 import airtable_gateway_pb2 as records_pb2
from pyat.airtable.v1 import airtable_gateway_pb2_grpc
from pyat.permission.v1 import permission_pb2, permission_pb2_grpc
from pyat.schema.v1 import schema_pb2, schema_pb2_grpc
from pyat.user.v1 import user_pb2, user_pb2_grpc
from pyat.workspace.v1 import workspace_pb2, workspace_pb2_grpc

from services.shared import identity, versions
from services.shared.cache import Cache
from services.shared.clients import Clients, translate
from services.shared.errors import DomainError, Unavailable
from services.web_bff.kept import Kept

# A screen waits this long for any one service; past it the part is missing or the call fails.
CALL_TIMEOUT_S = 2.0

USER = "user-service"
WORKSPACE = "workspace-service"
PERMISSION = "permission-service"
SCHEMA = "schema-service"
GATEWAY = "airtable-gateway"

T = TypeVar("T")
K = TypeVar("K", bound=Hashable)


async def ask(service: str, call: Awaitable[T]) -> T:
    """The answer of one call, or the error it means for our caller."""
    try:
        return await call
    except grpc.aio.AioRpcError as err:
        raise translate(service, err) from None


def why(service: str, error: BaseException) -> str:
    """A failure, for people, as a `Partial.reason`."""
    code = getattr(error, "code", None)
    if code is grpc.StatusCode.DEADLINE_EXCEEDED:
        return f"{service} did not answer in time"
    if code is grpc.StatusCode.UNAVAILABLE:
        return f"{service} is unavailable"
    if isinstance(error, DomainError):
        return f"{service} failed: {error.message}"
    return f"{service} failed"


class Upstream:
    """One stub per service web-bff reads from."""

    def __init__(self, clients: Clients, cache: Cache) -> None:
        self.versions = versions.Versions(cache)
        self.profiles: Kept[tuple[str, str], user_pb2.User] = Kept()
        self.workspace_lists: Kept[tuple[str, str], tuple[workspace_pb2.Workspace, ...]] = Kept()
        self.base_lists: Kept[Hashable, tuple[workspace_pb2.Base, ...]] = Kept()
        self.decisions: Kept[Hashable, permission_pb2.CheckResponse] = Kept()
        self.tables: Kept[Hashable, schema_pb2.Table] = Kept()
        self.cursors: Kept[Hashable, str] = Kept()
        self.activity: Kept[Hashable, records_pb2.ListRecordChangesResponse] = Kept()
        self.users = user_pb2_grpc.UserServiceStub(clients.channel("user"))
        self.workspaces = workspace_pb2_grpc.WorkspaceServiceStub(clients.channel("workspace"))
        self.permissions = permission_pb2_grpc.PermissionServiceStub(clients.channel("permission"))
        self.schema = schema_pb2_grpc.SchemaServiceStub(clients.channel("schema"))
        self.records = airtable_gateway_pb2_grpc.AirtableGatewayServiceStub(
            clients.channel("airtable-gateway")
        )

    async def _kept(
        self, kept: Kept[K, T], key: K, scopes: Sequence[str], read: Callable[[], Awaitable[T]]
    ) -> T:
        """What `kept` holds under `key` for the scopes' current tokens, else `read()`, then
        kept under the tokens read before it. Kept answers are shared: never change one."""
        try:
            tokens = tuple(await self.versions.current(scopes))
        except Unavailable:
            return await read()  # nothing can be known current: ask
        return await kept.answer(key, tokens, read)

    async def me(self) -> user_pb2.User:
        caller = identity.caller()

        async def read() -> user_pb2.User:
            answer = await ask(
                USER, self.users.GetMe(user_pb2.GetMeRequest(), timeout=CALL_TIMEOUT_S)
            )
            return answer.user

        who = (caller.tenant_id, caller.user_id)
        return await self._kept(self.profiles, who, [versions.profile_scope(*who)], read)

    async def workspace_list(self) -> list[workspace_pb2.Workspace]:
        """The caller's workspaces with their roles: their grants and the tenant's workspaces."""
        caller = identity.caller()

        async def read() -> tuple[workspace_pb2.Workspace, ...]:
            answer = await ask(
                WORKSPACE,
                self.workspaces.ListWorkspaces(
                    workspace_pb2.ListWorkspacesRequest(), timeout=CALL_TIMEOUT_S
                ),
            )
            return tuple(answer.workspaces)

        who = (caller.tenant_id, caller.user_id)
        scopes = [versions.grants_scope(*who), versions.workspaces_scope(caller.tenant_id)]
        listed = await self._kept(self.workspace_lists, who, scopes, read)
        return list(listed)

    async def bases_of(self, workspace_id: str) -> list[workspace_pb2.Base]:
        """The caller's bases in a workspace ("": in every one), with their roles."""
        caller = identity.caller()

        async def read() -> tuple[workspace_pb2.Base, ...]:
            answer = await ask(
                WORKSPACE,
                self.workspaces.ListBases(
                    workspace_pb2.ListBasesRequest(workspace_id=workspace_id),
                    timeout=CALL_TIMEOUT_S,
                ),
            )
            return tuple(answer.bases)

        # A token limited to some bases sees only those.
        key = (caller.tenant_id, caller.user_id, caller.token_bases, workspace_id)
        scopes = [
            versions.grants_scope(caller.tenant_id, caller.user_id),
            versions.workspaces_scope(caller.tenant_id),
        ]
        listed = await self._kept(self.base_lists, key, scopes, read)
        return list(listed)

    async def base(self, base_id: str) -> workspace_pb2.Base:
        answer = await ask(
            WORKSPACE,
            self.workspaces.GetBase(
                workspace_pb2.GetBaseRequest(base_id=base_id), timeout=CALL_TIMEOUT_S
            ),
        )
        return answer.base

    async def table(self, base_id: str, table: str) -> schema_pb2.Table:
        """The table (by id or name) as the caller may see it: the base's schema and the
        caller's grants say."""
        caller = identity.caller()

        async def read() -> schema_pb2.Table:
            answer = await ask(
                SCHEMA,
                self.schema.GetTable(
                    schema_pb2.GetTableRequest(base_id=base_id, table=table),
                    timeout=CALL_TIMEOUT_S,
                ),
            )
            return answer.table

        scopes = _base_scopes(versions.schema_scope(caller.tenant_id, base_id), caller)
        return await self._kept(self.tables, (caller, base_id, table), scopes, read)

    async def check_read(
        self, workspace_id: str, base_id: str, table_id: str
    ) -> permission_pb2.CheckResponse:
        """Whether the caller may read the table, and their role on it: their grants say."""
        caller = identity.caller()
        resource = permission_pb2.Resource(
            workspace_id=workspace_id, base_id=base_id, table_id=table_id
        )

        async def read() -> permission_pb2.CheckResponse:
            return await ask(
                PERMISSION,
                self.permissions.Check(
                    permission_pb2.CheckRequest(
                        action=permission_pb2.ACTION_READ, resource=resource
                    ),
                    timeout=CALL_TIMEOUT_S,
                ),
            )

        key = (caller.tenant_id, caller.user_id, workspace_id, base_id, table_id)
        scopes = [versions.grants_scope(caller.tenant_id, caller.user_id)]
        return await self._kept(self.decisions, key, scopes, read)

    async def list_records(
        self, request: records_pb2.ListRecordsRequest
    ) -> records_pb2.ListRecordsResponse:
        return await ask(GATEWAY, self.records.ListRecords(request, timeout=CALL_TIMEOUT_S))

    async def record(self, base_id: str, table_id: str, record_id: str) -> records_pb2.Record:
        answer = await ask(
            GATEWAY,
            self.records.GetRecord(
                records_pb2.GetRecordRequest(
                    base_id=base_id,
                    table=table_id,
                    record_id=record_id,
                    output=records_pb2.Output(return_fields_by_field_id=True),
                ),
                timeout=CALL_TIMEOUT_S,
            ),
        )
        return answer.record

    async def newest_changes(
        self, base_id: str, count: int
    ) -> records_pb2.ListRecordChangesResponse:
        """The `count` newest changes of a base, newest first, without their records."""
        caller = identity.caller()

        async def read() -> records_pb2.ListRecordChangesResponse:
            return await ask(
                GATEWAY,
                self.records.ListRecordChanges(
                    # Which records changed is all an activity feed shows.
                    records_pb2.ListRecordChangesRequest(
                        base_id=base_id, page_size=count, newest_first=True, omit_records=True
                    ),
                    timeout=CALL_TIMEOUT_S,
                ),
            )

        scopes = _base_scopes(versions.records_scope(caller.tenant_id, base_id), caller)
        return await self._kept(self.activity, (caller, base_id, count), scopes, read)

    async def cursor(self, base_id: str) -> str:
        """The base's change cursor of now: following changes from it misses none made since."""
        caller = identity.caller()

        async def read() -> str:
            return (await self.changes(base_id, "", after="")).cursor

        scopes = _base_scopes(versions.records_scope(caller.tenant_id, base_id), caller)
        return await self._kept(self.cursors, (caller, base_id), scopes, read)

    async def changes(
        self, base_id: str, table: str, after: str, page_size: int = 0
    ) -> records_pb2.ListRecordChangesResponse:
        """One page of a base's (or a table's) change log after `after`; "" gives the cursor
        of now and no changes."""
        return await ask(
            GATEWAY,
            self.records.ListRecordChanges(
                records_pb2.ListRecordChangesRequest(
                    base_id=base_id, table=table, after=after, page_size=page_size
                ),
                timeout=CALL_TIMEOUT_S,
            ),
        )


def _base_scopes(scope: str, caller: identity.Caller) -> list[str]:
    """A base's data scope and the caller's grants, which say what of it the caller may see."""
    return [scope, versions.grants_scope(caller.tenant_id, caller.user_id)]
