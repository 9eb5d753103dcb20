"""permission-service over real gRPC: inheritance, thresholds, batches, tenancy, invalidation."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass

import grpc
import pytest
from pyat.events.v1 import events_pb2
from pyat.permission.v1 import permission_pb2 as pb
from pyat.permission.v1 import permission_pb2_grpc
from sqlalchemy import delete, select

from services import permission
from services.permission.decisions import DECISION_TTL_S, VERSION_MEMO_S
from services.permission.storage import GrantRow
from services.shared.ids import new_id
from services.shared.outbox import OutboxRow, add_event
from services.shared.server import Host
from tests.contract.test_auth import field_violations
from tests.fixtures.callers import caller_metadata
from tests.fixtures.fabric import StartHost
from tests.fixtures.infra import delete_stream

Metadata = tuple[tuple[str, str], ...]
Stub = permission_pb2_grpc.PermissionServiceStub

READ_ONLY, COMMENTER, EDITOR, CREATOR, OWNER = (
    pb.ROLE_READ_ONLY,
    pb.ROLE_COMMENTER,
    pb.ROLE_EDITOR,
    pb.ROLE_CREATOR,
    pb.ROLE_OWNER,
)
NONE = pb.ROLE_UNSPECIFIED
ACTIONS = (
    pb.ACTION_READ,
    pb.ACTION_COMMENT,
    pb.ACTION_EDIT_RECORDS,
    pb.ACTION_EDIT_SCHEMA,
    pb.ACTION_MANAGE_MEMBERS,
    pb.ACTION_DELETE,
)
# The weakest role each action needs, written out here as the contract says it.
NEEDS = {
    pb.ACTION_READ: READ_ONLY,
    pb.ACTION_COMMENT: COMMENTER,
    pb.ACTION_EDIT_RECORDS: EDITOR,
    pb.ACTION_EDIT_SCHEMA: CREATOR,
    pb.ACTION_MANAGE_MEMBERS: OWNER,
    pb.ACTION_DELETE: OWNER,
}


@dataclass(frozen=True)
class Fabric:
    host: Host
    stub: Stub


@pytest.fixture(params=["sqlite", "postgres"])
def fab(request: pytest.FixtureRequest) -> Fabric:
    """The fabric on SQLite and the in-process cache, and on PostgreSQL, Redis and NATS."""
    sqlite = request.param == "sqlite"
    host: Host = request.getfixturevalue("fabric" if sqlite else "pg_fabric")
    channel: grpc.aio.Channel = request.getfixturevalue("channel" if sqlite else "pg_channel")
    return Fabric(host, permission_pb2_grpc.PermissionServiceStub(channel))


@dataclass(frozen=True)
class Tenant:
    id: str
    admin: str

    def as_user(self, user_id: str | None = None) -> Metadata:
        return caller_metadata(self.id, user_id or self.admin, via="workspace")


def new_tenant() -> Tenant:
    return Tenant(new_id("ten"), new_id("usr"))


@dataclass(frozen=True)
class Tree:
    """A workspace with two bases, the first with two tables; and another workspace."""

    ws: str
    base: str
    table: str
    other_table: str
    other_base: str
    other_ws: str

    def at(self, level: str) -> pb.Resource:
        return {
            "workspace": pb.Resource(workspace_id=self.ws),
            "base": pb.Resource(workspace_id=self.ws, base_id=self.base),
            "table": pb.Resource(workspace_id=self.ws, base_id=self.base, table_id=self.table),
            "other_table": pb.Resource(
                workspace_id=self.ws, base_id=self.base, table_id=self.other_table
            ),
            "other_base": pb.Resource(workspace_id=self.ws, base_id=self.other_base),
            "other_ws": pb.Resource(workspace_id=self.other_ws),
        }[level]


def new_tree() -> Tree:
    return Tree(
        new_id("wsp"), new_id("app"), new_id("tbl"), new_id("tbl"), new_id("app"), new_id("wsp")
    )


async def grant(stub: Stub, tenant: Tenant, subject: str, resource: pb.Resource, role: int) -> None:
    await stub.Grant(
        pb.GrantRequest(subject_id=subject, resource=resource, role=role),
        metadata=tenant.as_user(),
    )


async def check(
    stub: Stub, tenant: Tenant, subject: str, resource: pb.Resource, action: int = pb.ACTION_READ
) -> pb.CheckResponse:
    request = pb.CheckRequest(subject_id=subject, action=action, resource=resource)
    response: pb.CheckResponse = await stub.Check(request, metadata=tenant.as_user())
    return response


async def role_at(stub: Stub, tenant: Tenant, subject: str, resource: pb.Resource) -> int:
    return (await check(stub, tenant, subject, resource)).role


async def until(condition_met: Callable[[], Awaitable[bool]], timeout_s: float) -> None:
    """Poll an async predicate until it holds (fails after `timeout_s`)."""
    deadline = time.monotonic() + timeout_s
    while not await condition_met():
        if time.monotonic() > deadline:
            pytest.fail(f"condition not met within {timeout_s}s")
        await asyncio.sleep(0.01)


LEVELS = ("workspace", "base", "table", "other_table", "other_base", "other_ws")
# Long enough for a memoised version to have lapsed, with a hair for the clock's resolution.
MEMO_LAPSED_S = VERSION_MEMO_S + 0.01
BELOW = {
    "workspace": {"workspace", "base", "table", "other_table", "other_base"},
    "base": {"base", "table", "other_table"},
    "table": {"table"},
}


@pytest.mark.parametrize("granted_at", ["workspace", "base", "table"])
async def test_a_grant_reaches_everything_below_it_and_nothing_above_or_beside(
    fab: Fabric, granted_at: str
) -> None:
    tenant, tree, alice = new_tenant(), new_tree(), new_id("usr")
    await grant(fab.stub, tenant, alice, tree.at(granted_at), EDITOR)
    roles = {level: await role_at(fab.stub, tenant, alice, tree.at(level)) for level in LEVELS}
    assert roles == {level: EDITOR if level in BELOW[granted_at] else NONE for level in LEVELS}


@pytest.mark.parametrize(
    ("grants", "expected"),
    [
        # A weaker grant below never reduces a stronger one above.
        (
            {"workspace": OWNER, "table": READ_ONLY},
            {"workspace": OWNER, "base": OWNER, "table": OWNER},
        ),
        (
            {"workspace": READ_ONLY, "base": EDITOR},
            {"workspace": READ_ONLY, "base": EDITOR, "table": EDITOR, "other_base": READ_ONLY},
        ),
        (
            {"workspace": COMMENTER, "base": READ_ONLY, "table": CREATOR},
            {"workspace": COMMENTER, "base": COMMENTER, "table": CREATOR, "other_table": COMMENTER},
        ),
        (
            {"base": OWNER, "table": COMMENTER},
            {"workspace": NONE, "base": OWNER, "table": OWNER, "other_base": NONE},
        ),
    ],
    ids=["owner-over-read-only", "editor-base-in-read-only-ws", "three-levels", "base-over-table"],
)
async def test_the_strongest_role_on_the_path_wins(
    fab: Fabric, grants: dict[str, int], expected: dict[str, int]
) -> None:
    tenant, tree, alice = new_tenant(), new_tree(), new_id("usr")
    for level, role in grants.items():
        await grant(fab.stub, tenant, alice, tree.at(level), role)
    roles = {level: await role_at(fab.stub, tenant, alice, tree.at(level)) for level in expected}
    assert roles == expected


@pytest.mark.parametrize(
    "role",
    [NONE, READ_ONLY, COMMENTER, EDITOR, CREATOR, OWNER],
    ids=lambda role: pb.Role.Name(role),
)
async def test_each_action_needs_its_minimum_role(fab: Fabric, role: int) -> None:
    tenant, tree, alice = new_tenant(), new_tree(), new_id("usr")
    if role != NONE:
        await grant(fab.stub, tenant, alice, tree.at("workspace"), role)
    expected = [role >= NEEDS[action] for action in ACTIONS]
    table = tree.at("table")
    one_by_one = [(await check(fab.stub, tenant, alice, table, action)) for action in ACTIONS]
    assert [answer.allowed for answer in one_by_one] == expected
    assert {answer.role for answer in one_by_one} == {role}
    batch = await fab.stub.BatchCheck(
        pb.BatchCheckRequest(
            checks=[pb.CheckRequest(subject_id=alice, action=a, resource=table) for a in ACTIONS]
        ),
        metadata=tenant.as_user(),
    )
    assert [answer.allowed for answer in batch.results] == expected


async def test_batch_check_answers_in_the_order_asked(fab: Fabric) -> None:
    tenant, tree = new_tenant(), new_tree()
    alice, bob = new_id("usr"), new_id("usr")
    await grant(fab.stub, tenant, alice, tree.at("base"), EDITOR)
    await grant(fab.stub, tenant, bob, tree.at("table"), OWNER)
    await grant(fab.stub, tenant, tenant.admin, tree.at("other_ws"), COMMENTER)
    asked = [
        (alice, pb.ACTION_EDIT_RECORDS, "table", True, EDITOR),
        (bob, pb.ACTION_DELETE, "table", True, OWNER),
        (alice, pb.ACTION_EDIT_SCHEMA, "table", False, EDITOR),
        (bob, pb.ACTION_READ, "base", False, NONE),
        ("", pb.ACTION_COMMENT, "other_ws", True, COMMENTER),  # the caller itself
        (alice, pb.ACTION_EDIT_RECORDS, "table", True, EDITOR),  # asked twice
        (alice, pb.ACTION_READ, "workspace", False, NONE),
    ]
    response = await fab.stub.BatchCheck(
        pb.BatchCheckRequest(
            checks=[
                pb.CheckRequest(subject_id=s, action=a, resource=tree.at(level))
                for s, a, level, _, _ in asked
            ]
        ),
        metadata=tenant.as_user(),
    )
    assert [(r.allowed, r.role) for r in response.results] == [
        (allowed, role) for *_, allowed, role in asked
    ]


async def test_batch_check_takes_up_to_100_checks(fab: Fabric) -> None:
    tenant, tree = new_tenant(), new_tree()
    await grant(fab.stub, tenant, tenant.admin, tree.at("workspace"), READ_ONLY)
    one = pb.CheckRequest(action=pb.ACTION_READ, resource=tree.at("table"))
    empty = await fab.stub.BatchCheck(pb.BatchCheckRequest(), metadata=tenant.as_user())
    assert list(empty.results) == []
    full = await fab.stub.BatchCheck(
        pb.BatchCheckRequest(checks=[one] * 100), metadata=tenant.as_user()
    )
    assert [r.allowed for r in full.results] == [True] * 100
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await fab.stub.BatchCheck(
            pb.BatchCheckRequest(checks=[one] * 101), metadata=tenant.as_user()
        )
    assert caught.value.code() is grpc.StatusCode.INVALID_ARGUMENT
    assert set(field_violations(caught.value)) == {"checks"}


async def test_an_empty_subject_means_the_caller(fab: Fabric) -> None:
    tenant, tree, alice = new_tenant(), new_tree(), new_id("usr")
    await grant(fab.stub, tenant, alice, tree.at("base"), CREATOR)
    as_alice = await fab.stub.Check(
        pb.CheckRequest(action=pb.ACTION_EDIT_SCHEMA, resource=tree.at("table")),
        metadata=tenant.as_user(alice),
    )
    assert (as_alice.allowed, as_alice.role) == (True, CREATOR)
    as_admin = await check(fab.stub, tenant, "", tree.at("table"), pb.ACTION_EDIT_SCHEMA)
    assert (as_admin.allowed, as_admin.role) == (False, NONE)


async def test_grant_replaces_the_role_there_and_records_the_grantor(fab: Fabric) -> None:
    tenant, tree, alice = new_tenant(), new_tree(), new_id("usr")
    other_admin = new_id("usr")
    first = await fab.stub.Grant(
        pb.GrantRequest(subject_id=alice, resource=tree.at("base"), role=OWNER),
        metadata=tenant.as_user(),
    )
    assert first.grant.granted_by == tenant.admin and first.grant.tenant_id == tenant.id
    assert await role_at(fab.stub, tenant, alice, tree.at("table")) == OWNER  # now cached

    second = await fab.stub.Grant(
        pb.GrantRequest(subject_id=alice, resource=tree.at("base"), role=READ_ONLY),
        metadata=tenant.as_user(other_admin),
    )
    assert (second.grant.role, second.grant.granted_by) == (READ_ONLY, other_admin)
    assert second.grant.granted_at.ToDatetime() >= first.grant.granted_at.ToDatetime()
    # A downgrade is a change like any other: the cached OWNER is gone at once.
    assert await role_at(fab.stub, tenant, alice, tree.at("table")) == READ_ONLY
    listed = await fab.stub.ListGrants(
        pb.ListGrantsRequest(subject_id=alice), metadata=tenant.as_user()
    )
    assert list(listed.grants) == [second.grant]


async def test_concurrent_grants_on_one_resource_leave_exactly_one(fab: Fabric) -> None:
    tenant, tree, alice = new_tenant(), new_tree(), new_id("usr")
    roles = [READ_ONLY, COMMENTER, EDITOR, CREATOR, OWNER] * 4
    await asyncio.gather(*(grant(fab.stub, tenant, alice, tree.at("base"), r) for r in roles))
    listed = await fab.stub.ListGrants(
        pb.ListGrantsRequest(subject_id=alice), metadata=tenant.as_user()
    )
    assert len(listed.grants) == 1
    # Whichever grant landed last, Check agrees with what is stored.
    assert await role_at(fab.stub, tenant, alice, tree.at("table")) == listed.grants[0].role


async def test_revoke_takes_effect_immediately_and_is_idempotent(fab: Fabric) -> None:
    tenant, tree, alice = new_tenant(), new_tree(), new_id("usr")
    await grant(fab.stub, tenant, alice, tree.at("workspace"), EDITOR)
    for _ in range(3):  # warm
        assert (await check(fab.stub, tenant, alice, tree.at("table"))).allowed
    revoke = pb.RevokeRequest(subject_id=alice, resource=tree.at("workspace"))
    assert (await fab.stub.Revoke(revoke, metadata=tenant.as_user())).revoked is True
    answer = await check(fab.stub, tenant, alice, tree.at("table"))
    assert (answer.allowed, answer.role) == (False, NONE)
    assert (await fab.stub.Revoke(revoke, metadata=tenant.as_user())).revoked is False


async def test_revoke_removes_only_the_grant_on_exactly_that_resource(fab: Fabric) -> None:
    tenant, tree, alice = new_tenant(), new_tree(), new_id("usr")
    await grant(fab.stub, tenant, alice, tree.at("workspace"), READ_ONLY)
    await grant(fab.stub, tenant, alice, tree.at("table"), EDITOR)
    # Nothing was granted on the base itself, though a role is inherited there.
    nothing = pb.RevokeRequest(subject_id=alice, resource=tree.at("base"))
    assert (await fab.stub.Revoke(nothing, metadata=tenant.as_user())).revoked is False
    table = pb.RevokeRequest(subject_id=alice, resource=tree.at("table"))
    assert (await fab.stub.Revoke(table, metadata=tenant.as_user())).revoked is True
    assert await role_at(fab.stub, tenant, alice, tree.at("table")) == READ_ONLY


async def test_list_grants_by_resource_by_subject_or_both(fab: Fabric) -> None:
    tenant, tree = new_tenant(), new_tree()
    alice, bob = new_id("usr"), new_id("usr")
    await grant(fab.stub, tenant, alice, tree.at("base"), EDITOR)
    await grant(fab.stub, tenant, bob, tree.at("base"), COMMENTER)
    await grant(fab.stub, tenant, alice, tree.at("workspace"), READ_ONLY)
    await grant(fab.stub, tenant, alice, tree.at("table"), OWNER)

    async def listed(**request: object) -> list[tuple[str, str, str, str, int]]:
        response = await fab.stub.ListGrants(
            pb.ListGrantsRequest(**request),
            metadata=tenant.as_user(),
        )
        return [
            (g.subject_id, g.resource.workspace_id, g.resource.base_id, g.resource.table_id, g.role)
            for g in response.grants
        ]

    on_base = await listed(resource=tree.at("base"))
    assert sorted(on_base) == sorted(
        [(alice, tree.ws, tree.base, "", EDITOR), (bob, tree.ws, tree.base, "", COMMENTER)]
    )
    assert await listed(subject_id=alice) == [
        (alice, tree.ws, "", "", READ_ONLY),
        (alice, tree.ws, tree.base, "", EDITOR),
        (alice, tree.ws, tree.base, tree.table, OWNER),
    ]
    assert await listed(subject_id=bob, resource=tree.at("base")) == [
        (bob, tree.ws, tree.base, "", COMMENTER)
    ]
    assert await listed(subject_id=bob, resource=tree.at("table")) == []


async def test_another_tenants_grants_neither_help_nor_show(fab: Fabric) -> None:
    a, b, tree, alice = new_tenant(), new_tenant(), new_tree(), new_id("usr")
    await grant(fab.stub, a, alice, tree.at("workspace"), OWNER)
    assert await role_at(fab.stub, a, alice, tree.at("table")) == OWNER  # cached in tenant A

    # The same subject and resource ids, asked from tenant B, by id or as the caller.
    for level in ("workspace", "base", "table"):
        assert await role_at(fab.stub, b, alice, tree.at(level)) == NONE
    as_alice_in_b = await fab.stub.Check(
        pb.CheckRequest(action=pb.ACTION_READ, resource=tree.at("table")),
        metadata=b.as_user(alice),
    )
    assert (as_alice_in_b.allowed, as_alice_in_b.role) == (False, NONE)
    batch = await fab.stub.BatchCheck(
        pb.BatchCheckRequest(
            checks=[
                pb.CheckRequest(subject_id=alice, action=pb.ACTION_READ, resource=tree.at("base"))
            ]
        ),
        metadata=b.as_user(),
    )
    assert [(r.allowed, r.role) for r in batch.results] == [(False, NONE)]
    for request in (
        pb.ListGrantsRequest(subject_id=alice),
        pb.ListGrantsRequest(resource=tree.at("workspace")),
        pb.ListGrantsRequest(subject_id=alice, resource=tree.at("workspace")),
    ):
        assert list((await fab.stub.ListGrants(request, metadata=b.as_user())).grants) == []

    # Tenant B cannot revoke or overwrite A's grant either.
    revoke = pb.RevokeRequest(subject_id=alice, resource=tree.at("workspace"))
    assert (await fab.stub.Revoke(revoke, metadata=b.as_user())).revoked is False
    await grant(fab.stub, b, alice, tree.at("workspace"), READ_ONLY)
    assert await role_at(fab.stub, a, alice, tree.at("table")) == OWNER
    assert await role_at(fab.stub, b, alice, tree.at("table")) == READ_ONLY
    in_a = await fab.stub.ListGrants(pb.ListGrantsRequest(subject_id=alice), metadata=a.as_user())
    assert [(g.tenant_id, g.role) for g in in_a.grants] == [(a.id, OWNER)]


async def test_each_change_emits_grant_changed_through_the_outbox(fab: Fabric) -> None:
    tenant, tree, alice = new_tenant(), new_tree(), new_id("usr")
    await grant(fab.stub, tenant, alice, tree.at("table"), COMMENTER)
    revoke = pb.RevokeRequest(subject_id=alice, resource=tree.at("table"))
    await fab.stub.Revoke(revoke, metadata=tenant.as_user())
    await fab.stub.Revoke(revoke, metadata=tenant.as_user())  # nothing changes: no event

    assert fab.host.runtime is not None
    async with fab.host.runtime.db.read() as session:
        payloads = (
            await session.scalars(
                select(OutboxRow.payload)
                .where(OutboxRow.tenant_id == tenant.id)
                .order_by(OutboxRow.seq)
            )
        ).all()
    changes = []
    for payload in payloads:
        event = events_pb2.Event.FromString(payload)
        changed = events_pb2.GrantChanged()
        assert event.payload.Unpack(changed) and event.source == "permission"
        changes.append(changed)
    expected = events_pb2.GrantChanged(
        tenant_id=tenant.id,
        subject_id=alice,
        workspace_id=tree.ws,
        base_id=tree.base,
        table_id=tree.table,
    )
    granted = events_pb2.GrantChanged()
    granted.CopyFrom(expected)
    granted.role = "ROLE_COMMENTER"
    assert changes == [granted, expected]


async def test_decisions_are_cached_and_a_grant_changed_event_drops_them(fab: Fabric) -> None:
    """A change made where this process's invalidation did not run (another replica with its
    own cache) still reaches it, through the GrantChanged consumer."""
    tenant, tree, alice = new_tenant(), new_tree(), new_id("usr")
    await grant(fab.stub, tenant, alice, tree.at("base"), EDITOR)
    warmed_at = time.monotonic()  # the decision is cached from here, for DECISION_TTL_S
    assert await role_at(fab.stub, tenant, alice, tree.at("table")) == EDITOR

    runtime = fab.host.runtime
    assert runtime is not None
    async with runtime.db.transaction() as session:
        await session.execute(
            delete(GrantRow).where(GrantRow.tenant_id == tenant.id, GrantRow.subject_id == alice)
        )
    # Behind the service's back: the cached decision still answers.
    assert await role_at(fab.stub, tenant, alice, tree.at("table")) == EDITOR

    async with runtime.db.transaction() as session:
        add_event(
            session,
            events_pb2.GrantChanged(
                tenant_id=tenant.id, subject_id=alice, workspace_id=tree.ws, base_id=tree.base
            ),
            tenant_id=tenant.id,
            source="elsewhere",
        )
    runtime.outbox.notify()

    async def denied() -> bool:
        return await role_at(fab.stub, tenant, alice, tree.at("table")) == NONE

    await until(denied, timeout_s=DECISION_TTL_S)
    # Denied before the cached decision could have expired: the event dropped it. (Events
    # take far less; the margin is for a loaded machine.)
    assert time.monotonic() - warmed_at < DECISION_TTL_S


@dataclass(frozen=True)
class TwoHosts:
    a: Stub
    b: Stub


@pytest.fixture
async def two_hosts(
    start_host: StartHost, pg_url: str, redis_url: str, nats_url: str, unique_name: str
) -> AsyncIterator[TwoHosts]:
    """Two permission-service hosts sharing PostgreSQL, Redis and a NATS stream."""
    shared = {
        "database_url": pg_url,
        "redis_url": redis_url,
        "nats_url": nats_url,
        "nats_stream": unique_name.upper(),
        "cache_prefix": f"{unique_name}:",
    }
    hosts = [await start_host([permission.SERVICE], **shared) for _ in range(2)]
    channels = [grpc.aio.insecure_channel(host.address) for host in hosts]
    try:
        yield TwoHosts(*(permission_pb2_grpc.PermissionServiceStub(c) for c in channels))
    finally:
        for channel in channels:
            await channel.close()
        for host in hosts:
            await host.stop(grace_s=1)
        await delete_stream(nats_url, unique_name.upper())


async def test_a_revoke_on_one_host_stops_a_check_warmed_on_another_once_its_memo_lapses(
    two_hosts: TwoHosts,
) -> None:
    """B trusts a subject's version it read for VERSION_MEMO_S at most, and nothing of B reads
    it while no check is in flight: so a check sent that long after the change returned on A
    sees it, however long anything takes on a loaded machine."""
    tenant, tree, alice = new_tenant(), new_tree(), new_id("usr")
    await grant(two_hosts.a, tenant, alice, tree.at("workspace"), EDITOR)
    for _ in range(3):  # warm on B
        assert await role_at(two_hosts.b, tenant, alice, tree.at("table")) == EDITOR

    revoke = pb.RevokeRequest(subject_id=alice, resource=tree.at("workspace"))
    assert (await two_hosts.a.Revoke(revoke, metadata=tenant.as_user())).revoked
    await asyncio.sleep(MEMO_LAPSED_S)
    assert not (await check(two_hosts.b, tenant, alice, tree.at("table"))).allowed

    # And the other way round: a grant on A reaches a denial warmed on B.
    await grant(two_hosts.a, tenant, alice, tree.at("table"), READ_ONLY)
    await asyncio.sleep(MEMO_LAPSED_S)
    assert (await check(two_hosts.b, tenant, alice, tree.at("table"))).allowed


GOOD = new_tree()
LONG = "x" * 10_000


@pytest.mark.parametrize(
    ("resource", "fields"),
    [
        (pb.Resource(), {"workspace_id"}),
        (pb.Resource(base_id=GOOD.base), {"workspace_id"}),
        (pb.Resource(workspace_id=GOOD.ws, table_id=GOOD.table), {"base_id"}),
        (pb.Resource(workspace_id=GOOD.base), {"workspace_id"}),
        (pb.Resource(workspace_id=GOOD.ws, base_id=GOOD.table), {"base_id"}),
        (pb.Resource(workspace_id=GOOD.ws, base_id=GOOD.base, table_id=GOOD.ws), {"table_id"}),
        (pb.Resource(workspace_id="wsp" + "!" * 14), {"workspace_id"}),
        (pb.Resource(workspace_id=GOOD.ws + "x"), {"workspace_id"}),
        (pb.Resource(workspace_id="wsp" + "é" * 14), {"workspace_id"}),
        (
            pb.Resource(workspace_id=LONG, base_id=LONG, table_id=LONG),
            {"workspace_id", "base_id", "table_id"},
        ),
    ],
    ids=[
        "empty",
        "base-without-workspace",
        "table-without-base",
        "base-id-as-workspace",
        "table-id-as-base",
        "workspace-id-as-table",
        "bad-characters",
        "too-long",
        "unicode",
        "huge",
    ],
)
async def test_bad_resources_are_invalid_arguments_naming_the_field(
    fab: Fabric, resource: pb.Resource, fields: set[str]
) -> None:
    tenant, alice = new_tenant(), new_id("usr")
    await grant(fab.stub, tenant, alice, GOOD.at("table"), OWNER)
    calls = {
        "resource": [
            fab.stub.Check(
                pb.CheckRequest(action=pb.ACTION_READ, resource=resource), metadata=tenant.as_user()
            ),
            fab.stub.Grant(
                pb.GrantRequest(subject_id=alice, resource=resource, role=EDITOR),
                metadata=tenant.as_user(),
            ),
            fab.stub.Revoke(
                pb.RevokeRequest(subject_id=alice, resource=resource), metadata=tenant.as_user()
            ),
            fab.stub.ListGrants(pb.ListGrantsRequest(resource=resource), metadata=tenant.as_user()),
        ],
        "checks[1].resource": [
            fab.stub.BatchCheck(
                pb.BatchCheckRequest(
                    checks=[
                        pb.CheckRequest(action=pb.ACTION_READ, resource=GOOD.at("table")),
                        pb.CheckRequest(action=pb.ACTION_READ, resource=resource),
                    ]
                ),
                metadata=tenant.as_user(),
            )
        ],
    }
    for prefix, pending in calls.items():
        for call in pending:
            with pytest.raises(grpc.aio.AioRpcError) as caught:
                await call
            assert caught.value.code() is grpc.StatusCode.INVALID_ARGUMENT
            assert set(field_violations(caught.value)) == {f"{prefix}.{f}" for f in fields}
            assert LONG not in (caught.value.details() or "")
    # Nothing stored was lost or changed.
    listed = await fab.stub.ListGrants(
        pb.ListGrantsRequest(subject_id=alice), metadata=tenant.as_user()
    )
    assert [(g.resource, g.role) for g in listed.grants] == [(GOOD.at("table"), OWNER)]


@pytest.mark.parametrize("action", [pb.ACTION_UNSPECIFIED, 7, 99, -1])
async def test_unknown_actions_are_invalid_arguments(fab: Fabric, action: int) -> None:
    tenant = new_tenant()
    request = pb.CheckRequest(action=action, resource=GOOD.at("base"))
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await fab.stub.Check(request, metadata=tenant.as_user())
    assert caught.value.code() is grpc.StatusCode.INVALID_ARGUMENT
    assert set(field_violations(caught.value)) == {"action"}
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await fab.stub.BatchCheck(pb.BatchCheckRequest(checks=[request]), metadata=tenant.as_user())
    assert set(field_violations(caught.value)) == {"checks[0].action"}


@pytest.mark.parametrize("role", [pb.ROLE_UNSPECIFIED, 6, 99, -1])
async def test_unknown_or_unspecified_roles_cannot_be_granted(fab: Fabric, role: int) -> None:
    tenant, alice = new_tenant(), new_id("usr")
    await grant(fab.stub, tenant, alice, GOOD.at("base"), COMMENTER)
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await grant(fab.stub, tenant, alice, GOOD.at("base"), role)
    assert caught.value.code() is grpc.StatusCode.INVALID_ARGUMENT
    assert set(field_violations(caught.value)) == {"role"}
    assert await role_at(fab.stub, tenant, alice, GOOD.at("base")) == COMMENTER


@pytest.mark.parametrize("subject", ["usr", GOOD.ws, "usr" + "!" * 14, LONG])
async def test_subjects_must_be_user_ids(fab: Fabric, subject: str) -> None:
    tenant = new_tenant()
    resource = GOOD.at("base")
    for call in (
        fab.stub.Check(
            pb.CheckRequest(subject_id=subject, action=pb.ACTION_READ, resource=resource),
            metadata=tenant.as_user(),
        ),
        fab.stub.Grant(
            pb.GrantRequest(subject_id=subject, resource=resource, role=OWNER),
            metadata=tenant.as_user(),
        ),
        fab.stub.Revoke(
            pb.RevokeRequest(subject_id=subject, resource=resource), metadata=tenant.as_user()
        ),
        fab.stub.ListGrants(pb.ListGrantsRequest(subject_id=subject), metadata=tenant.as_user()),
    ):
        with pytest.raises(grpc.aio.AioRpcError) as caught:
            await call
        assert caught.value.code() is grpc.StatusCode.INVALID_ARGUMENT
        assert set(field_violations(caught.value)) == {"subject_id"}
        assert LONG not in (caught.value.details() or "")


async def test_grant_and_revoke_need_a_subject_and_list_grants_a_filter(fab: Fabric) -> None:
    tenant = new_tenant()
    for call, fields in (
        (
            fab.stub.Grant(
                pb.GrantRequest(resource=GOOD.at("base"), role=OWNER), metadata=tenant.as_user()
            ),
            {"subject_id"},
        ),
        (
            fab.stub.Revoke(pb.RevokeRequest(resource=GOOD.at("base")), metadata=tenant.as_user()),
            {"subject_id"},
        ),
        (
            fab.stub.Grant(pb.GrantRequest(), metadata=tenant.as_user()),
            {"subject_id", "resource.workspace_id", "role"},
        ),
        (fab.stub.ListGrants(pb.ListGrantsRequest(), metadata=tenant.as_user()), {"resource"}),
    ):
        with pytest.raises(grpc.aio.AioRpcError) as caught:
            await call
        assert caught.value.code() is grpc.StatusCode.INVALID_ARGUMENT
        assert set(field_violations(caught.value)) == fields


async def test_every_rpc_needs_an_identity(fab: Fabric) -> None:
    resource = GOOD.at("base")
    for call in (
        fab.stub.Check(pb.CheckRequest(action=pb.ACTION_READ, resource=resource)),
        fab.stub.BatchCheck(pb.BatchCheckRequest()),
        fab.stub.Grant(pb.GrantRequest(subject_id=new_id("usr"), resource=resource, role=OWNER)),
        fab.stub.Revoke(pb.RevokeRequest(subject_id=new_id("usr"), resource=resource)),
        fab.stub.ListGrants(pb.ListGrantsRequest(resource=resource)),
    ):
        with pytest.raises(grpc.aio.AioRpcError) as caught:
            await call
        assert caught.value.code() is grpc.StatusCode.UNAUTHENTICATED
