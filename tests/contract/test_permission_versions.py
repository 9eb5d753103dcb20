"""Version tokens (services/shared/versions.py) over real gRPC: each owner replaces its token
once a change commits, and decisions kept under a grants token (services/shared/base_access.py,
web-bff) stop working on the very next call after a revoke."""

from __future__ import annotations

import grpc
import pytest
from pyat.permission.v1 import permission_pb2 as perm
from pyat.schema.v1 import schema_pb2
from pyat.user.v1 import user_pb2, user_pb2_grpc

from services.shared.server import Host
from services.shared.versions import Versions, grants_scope, profile_scope, workspaces_scope
from tests.airtable_gateway.helpers import Base, new_base, spec


@pytest.fixture
async def base(fabric: Host, channel: grpc.aio.Channel) -> Base:
    return await new_base(fabric, channel)


async def token(host: Host, scope: str) -> bytes:
    assert host.runtime is not None
    [found] = await Versions(host.runtime.cache).current([scope])
    return found


async def test_grant_and_revoke_replace_the_subjects_grants_token(base: Base) -> None:
    api, owner = base.api, base.owner
    colleague = await api.colleague(owner)
    scope = grants_scope(colleague.tenant_id, colleague.user_id)
    owners = grants_scope(owner.tenant_id, owner.user_id)
    before, owners_before = await token(api.host, scope), await token(api.host, owners)
    await api.grant(owner, colleague, perm.ROLE_READ_ONLY, workspace_id=base.workspace_id)
    granted = await token(api.host, scope)
    assert granted != before
    await api.permissions.Revoke(
        perm.RevokeRequest(
            subject_id=colleague.user_id, resource=perm.Resource(workspace_id=base.workspace_id)
        ),
        metadata=owner.md,
    )
    assert await token(api.host, scope) != granted
    # Another subject's token is left alone.
    assert await token(api.host, owners) == owners_before


async def test_workspace_and_base_changes_replace_the_tenants_workspaces_token(
    base: Base,
) -> None:
    api, owner = base.api, base.owner
    scope = workspaces_scope(owner.tenant_id)
    seen = {await token(api.host, scope)}
    workspace = await api.workspace(owner, "Second")
    seen.add(await token(api.host, scope))
    made = await api.base(owner, workspace.id, "Plans")
    seen.add(await token(api.host, scope))
    await api.rpc(owner, "DeleteBase", base_id=made.id)
    seen.add(await token(api.host, scope))
    await api.rpc(owner, "UpdateWorkspace", workspace_id=workspace.id, name="Renamed")
    seen.add(await token(api.host, scope))
    await api.rpc(owner, "DeleteWorkspace", workspace_id=workspace.id)
    seen.add(await token(api.host, scope))
    assert len(seen) == 6


async def test_update_me_replaces_the_profile_token(base: Base, channel: grpc.aio.Channel) -> None:
    owner = base.owner
    scope = profile_scope(owner.tenant_id, owner.user_id)
    before = await token(base.api.host, scope)
    users = user_pb2_grpc.UserServiceStub(channel)
    await users.UpdateMe(user_pb2.UpdateMeRequest(name="Grace Hopper"), metadata=owner.md)
    assert await token(base.api.host, scope) != before


async def test_a_revoked_reader_is_refused_the_schema_on_the_next_call(base: Base) -> None:
    """schema-service keeps the reader's decision (BaseAccess); the revoke ends it at once."""
    api, owner = base.api, base.owner
    table = await base.table("Tasks", spec("Title", "singleLineText"))
    reader = await api.colleague(owner)
    resource = {"workspace_id": base.workspace_id, "base_id": base.base_id}
    await api.grant(owner, reader, perm.ROLE_READ_ONLY, **resource)
    request = schema_pb2.GetTableRequest(base_id=base.base_id, table=table.id)
    for _ in range(2):  # the second is answered with the kept decision
        assert (await base.schema.GetTable(request, metadata=reader.md)).table.id == table.id
    await api.permissions.Revoke(
        perm.RevokeRequest(subject_id=reader.user_id, resource=perm.Resource(**resource)),
        metadata=owner.md,
    )
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await base.schema.GetTable(request, metadata=reader.md)
    assert caught.value.code() is grpc.StatusCode.NOT_FOUND


async def test_a_schema_change_shows_on_the_next_read(base: Base) -> None:
    """The fields and views read before are kept by the table's version (schema storage)."""
    table = await base.table("Tasks", spec("Title", "singleLineText"))
    request = schema_pb2.GetTableRequest(base_id=base.base_id, table=table.id)
    first = (await base.schema.GetTable(request, metadata=base.owner.md)).table
    assert [f.name for f in first.fields] == ["Title"]
    await base.field(table.id, "Points", "number")
    second = (await base.schema.GetTable(request, metadata=base.owner.md)).table
    assert [f.name for f in second.fields] == ["Title", "Points"]
    assert second.version > first.version
