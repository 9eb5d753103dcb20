"""Version tokens (services/shared/versions.py) over real gRPC: each owner replaces its token
once a change commits (before its call answers), and decisions kept under a grants token
(services/shared/base_access.py, web-bff) stop working on the very next call after a revoke."""

from __future__ import annotations

import logging

import grpc
import pytest
import redis.asyncio as aioredis
from google.protobuf import json_format
from pyat.airtable.v1 import airtable_gateway_pb2 as rec
from pyat.permission.v1 import permission_pb2 as perm
from pyat.schema.v1 import schema_pb2
from pyat.user.v1 import user_pb2, user_pb2_grpc

from services.registry import SERVICES
from services.shared.cache import RedisCache
from services.shared.server import Host
from services.shared.versions import (
    Versions,
    grants_scope,
    profile_scope,
    records_scope,
    schema_scope,
    workspaces_scope,
)
from tests.airtable_gateway.helpers import Base, new_base, spec, struct, until
from tests.fixtures.fabric import StartHost


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


@pytest.fixture
async def owners_only(start_host: StartHost) -> Host:
    """Every service but web-bff, whose listener would replace the tokens on the owners'
    events too: here only the owners' own replacements count."""
    return await start_host([s for s in SERVICES.values() if s.name != "web-bff"])


async def test_record_and_schema_changes_replace_their_bases_tokens_before_answering(
    owners_only: Host,
) -> None:
    async with grpc.aio.insecure_channel(owners_only.address) as channel:
        base, other = await new_base(owners_only, channel), await new_base(owners_only, channel)
        tenant = base.owner.tenant_id
        records, schema = records_scope(tenant, base.base_id), schema_scope(tenant, base.base_id)
        others = [
            records_scope(other.owner.tenant_id, other.base_id),
            schema_scope(other.owner.tenant_id, other.base_id),
        ]
        left_alone = [await token(owners_only, scope) for scope in others]
        seen = {await token(owners_only, schema)}
        table = await base.table("Tasks", spec("Title", "singleLineText"))
        seen.add(await token(owners_only, schema))
        await base.field(table.id, "Status", "singleSelect", {"choices": [{"name": "Todo"}]})
        seen.add(await token(owners_only, schema))
        assert len(seen) == 3

        written = {await token(owners_only, records)}
        [made] = await base.create(table.id, {"Title": "One"})
        written.add(await token(owners_only, records))
        await base.update(table.id, (made.id, {"Title": "Two"}))
        written.add(await token(owners_only, records))
        # A typecast choice is a schema change made by a record write.
        schema_before = await token(owners_only, schema)
        await base.update(table.id, (made.id, {"Status": "Done"}), typecast=True)
        written.add(await token(owners_only, records))
        assert await token(owners_only, schema) != schema_before
        await base.records.DeleteRecords(
            rec.DeleteRecordsRequest(base_id=base.base_id, table=table.id, record_ids=[made.id]),
            metadata=base.owner.md,
        )
        written.add(await token(owners_only, records))
        assert len(written) == 5
        assert [await token(owners_only, scope) for scope in others] == left_alone


async def test_rewrites_retypes_and_base_deletion_replace_the_bases_tokens(
    owners_only: Host,
) -> None:
    """Work the owners do on events: a renamed choice rewritten in the cells, a retyped field's
    cells converted, a base's schema dropped."""
    async with grpc.aio.insecure_channel(owners_only.address) as channel:
        base = await new_base(owners_only, channel)
        tenant = base.owner.tenant_id
        records, schema = records_scope(tenant, base.base_id), schema_scope(tenant, base.base_id)
        table = await base.table(
            "Tasks", spec("Status", "singleSelect", choices=[{"name": "Todo"}])
        )
        await base.create(table.id, {"Status": "Todo"})
        written = await token(owners_only, records)
        field = table.fields[0]
        [todo] = json_format.MessageToDict(field.options)["choices"]
        await base.schema.UpdateField(
            schema_pb2.UpdateFieldRequest(
                base_id=base.base_id,
                table_id=table.id,
                field_id=field.id,
                options=struct({"choices": [{"id": todo["id"], "name": "Later"}]}),
            ),
            metadata=base.owner.md,
        )

        async def rewritten() -> bool:
            return await token(owners_only, records) != written

        await until(rewritten, "airtable-gateway replaces the records token after a rewrite")
        written = await token(owners_only, records)
        await base.schema.UpdateField(
            schema_pb2.UpdateFieldRequest(
                base_id=base.base_id, table_id=table.id, field_id=field.id, type="number"
            ),
            metadata=base.owner.md,
        )
        await until(rewritten, "airtable-gateway replaces the records token after a retype")
        before = await token(owners_only, schema)
        await base.api.rpc(base.owner, "DeleteBase", base_id=base.base_id)

        async def dropped() -> bool:
            return await token(owners_only, schema) != before

        await until(dropped, "schema-service replaces the schema token of a deleted base")


async def test_a_token_the_cache_cannot_replace_is_logged_not_raised(
    caplog: pytest.LogCaptureFixture,
) -> None:
    """The change has committed: its call must not fail for the cache's sake."""
    # Port 1: nothing listens there.
    cache = RedisCache(aioredis.Redis(host="127.0.0.1", port=1, socket_connect_timeout=1), "t:")
    try:
        with caplog.at_level(logging.WARNING, logger="services.shared.versions"):
            await Versions(cache).changed(
                [records_scope("ten1", "app1"), schema_scope("ten1", "app1")]
            )
    finally:
        await cache.close()
    # Once: the others would wait out the same outage.
    assert caplog.text.count("cannot replace the version token") == 1
