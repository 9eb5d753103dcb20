"""tenant-service over real gRPC: tenants, plans, quotas and usage, members and invitations."""

from __future__ import annotations

import asyncio
import datetime as dt
import hashlib
import itertools
from collections.abc import Awaitable
from dataclasses import dataclass
from typing import Any

import grpc
import pytest
from pyat.auth.v1 import auth_pb2_grpc
from pyat.events.v1 import events_pb2
from pyat.tenant.v1 import tenant_pb2 as pb
from pyat.tenant.v1 import tenant_pb2_grpc
from sqlalchemy import select, update

from services.shared.db import Database, utcnow
from services.shared.ids import looks_like, new_id
from services.shared.outbox import OutboxRow
from services.shared.server import Host
from services.tenant.quotas import MAX_USAGE, month_of
from services.tenant.storage import Invitation, Usage
from tests.contract.test_auth import field_violations, new_email, register
from tests.fixtures.callers import caller_metadata, service_metadata

Metadata = tuple[tuple[str, str], ...]
OK = grpc.StatusCode.OK


def as_auth() -> Metadata:
    """ClaimInvitation is internal: auth-service calls it, as itself, during Register. Signed
    at each call: an assertion lives a minute, less than this module may take to run."""
    return service_metadata("auth")


def identity(tenant_id: str, user_id: str) -> Metadata:
    return caller_metadata(tenant_id, user_id, via="auth")


@dataclass(frozen=True)
class Person:
    tenant_id: str
    user_id: str

    @property
    def md(self) -> Metadata:
        return identity(self.tenant_id, self.user_id)


@pytest.fixture
def tenants(channel: grpc.aio.Channel) -> tenant_pb2_grpc.TenantServiceStub:
    return tenant_pb2_grpc.TenantServiceStub(channel)


@pytest.fixture
def pg_tenants(pg_channel: grpc.aio.Channel) -> tenant_pb2_grpc.TenantServiceStub:
    return tenant_pb2_grpc.TenantServiceStub(pg_channel)


def db_of(host: Host) -> Database:
    assert host.runtime is not None
    return host.runtime.db


async def new_tenant(
    stub: tenant_pb2_grpc.TenantServiceStub, plan: pb.Plan = pb.PLAN_UNSPECIFIED, name: str = ""
) -> Person:
    owner = Person(new_id("ten"), new_id("usr"))
    request = pb.CreateTenantRequest(
        tenant_id=owner.tenant_id, owner_user_id=owner.user_id, plan=plan, name=name
    )
    created = await stub.CreateTenant(request, metadata=owner.md)
    assert created.created
    return owner


async def invite(
    stub: tenant_pb2_grpc.TenantServiceStub,
    by: Person,
    email: str | None = None,
    role: pb.TenantRole = pb.TENANT_ROLE_UNSPECIFIED,
) -> pb.CreateInvitationResponse:
    request = pb.CreateInvitationRequest(email=email or new_email(), role=role)
    response: pb.CreateInvitationResponse = await stub.CreateInvitation(request, metadata=by.md)
    return response


async def join(
    stub: tenant_pb2_grpc.TenantServiceStub,
    by: Person,
    role: pb.TenantRole = pb.TENANT_ROLE_MEMBER,
) -> Person:
    """Invite a new person and claim the invitation as them: a member of `by`'s tenant."""
    invited = await invite(stub, by, role=role)
    user_id = new_id("usr")
    claimed = await stub.ClaimInvitation(
        pb.ClaimInvitationRequest(
            token=invited.token, email=invited.invitation.email, user_id=user_id
        ),
        metadata=as_auth(),
    )
    assert (claimed.tenant_id, claimed.role) == (by.tenant_id, role)
    return Person(by.tenant_id, user_id)


async def status_of(call: Awaitable[Any]) -> grpc.StatusCode:
    try:
        await call
    except grpc.aio.AioRpcError as err:
        code: grpc.StatusCode = err.code()
        return code
    return OK


async def error_of(call: Awaitable[Any]) -> grpc.aio.AioRpcError:
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await call
    return caught.value


def quotas_of(tenant: pb.Tenant) -> dict[int, tuple[int, int]]:
    return {quota.kind: (quota.limit, quota.used) for quota in tenant.quotas}


async def my_tenant(stub: tenant_pb2_grpc.TenantServiceStub, person: Person) -> pb.Tenant:
    response = await stub.GetMyTenant(pb.GetMyTenantRequest(), metadata=person.md)
    return response.tenant


async def event_types(db: Database, tenant_id: str) -> list[str]:
    async with db.read() as session:
        rows = await session.scalars(
            select(OutboxRow.event_type)
            .where(OutboxRow.tenant_id == tenant_id, OutboxRow.event_type.like("%.Tenant%"))
            .order_by(OutboxRow.seq)
        )
        return list(rows)


# --- tenants -------------------------------------------------------------------------------


async def test_create_tenant_makes_the_caller_owner_on_the_free_plan(
    tenants: tenant_pb2_grpc.TenantServiceStub, fabric: Host
) -> None:
    owner = Person(new_id("ten"), new_id("usr"))
    created = await tenants.CreateTenant(
        pb.CreateTenantRequest(tenant_id=owner.tenant_id, owner_user_id=owner.user_id),
        metadata=owner.md,
    )
    tenant = created.tenant
    assert created.created
    assert (tenant.id, tenant.owner_user_id, tenant.plan) == (
        owner.tenant_id,
        owner.user_id,
        pb.PLAN_FREE,
    )
    assert tenant.name == "My team"
    assert quotas_of(tenant)[pb.QUOTA_KIND_SEATS] == (5, 1)  # the owner takes a seat
    assert (tenant.requests_per_second, tenant.requests_per_second_per_base) == (50, 5)

    members = await tenants.ListMembers(pb.ListMembersRequest(), metadata=owner.md)
    assert [(m.user_id, m.role) for m in members.members] == [(owner.user_id, pb.TENANT_ROLE_OWNER)]
    assert await event_types(db_of(fabric), owner.tenant_id) == ["pyat.events.v1.TenantCreated"]


async def test_create_tenant_is_idempotent_on_the_tenant_id(
    tenants: tenant_pb2_grpc.TenantServiceStub, fabric: Host
) -> None:
    owner = Person(new_id("ten"), new_id("usr"))
    request = pb.CreateTenantRequest(
        tenant_id=owner.tenant_id, owner_user_id=owner.user_id, name="  Acme   Ltd "
    )
    first = await tenants.CreateTenant(request, metadata=owner.md)
    request.name, request.plan = "Something else", pb.PLAN_TEAM
    again = await tenants.CreateTenant(request, metadata=owner.md)
    assert (first.created, again.created) == (True, False)
    assert again.tenant == first.tenant
    assert again.tenant.name == "Acme Ltd"
    assert quotas_of(again.tenant)[pb.QUOTA_KIND_SEATS] == (5, 1)
    assert await event_types(db_of(fabric), owner.tenant_id) == ["pyat.events.v1.TenantCreated"]


async def test_concurrent_creates_of_one_tenant_make_one(
    tenants: tenant_pb2_grpc.TenantServiceStub,
) -> None:
    owner = Person(new_id("ten"), new_id("usr"))
    request = pb.CreateTenantRequest(tenant_id=owner.tenant_id, owner_user_id=owner.user_id)
    answers = await asyncio.gather(
        *(tenants.CreateTenant(request, metadata=owner.md) for _ in range(5))
    )
    assert sorted(a.created for a in answers) == [False] * 4 + [True]
    assert quotas_of(await my_tenant(tenants, owner))[pb.QUOTA_KIND_SEATS] == (5, 1)


async def test_create_tenant_only_on_behalf_of_its_new_owner(
    tenants: tenant_pb2_grpc.TenantServiceStub,
) -> None:
    tenant_id, owner_id, other_id = new_id("ten"), new_id("usr"), new_id("usr")
    request = pb.CreateTenantRequest(tenant_id=tenant_id, owner_user_id=owner_id)
    assert await status_of(tenants.CreateTenant(request)) is grpc.StatusCode.UNAUTHENTICATED
    for md in (identity(tenant_id, other_id), identity(new_id("ten"), owner_id)):
        refused = tenants.CreateTenant(request, metadata=md)
        assert await status_of(refused) is grpc.StatusCode.PERMISSION_DENIED

    await tenants.CreateTenant(request, metadata=identity(tenant_id, owner_id))
    # The id is taken: another would-be owner cannot claim the tenant.
    takeover = pb.CreateTenantRequest(tenant_id=tenant_id, owner_user_id=other_id)
    answer = tenants.CreateTenant(takeover, metadata=identity(tenant_id, other_id))
    assert await status_of(answer) is grpc.StatusCode.ALREADY_EXISTS


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"tenant_id": ""}, "tenant_id"),
        ({"tenant_id": "ten123"}, "tenant_id"),
        ({"tenant_id": "usr" + "A" * 14}, "tenant_id"),
        ({"owner_user_id": ""}, "owner_user_id"),
        ({"owner_user_id": "usr" + "%" * 14}, "owner_user_id"),
        ({"plan": 99}, "plan"),
        ({"name": "x" * 256}, "name"),
        ({"name": "bad\x00name"}, "name"),
        ({"name": "x" * 100_000}, "name"),
    ],
    ids=["no-tenant", "short-tenant", "wrong-prefix", "no-owner", "bad-owner", "unknown-plan",
         "long-name", "nul-in-name", "huge-name"],
)  # fmt: skip
async def test_create_tenant_rejects_bad_input(
    tenants: tenant_pb2_grpc.TenantServiceStub, change: dict[str, Any], field: str
) -> None:
    values: dict[str, Any] = {"tenant_id": new_id("ten"), "owner_user_id": new_id("usr")}
    values.update(change)
    md = identity(values["tenant_id"] or new_id("ten"), values["owner_user_id"] or new_id("usr"))
    err = await error_of(tenants.CreateTenant(pb.CreateTenantRequest(**values), metadata=md))
    assert err.code() is grpc.StatusCode.INVALID_ARGUMENT
    assert field in field_violations(err)
    assert len(err.details()) < 200  # the input is not echoed back


# Airtable's published figures where they exist; the rest are ours (see services/tenant/plans.py).
@pytest.mark.parametrize(
    ("plan", "records", "api_calls", "seats", "rates"),
    [
        (pb.PLAN_FREE, 1_000, 1_000, 5, (50, 5)),
        (pb.PLAN_TEAM, 50_000, 100_000, 50, (50, 5)),
        (pb.PLAN_BUSINESS, 125_000, -1, 500, (100, 10)),
        (pb.PLAN_ENTERPRISE, 500_000, -1, -1, (200, 20)),
    ],
)
async def test_plans_set_quotas_and_rate_limits(
    tenants: tenant_pb2_grpc.TenantServiceStub,
    plan: pb.Plan,
    records: int,
    api_calls: int,
    seats: int,
    rates: tuple[int, int],
) -> None:
    owner = await new_tenant(tenants, plan=plan)
    tenant = await my_tenant(tenants, owner)
    limits = {kind: limit for kind, (limit, _) in quotas_of(tenant).items()}
    assert tenant.plan == plan
    assert set(limits) == set(pb.QuotaKind.values()) - {pb.QUOTA_KIND_UNSPECIFIED}
    assert limits[pb.QUOTA_KIND_RECORDS_PER_BASE] == records
    assert limits[pb.QUOTA_KIND_API_CALLS_PER_MONTH] == api_calls
    assert limits[pb.QUOTA_KIND_SEATS] == seats
    assert all(limit == -1 or limit > 0 for limit in limits.values())
    assert (tenant.requests_per_second, tenant.requests_per_second_per_base) == rates


async def test_higher_plans_never_lower_a_limit(
    tenants: tenant_pb2_grpc.TenantServiceStub,
) -> None:
    plans = [pb.PLAN_FREE, pb.PLAN_TEAM, pb.PLAN_BUSINESS, pb.PLAN_ENTERPRISE]
    owners = [await new_tenant(tenants, plan=plan) for plan in plans]
    tenants_ = [await my_tenant(tenants, owner) for owner in owners]

    def rank(limit: int) -> float:
        return float("inf") if limit == -1 else limit

    for lower, higher in itertools.pairwise(tenants_):
        low, high = quotas_of(lower), quotas_of(higher)
        assert all(rank(high[kind][0]) >= rank(low[kind][0]) for kind in low)
        assert higher.requests_per_second >= lower.requests_per_second


async def test_update_tenant_by_owner_renames_and_changes_plan(
    tenants: tenant_pb2_grpc.TenantServiceStub, fabric: Host
) -> None:
    owner = await new_tenant(tenants)
    renamed = await tenants.UpdateTenant(pb.UpdateTenantRequest(name=" Acme "), metadata=owner.md)
    assert (renamed.tenant.name, renamed.tenant.plan) == ("Acme", pb.PLAN_FREE)
    upgraded = await tenants.UpdateTenant(
        pb.UpdateTenantRequest(plan=pb.PLAN_BUSINESS), metadata=owner.md
    )
    assert (upgraded.tenant.name, upgraded.tenant.plan) == ("Acme", pb.PLAN_BUSINESS)
    assert quotas_of(upgraded.tenant)[pb.QUOTA_KIND_RECORDS_PER_BASE] == (125_000, 0)
    assert upgraded.tenant.requests_per_second == 100
    # Nothing to change: the tenant as it is, and no event.
    same = await tenants.UpdateTenant(pb.UpdateTenantRequest(), metadata=owner.md)
    assert same.tenant == upgraded.tenant
    assert await my_tenant(tenants, owner) == upgraded.tenant
    assert await event_types(db_of(fabric), owner.tenant_id) == [
        "pyat.events.v1.TenantCreated",
        "pyat.events.v1.TenantUpdated",
        "pyat.events.v1.TenantUpdated",
    ]


async def test_update_tenant_by_admin_is_allowed_and_by_member_denied(
    tenants: tenant_pb2_grpc.TenantServiceStub,
) -> None:
    owner = await new_tenant(tenants)
    admin = await join(tenants, owner, pb.TENANT_ROLE_ADMIN)
    member = await join(tenants, owner, pb.TENANT_ROLE_MEMBER)

    await tenants.UpdateTenant(pb.UpdateTenantRequest(name="By admin"), metadata=admin.md)
    for request in (pb.UpdateTenantRequest(name="By member"), pb.UpdateTenantRequest()):
        answer = tenants.UpdateTenant(request, metadata=member.md)
        assert await status_of(answer) is grpc.StatusCode.PERMISSION_DENIED
    upgrade = tenants.UpdateTenant(pb.UpdateTenantRequest(plan=pb.PLAN_TEAM), metadata=member.md)
    assert await status_of(upgrade) is grpc.StatusCode.PERMISSION_DENIED
    tenant = await my_tenant(tenants, member)
    assert (tenant.name, tenant.plan) == ("By admin", pb.PLAN_FREE)


@pytest.mark.parametrize(
    ("request_", "field"),
    [
        (pb.UpdateTenantRequest(plan=99), "plan"),
        (pb.UpdateTenantRequest(name="n" * 256), "name"),
        (pb.UpdateTenantRequest(name="tab\x07bell"), "name"),
    ],
    ids=["unknown-plan", "long-name", "control-character"],
)
async def test_update_tenant_rejects_bad_input(
    tenants: tenant_pb2_grpc.TenantServiceStub, request_: pb.UpdateTenantRequest, field: str
) -> None:
    owner = await new_tenant(tenants, name="Kept")
    err = await error_of(tenants.UpdateTenant(request_, metadata=owner.md))
    assert err.code() is grpc.StatusCode.INVALID_ARGUMENT
    assert field in field_violations(err)
    tenant = await my_tenant(tenants, owner)
    assert (tenant.name, tenant.plan) == ("Kept", pb.PLAN_FREE)


async def test_callers_outside_a_tenant_get_nothing(
    tenants: tenant_pb2_grpc.TenantServiceStub,
) -> None:
    owner = await new_tenant(tenants)
    calls = {
        "none": (),
        "unknown-tenant": identity(new_id("ten"), new_id("usr")),
        "malformed-tenant": identity("x" * 5000, new_id("usr")),
        "not-a-member": identity(owner.tenant_id, new_id("usr")),
    }
    answers = {
        name: await status_of(tenants.GetMyTenant(pb.GetMyTenantRequest(), metadata=md))
        for name, md in calls.items()
    }
    assert answers == {
        "none": grpc.StatusCode.UNAUTHENTICATED,
        "unknown-tenant": grpc.StatusCode.NOT_FOUND,
        "malformed-tenant": grpc.StatusCode.NOT_FOUND,
        "not-a-member": grpc.StatusCode.PERMISSION_DENIED,
    }
    stranger = calls["not-a-member"]
    for call in (
        tenants.ListMembers(pb.ListMembersRequest(), metadata=stranger),
        tenants.CheckQuota(pb.CheckQuotaRequest(kind=pb.QUOTA_KIND_BASES), metadata=stranger),
        tenants.RecordUsage(
            pb.RecordUsageRequest(kind=pb.QUOTA_KIND_BASES, delta=1), metadata=stranger
        ),
        tenants.CreateInvitation(pb.CreateInvitationRequest(email=new_email()), metadata=stranger),
    ):
        assert await status_of(call) is grpc.StatusCode.PERMISSION_DENIED
    assert quotas_of(await my_tenant(tenants, owner))[pb.QUOTA_KIND_BASES] == (10, 0)


# --- the UserRegistered backstop -----------------------------------------------------------


async def publish_registered(host: Host, user_id: str, tenant_id: str, name: str = "") -> None:
    assert host.runtime is not None
    registered = events_pb2.UserRegistered(
        user_id=user_id, tenant_id=tenant_id, email=new_email(), name=name
    )
    event = events_pb2.Event(
        id=new_id("evt"), type=registered.DESCRIPTOR.full_name, tenant_id=tenant_id, source="test"
    )
    event.payload.Pack(registered)
    await host.runtime.bus.publish(event)


async def eventually_my_tenant(
    stub: tenant_pb2_grpc.TenantServiceStub, md: Metadata, timeout_s: float = 20.0
) -> pb.Tenant:
    """The caller's tenant, once the event that creates it has been handled (in far less
    than `timeout_s`; the margin is for a loaded machine)."""
    deadline = asyncio.get_running_loop().time() + timeout_s
    while asyncio.get_running_loop().time() < deadline:
        try:
            response = await stub.GetMyTenant(pb.GetMyTenantRequest(), metadata=md)
            return response.tenant
        except grpc.aio.AioRpcError as err:
            if err.code() is not grpc.StatusCode.NOT_FOUND:
                raise
        await asyncio.sleep(0.02)
    response = await stub.GetMyTenant(pb.GetMyTenantRequest(), metadata=md)
    return response.tenant


async def test_user_registered_creates_the_missing_tenant_once(
    tenants: tenant_pb2_grpc.TenantServiceStub, fabric: Host
) -> None:
    owner = Person(new_id("ten"), new_id("usr"))
    await publish_registered(fabric, owner.user_id, owner.tenant_id, name="Ada Lovelace")
    await publish_registered(fabric, owner.user_id, owner.tenant_id, name="Ada Lovelace")
    tenant = await eventually_my_tenant(tenants, owner.md)
    assert (tenant.owner_user_id, tenant.plan, tenant.name) == (
        owner.user_id,
        pb.PLAN_FREE,
        "Ada Lovelace's team",
    )
    # The redelivery was a no-op (a sentinel published after it shows it was handled).
    sentinel = Person(new_id("ten"), new_id("usr"))
    await publish_registered(fabric, sentinel.user_id, sentinel.tenant_id)
    assert (await eventually_my_tenant(tenants, sentinel.md)).name == "My team"
    assert quotas_of(await my_tenant(tenants, owner))[pb.QUOTA_KIND_SEATS] == (5, 1)


async def test_user_registered_for_an_invited_user_changes_nothing(
    tenants: tenant_pb2_grpc.TenantServiceStub, fabric: Host
) -> None:
    owner = await new_tenant(tenants)
    member = await join(tenants, owner)
    before = await my_tenant(tenants, owner)
    await publish_registered(fabric, member.user_id, member.tenant_id)
    sentinel = Person(new_id("ten"), new_id("usr"))
    await publish_registered(fabric, sentinel.user_id, sentinel.tenant_id)
    await eventually_my_tenant(tenants, sentinel.md)
    assert await my_tenant(tenants, owner) == before
    members = await tenants.ListMembers(pb.ListMembersRequest(), metadata=owner.md)
    assert {m.user_id: m.role for m in members.members} == {
        owner.user_id: pb.TENANT_ROLE_OWNER,
        member.user_id: pb.TENANT_ROLE_MEMBER,
    }


async def test_registering_through_auth_gives_the_user_a_tenant_they_own(
    channel: grpc.aio.Channel, tenants: tenant_pb2_grpc.TenantServiceStub
) -> None:
    long_name = "Ada " + "L" * 196  # the longest name auth-service accepts
    registered = await register(auth_pb2_grpc.AuthServiceStub(channel), name=long_name)
    bearer = (("authorization", f"Bearer {registered.access_token}"),)
    tenant = await eventually_my_tenant(tenants, bearer)
    assert (tenant.id, tenant.owner_user_id) == (registered.user.tenant_id, registered.user.id)
    assert (tenant.name, tenant.plan) == (f"{long_name}'s team", pb.PLAN_FREE)


# --- quotas and usage ----------------------------------------------------------------------


async def check(
    stub: tenant_pb2_grpc.TenantServiceStub,
    who: Person,
    kind: pb.QuotaKind,
    amount: int,
    scope: str = "",
) -> pb.CheckQuotaResponse:
    request = pb.CheckQuotaRequest(kind=kind, amount=amount, scope=scope)
    response: pb.CheckQuotaResponse = await stub.CheckQuota(request, metadata=who.md)
    return response


async def record(
    stub: tenant_pb2_grpc.TenantServiceStub,
    who: Person,
    kind: pb.QuotaKind,
    delta: int,
    scope: str = "",
    key: str = "",
) -> int:
    request = pb.RecordUsageRequest(kind=kind, delta=delta, scope=scope, idempotency_key=key)
    response = await stub.RecordUsage(request, metadata=who.md)
    used: int = response.used
    return used


async def test_check_quota_allows_exactly_up_to_the_limit(
    tenants: tenant_pb2_grpc.TenantServiceStub,
) -> None:
    owner = await new_tenant(tenants)  # FREE: 10 bases
    first = await check(tenants, owner, pb.QUOTA_KIND_BASES, 10)
    assert (first.allowed, first.limit, first.used) == (True, 10, 0)
    assert not (await check(tenants, owner, pb.QUOTA_KIND_BASES, 11)).allowed
    assert await record(tenants, owner, pb.QUOTA_KIND_BASES, 3) == 3
    assert await record(tenants, owner, pb.QUOTA_KIND_BASES, 4) == 7
    fits = await check(tenants, owner, pb.QUOTA_KIND_BASES, 3)
    assert (fits.allowed, fits.limit, fits.used) == (True, 10, 7)
    assert not (await check(tenants, owner, pb.QUOTA_KIND_BASES, 4)).allowed
    assert (await check(tenants, owner, pb.QUOTA_KIND_BASES, 0)).allowed
    # CheckQuota only looks: it never counts.
    assert quotas_of(await my_tenant(tenants, owner))[pb.QUOTA_KIND_BASES] == (10, 7)


async def test_usage_goes_down_but_never_below_zero(
    tenants: tenant_pb2_grpc.TenantServiceStub,
) -> None:
    owner = await new_tenant(tenants)
    assert await record(tenants, owner, pb.QUOTA_KIND_STORAGE_BYTES, -5) == 0
    assert await record(tenants, owner, pb.QUOTA_KIND_STORAGE_BYTES, 1_000) == 1_000
    assert await record(tenants, owner, pb.QUOTA_KIND_STORAGE_BYTES, -400) == 600
    assert await record(tenants, owner, pb.QUOTA_KIND_STORAGE_BYTES, -10_000) == 0
    assert await record(tenants, owner, pb.QUOTA_KIND_STORAGE_BYTES, 0) == 0


async def test_records_are_counted_per_base(tenants: tenant_pb2_grpc.TenantServiceStub) -> None:
    owner = await new_tenant(tenants)  # FREE: 1,000 records per base
    base_a, base_b = new_id("app"), new_id("app")
    assert await record(tenants, owner, pb.QUOTA_KIND_RECORDS_PER_BASE, 600, base_a) == 600
    assert await record(tenants, owner, pb.QUOTA_KIND_RECORDS_PER_BASE, 300, base_b) == 300
    a = await check(tenants, owner, pb.QUOTA_KIND_RECORDS_PER_BASE, 401, base_a)
    b = await check(tenants, owner, pb.QUOTA_KIND_RECORDS_PER_BASE, 700, base_b)
    assert (a.allowed, a.used, b.allowed, b.used) == (False, 600, True, 300)
    # The tenant view shows the fullest base.
    assert quotas_of(await my_tenant(tenants, owner))[pb.QUOTA_KIND_RECORDS_PER_BASE] == (
        1_000,
        600,
    )


async def test_monthly_usage_counts_only_the_current_utc_month(
    tenants: tenant_pb2_grpc.TenantServiceStub, fabric: Host
) -> None:
    owner = await new_tenant(tenants)  # FREE: 1,000 API calls a month
    assert await record(tenants, owner, pb.QUOTA_KIND_API_CALLS_PER_MONTH, 5) == 5
    now = utcnow()
    async with db_of(fabric).transaction() as session:
        # Last month's use, at the limit: it must not count against this month.
        session.add(
            Usage(
                tenant_id=owner.tenant_id,
                kind="api_calls_per_month",
                scope="",
                period="2000-01",
                used=1_000,
                updated_at=now,
            )
        )
    async with db_of(fabric).read() as session:
        periods = await session.scalars(
            select(Usage.period)
            .where(Usage.tenant_id == owner.tenant_id, Usage.kind == "api_calls_per_month")
            .order_by(Usage.period)
        )
        assert list(periods) == ["2000-01", month_of(now)]
    answer = await check(tenants, owner, pb.QUOTA_KIND_API_CALLS_PER_MONTH, 995)
    assert (answer.allowed, answer.used) == (True, 5)
    assert quotas_of(await my_tenant(tenants, owner))[pb.QUOTA_KIND_API_CALLS_PER_MONTH] == (
        1_000,
        5,
    )
    assert month_of(dt.datetime(2025, 1, 31, 23, 30, tzinfo=dt.UTC)) == "2025-01"
    assert (
        month_of(dt.datetime(2025, 1, 31, 23, 30, tzinfo=dt.timezone(dt.timedelta(hours=-2))))
        == "2025-02"
    )


async def test_unlimited_quotas_allow_any_amount(
    tenants: tenant_pb2_grpc.TenantServiceStub,
) -> None:
    owner = await new_tenant(tenants, plan=pb.PLAN_BUSINESS)
    await record(tenants, owner, pb.QUOTA_KIND_API_CALLS_PER_MONTH, 10**12)
    answer = await check(tenants, owner, pb.QUOTA_KIND_API_CALLS_PER_MONTH, 2**62)
    assert (answer.allowed, answer.limit, answer.used) == (True, -1, 10**12)


async def test_idempotency_key_applies_a_delta_once(
    tenants: tenant_pb2_grpc.TenantServiceStub,
) -> None:
    owner = await new_tenant(tenants)
    kind = pb.QUOTA_KIND_LLM_TOKENS_PER_MONTH
    assert await record(tenants, owner, kind, 100, key="run-1") == 100
    assert await record(tenants, owner, kind, 50) == 150
    # The same key again: the same answer as the first time, nothing added.
    assert await record(tenants, owner, kind, 100, key="run-1") == 100
    assert await record(tenants, owner, kind, 10, key="run-2") == 160
    assert (await check(tenants, owner, kind, 0)).used == 160
    # The key with a different request is refused rather than silently ignored.
    for delta, other_kind in ((101, kind), (100, pb.QUOTA_KIND_STORAGE_BYTES)):
        reused = tenants.RecordUsage(
            pb.RecordUsageRequest(kind=other_kind, delta=delta, idempotency_key="run-1"),
            metadata=owner.md,
        )
        assert await status_of(reused) is grpc.StatusCode.FAILED_PRECONDITION
    # Keys belong to one tenant: another tenant's "run-1" is its own.
    other = await new_tenant(tenants)
    assert await record(tenants, other, kind, 7, key="run-1") == 7
    assert (await check(tenants, owner, kind, 0)).used == 160


@pytest.mark.parametrize(
    ("kind", "amount", "scope", "field"),
    [
        (pb.QUOTA_KIND_UNSPECIFIED, 1, "", "kind"),
        (99, 1, "", "kind"),
        (pb.QUOTA_KIND_BASES, -1, "", "amount"),
        (pb.QUOTA_KIND_RECORDS_PER_BASE, 1, "", "scope"),
        (pb.QUOTA_KIND_RECORDS_PER_BASE, 1, "tbl" + "A" * 14, "scope"),
        (pb.QUOTA_KIND_RECORDS_PER_BASE, 1, "app" + "x" * 10_000, "scope"),
        (pb.QUOTA_KIND_BASES, 1, "app" + "A" * 14, "scope"),
    ],
    ids=["unspecified", "unknown-kind", "negative", "records-without-base", "records-not-a-base",
         "huge-scope", "scope-on-a-tenant-quota"],
)  # fmt: skip
async def test_check_quota_rejects_bad_input(
    tenants: tenant_pb2_grpc.TenantServiceStub, kind: int, amount: int, scope: str, field: str
) -> None:
    owner = await new_tenant(tenants)
    request = pb.CheckQuotaRequest(kind=kind, amount=amount, scope=scope)
    err = await error_of(tenants.CheckQuota(request, metadata=owner.md))
    assert err.code() is grpc.StatusCode.INVALID_ARGUMENT
    assert field in field_violations(err)


@pytest.mark.parametrize(
    ("kind", "delta", "scope", "key", "field"),
    [
        (pb.QUOTA_KIND_UNSPECIFIED, 1, "", "", "kind"),
        (-3, 1, "", "", "kind"),
        (pb.QUOTA_KIND_RECORDS_PER_BASE, 1, "", "", "scope"),
        (pb.QUOTA_KIND_SEATS, 1, "app" + "A" * 14, "", "scope"),
        (pb.QUOTA_KIND_BASES, 10**16, "", "", "delta"),
        (pb.QUOTA_KIND_BASES, -(2**63), "", "", "delta"),
        (pb.QUOTA_KIND_BASES, 1, "", "k" * 129, "idempotency_key"),
        (pb.QUOTA_KIND_BASES, 1, "", "has space", "idempotency_key"),
        (pb.QUOTA_KIND_BASES, 1, "", "nul\x00", "idempotency_key"),
    ],
    ids=["unspecified", "negative-kind", "records-without-base", "scope-on-seats", "huge-delta",
         "min-int64", "long-key", "key-with-space", "key-with-nul"],
)  # fmt: skip
async def test_record_usage_rejects_bad_input_and_changes_nothing(
    tenants: tenant_pb2_grpc.TenantServiceStub,
    kind: int,
    delta: int,
    scope: str,
    key: str,
    field: str,
) -> None:
    owner = await new_tenant(tenants)
    request = pb.RecordUsageRequest(kind=kind, delta=delta, scope=scope, idempotency_key=key)
    err = await error_of(tenants.RecordUsage(request, metadata=owner.md))
    assert err.code() is grpc.StatusCode.INVALID_ARGUMENT
    assert field in field_violations(err)
    assert all(used == (1 if kind == pb.QUOTA_KIND_SEATS else 0) for kind, (_, used) in
               quotas_of(await my_tenant(tenants, owner)).items())  # fmt: skip


async def test_usage_of_one_tenant_is_invisible_to_another(
    tenants: tenant_pb2_grpc.TenantServiceStub,
) -> None:
    alice, bob = await new_tenant(tenants), await new_tenant(tenants)
    base = new_id("app")
    await record(tenants, alice, pb.QUOTA_KIND_RECORDS_PER_BASE, 900, base)
    await record(tenants, alice, pb.QUOTA_KIND_BASES, 9)
    # Bob naming Alice's base sees (and changes) only his own counter.
    assert (await check(tenants, bob, pb.QUOTA_KIND_RECORDS_PER_BASE, 1000, base)).used == 0
    assert await record(tenants, bob, pb.QUOTA_KIND_RECORDS_PER_BASE, -900, base) == 0
    assert (await check(tenants, bob, pb.QUOTA_KIND_BASES, 0)).used == 0
    assert (await check(tenants, alice, pb.QUOTA_KIND_RECORDS_PER_BASE, 0, base)).used == 900
    assert (await check(tenants, alice, pb.QUOTA_KIND_BASES, 0)).used == 9


# --- invitations ---------------------------------------------------------------------------


async def test_invitation_end_to_end(
    tenants: tenant_pb2_grpc.TenantServiceStub, fabric: Host
) -> None:
    owner = await new_tenant(tenants)
    email = new_email()
    created = await invite(tenants, owner, email=f"  {email.upper()} ")
    invitation, token = created.invitation, created.token
    assert looks_like(invitation.id, "inv")
    assert (invitation.email, invitation.role, invitation.invited_by) == (
        email,
        pb.TENANT_ROLE_MEMBER,
        owner.user_id,
    )
    assert token.startswith("inv_") and len(token) == 4 + 43
    lifetime = invitation.expires_at.ToDatetime() - invitation.created_at.ToDatetime()
    assert lifetime == dt.timedelta(days=7)
    # Only the token's hash is stored.
    async with db_of(fabric).read() as session:
        stored = await session.get(Invitation, invitation.id)
    assert stored is not None
    assert stored.token_hash == hashlib.sha256(token.encode()).hexdigest()

    listed = await tenants.ListInvitations(pb.ListInvitationsRequest(), metadata=owner.md)
    assert list(listed.invitations) == [invitation]
    assert token not in str(listed)

    user_id = new_id("usr")
    claimed = await tenants.ClaimInvitation(
        pb.ClaimInvitationRequest(token=token, email=email.title(), user_id=user_id),
        metadata=as_auth(),
    )
    assert (claimed.tenant_id, claimed.role) == (owner.tenant_id, pb.TENANT_ROLE_MEMBER)

    newcomer = Person(owner.tenant_id, user_id)
    members = await tenants.ListMembers(pb.ListMembersRequest(), metadata=newcomer.md)
    assert [(m.user_id, m.role) for m in members.members] == [
        (owner.user_id, pb.TENANT_ROLE_OWNER),
        (user_id, pb.TENANT_ROLE_MEMBER),
    ]
    assert quotas_of(await my_tenant(tenants, newcomer))[pb.QUOTA_KIND_SEATS] == (5, 2)
    listed = await tenants.ListInvitations(pb.ListInvitationsRequest(), metadata=owner.md)
    assert list(listed.invitations) == []
    assert await event_types(db_of(fabric), owner.tenant_id) == [
        "pyat.events.v1.TenantCreated",
        "pyat.events.v1.TenantMemberJoined",
    ]


async def test_invitation_as_admin_gives_the_admin_role(
    tenants: tenant_pb2_grpc.TenantServiceStub,
) -> None:
    owner = await new_tenant(tenants)
    admin = await join(tenants, owner, pb.TENANT_ROLE_ADMIN)
    # An admin may invite, list and revoke, too.
    invited = await invite(tenants, admin)
    listed = await tenants.ListInvitations(pb.ListInvitationsRequest(), metadata=admin.md)
    assert [i.id for i in listed.invitations] == [invited.invitation.id]
    await tenants.RevokeInvitation(
        pb.RevokeInvitationRequest(invitation_id=invited.invitation.id), metadata=admin.md
    )


async def test_members_cannot_manage_invitations(
    tenants: tenant_pb2_grpc.TenantServiceStub,
) -> None:
    owner = await new_tenant(tenants)
    member = await join(tenants, owner)
    pending = await invite(tenants, owner)
    for call in (
        tenants.CreateInvitation(pb.CreateInvitationRequest(email=new_email()), metadata=member.md),
        tenants.ListInvitations(pb.ListInvitationsRequest(), metadata=member.md),
        tenants.RevokeInvitation(
            pb.RevokeInvitationRequest(invitation_id=pending.invitation.id), metadata=member.md
        ),
    ):
        assert await status_of(call) is grpc.StatusCode.PERMISSION_DENIED
    # Any member may list the members.
    members = await tenants.ListMembers(pb.ListMembersRequest(), metadata=member.md)
    assert len(members.members) == 2
    listed = await tenants.ListInvitations(pb.ListInvitationsRequest(), metadata=owner.md)
    assert [i.id for i in listed.invitations] == [pending.invitation.id]


@pytest.mark.parametrize(
    ("email", "role", "field"),
    [
        ("", pb.TENANT_ROLE_MEMBER, "email"),
        ("not-an-email", pb.TENANT_ROLE_MEMBER, "email"),
        ("a@b", pb.TENANT_ROLE_MEMBER, "email"),
        ("x" * 300 + "@example.com", pb.TENANT_ROLE_MEMBER, "email"),
        (None, pb.TENANT_ROLE_OWNER, "role"),
        (None, 42, "role"),
    ],
    ids=["empty", "no-at", "no-domain-dot", "too-long", "owner-role", "unknown-role"],
)
async def test_create_invitation_rejects_bad_input(
    tenants: tenant_pb2_grpc.TenantServiceStub, email: str | None, role: int, field: str
) -> None:
    owner = await new_tenant(tenants)
    request = pb.CreateInvitationRequest(
        email=email if email is not None else new_email(), role=role
    )
    err = await error_of(tenants.CreateInvitation(request, metadata=owner.md))
    assert err.code() is grpc.StatusCode.INVALID_ARGUMENT
    assert field in field_violations(err)
    listed = await tenants.ListInvitations(pb.ListInvitationsRequest(), metadata=owner.md)
    assert list(listed.invitations) == []


async def claim(
    stub: tenant_pb2_grpc.TenantServiceStub, token: str, email: str, user_id: str | None = None
) -> grpc.StatusCode:
    request = pb.ClaimInvitationRequest(token=token, email=email, user_id=user_id or new_id("usr"))
    return await status_of(stub.ClaimInvitation(request, metadata=as_auth()))


async def test_claim_with_another_email_is_refused(
    tenants: tenant_pb2_grpc.TenantServiceStub,
) -> None:
    owner = await new_tenant(tenants)
    invited = await invite(tenants, owner)
    assert await claim(tenants, invited.token, new_email()) is grpc.StatusCode.PERMISSION_DENIED
    # The refusal spent nothing: the invitee can still claim it.
    assert await claim(tenants, invited.token, invited.invitation.email) is OK


async def test_a_token_is_claimed_once(tenants: tenant_pb2_grpc.TenantServiceStub) -> None:
    owner = await new_tenant(tenants)
    invited = await invite(tenants, owner)
    email, first_user = invited.invitation.email, new_id("usr")
    assert await claim(tenants, invited.token, email, first_user) is OK
    # Another user with the same token: FAILED_PRECONDITION (the token is real, but spent).
    assert await claim(tenants, invited.token, email) is grpc.StatusCode.FAILED_PRECONDITION
    # The same user retrying (a lost response) gets the same answer; nothing happens twice.
    assert await claim(tenants, invited.token, email, first_user) is OK
    tenant = await my_tenant(tenants, owner)
    assert quotas_of(tenant)[pb.QUOTA_KIND_SEATS] == (5, 2)


async def test_an_expired_invitation_cannot_be_claimed(
    tenants: tenant_pb2_grpc.TenantServiceStub, fabric: Host
) -> None:
    owner = await new_tenant(tenants)
    invited = await invite(tenants, owner)
    async with db_of(fabric).transaction() as session:
        await session.execute(
            update(Invitation)
            .where(Invitation.id == invited.invitation.id)
            .values(expires_at=utcnow() - dt.timedelta(seconds=1))
        )
    listed = await tenants.ListInvitations(pb.ListInvitationsRequest(), metadata=owner.md)
    assert list(listed.invitations) == []
    answer = await claim(tenants, invited.token, invited.invitation.email)
    assert answer is grpc.StatusCode.FAILED_PRECONDITION
    assert quotas_of(await my_tenant(tenants, owner))[pb.QUOTA_KIND_SEATS] == (5, 1)


async def test_a_revoked_invitation_cannot_be_claimed(
    tenants: tenant_pb2_grpc.TenantServiceStub,
) -> None:
    owner = await new_tenant(tenants)
    invited = await invite(tenants, owner)
    revoke = pb.RevokeInvitationRequest(invitation_id=invited.invitation.id)
    await tenants.RevokeInvitation(revoke, metadata=owner.md)
    await tenants.RevokeInvitation(revoke, metadata=owner.md)  # revoking twice is harmless
    listed = await tenants.ListInvitations(pb.ListInvitationsRequest(), metadata=owner.md)
    assert list(listed.invitations) == []
    answer = await claim(tenants, invited.token, invited.invitation.email)
    assert answer is grpc.StatusCode.FAILED_PRECONDITION


async def test_revoking_a_claimed_invitation_is_refused(
    tenants: tenant_pb2_grpc.TenantServiceStub,
) -> None:
    owner = await new_tenant(tenants)
    invited = await invite(tenants, owner)
    assert await claim(tenants, invited.token, invited.invitation.email) is OK
    revoke = tenants.RevokeInvitation(
        pb.RevokeInvitationRequest(invitation_id=invited.invitation.id), metadata=owner.md
    )
    assert await status_of(revoke) is grpc.StatusCode.FAILED_PRECONDITION


async def test_a_second_invitation_to_an_email_replaces_the_first(
    tenants: tenant_pb2_grpc.TenantServiceStub,
) -> None:
    owner = await new_tenant(tenants)
    email = new_email()
    first = await invite(tenants, owner, email=email)
    second = await invite(tenants, owner, email=email.upper(), role=pb.TENANT_ROLE_ADMIN)
    listed = await tenants.ListInvitations(pb.ListInvitationsRequest(), metadata=owner.md)
    assert [(i.id, i.role) for i in listed.invitations] == [
        (second.invitation.id, pb.TENANT_ROLE_ADMIN)
    ]
    assert await claim(tenants, first.token, email) is grpc.StatusCode.FAILED_PRECONDITION
    claimed = await tenants.ClaimInvitation(
        pb.ClaimInvitationRequest(token=second.token, email=email, user_id=new_id("usr")),
        metadata=as_auth(),
    )
    assert claimed.role == pb.TENANT_ROLE_ADMIN


async def test_seats_run_out_on_the_free_plan_until_an_upgrade(
    tenants: tenant_pb2_grpc.TenantServiceStub,
) -> None:
    owner = await new_tenant(tenants)  # FREE: 5 seats, the owner holds one
    invitations = [await invite(tenants, owner) for _ in range(5)]
    for invited in invitations[:4]:
        assert await claim(tenants, invited.token, invited.invitation.email) is OK
    last = invitations[4]
    assert (
        await claim(tenants, last.token, last.invitation.email)
        is grpc.StatusCode.RESOURCE_EXHAUSTED
    )
    # The refused claim changed nothing: the invitation is still pending, seats are full.
    listed = await tenants.ListInvitations(pb.ListInvitationsRequest(), metadata=owner.md)
    assert [i.id for i in listed.invitations] == [last.invitation.id]
    assert quotas_of(await my_tenant(tenants, owner))[pb.QUOTA_KIND_SEATS] == (5, 5)
    members = await tenants.ListMembers(pb.ListMembersRequest(), metadata=owner.md)
    assert len(members.members) == 5

    await tenants.UpdateTenant(pb.UpdateTenantRequest(plan=pb.PLAN_TEAM), metadata=owner.md)
    assert await claim(tenants, last.token, last.invitation.email) is OK
    assert quotas_of(await my_tenant(tenants, owner))[pb.QUOTA_KIND_SEATS] == (50, 6)


@pytest.mark.parametrize(
    ("token", "email", "user_id", "code"),
    [
        ("", None, None, grpc.StatusCode.INVALID_ARGUMENT),
        (None, "", None, grpc.StatusCode.INVALID_ARGUMENT),
        (None, "no-at-sign", None, grpc.StatusCode.INVALID_ARGUMENT),
        (None, None, "", grpc.StatusCode.INVALID_ARGUMENT),
        (None, None, "ten" + "A" * 14, grpc.StatusCode.INVALID_ARGUMENT),
        ("inv_short", None, None, grpc.StatusCode.NOT_FOUND),
        ("inv_" + "A" * 43, None, None, grpc.StatusCode.NOT_FOUND),
        ("x" * 100_000, None, None, grpc.StatusCode.NOT_FOUND),
    ],
    ids=["no-token", "no-email", "bad-email", "no-user", "bad-user", "malformed-token",
         "unknown-token", "huge-token"],
)  # fmt: skip
async def test_claim_rejects_bad_input_and_spends_nothing(
    tenants: tenant_pb2_grpc.TenantServiceStub,
    token: str | None,
    email: str | None,
    user_id: str | None,
    code: grpc.StatusCode,
) -> None:
    owner = await new_tenant(tenants)
    invited = await invite(tenants, owner)
    request = pb.ClaimInvitationRequest(
        token=invited.token if token is None else token,
        email=invited.invitation.email if email is None else email,
        user_id=new_id("usr") if user_id is None else user_id,
    )
    err = await error_of(tenants.ClaimInvitation(request, metadata=as_auth()))
    assert err.code() is code
    assert len(err.details()) < 200
    assert await claim(tenants, invited.token, invited.invitation.email) is OK


async def test_invitations_and_members_of_another_tenant_are_out_of_reach(
    tenants: tenant_pb2_grpc.TenantServiceStub,
) -> None:
    alice, bob = await new_tenant(tenants), await new_tenant(tenants)
    alices = await invite(tenants, alice)
    alice_member = await join(tenants, alice)

    listed = await tenants.ListInvitations(pb.ListInvitationsRequest(), metadata=bob.md)
    assert list(listed.invitations) == []
    members = await tenants.ListMembers(pb.ListMembersRequest(), metadata=bob.md)
    assert [m.user_id for m in members.members] == [bob.user_id]

    # Another tenant's invitation is as missing as one that never existed, by any id.
    answers = []
    for invitation_id in (alices.invitation.id, "inv" + "Z" * 14, "inv", "../" * 1000):
        err = await error_of(
            tenants.RevokeInvitation(
                pb.RevokeInvitationRequest(invitation_id=invitation_id), metadata=bob.md
            )
        )
        answers.append((err.code(), err.details()))
    assert set(answers) == {(grpc.StatusCode.NOT_FOUND, "invitation not found")}
    empty = tenants.RevokeInvitation(pb.RevokeInvitationRequest(), metadata=bob.md)
    assert await status_of(empty) is grpc.StatusCode.INVALID_ARGUMENT
    # Alice's invitation survived Bob's attempt.
    listed = await tenants.ListInvitations(pb.ListInvitationsRequest(), metadata=alice.md)
    assert [i.id for i in listed.invitations] == [alices.invitation.id]
    # Alice's member, sent with Bob's tenant id, is not a member there.
    spoof = Person(bob.tenant_id, alice_member.user_id)
    answer = tenants.ListMembers(pb.ListMembersRequest(), metadata=spoof.md)
    assert await status_of(answer) is grpc.StatusCode.PERMISSION_DENIED


# --- PostgreSQL: concurrency and the upsert -------------------------------------------------


@pytest.mark.postgres
async def test_concurrent_usage_records_lose_no_increment_on_postgres(
    pg_tenants: tenant_pb2_grpc.TenantServiceStub,
) -> None:
    owner = await new_tenant(pg_tenants)
    base = new_id("app")
    answers = await asyncio.gather(
        *(record(pg_tenants, owner, pb.QUOTA_KIND_RECORDS_PER_BASE, 1, base) for _ in range(50))
    )
    # Each call saw its own increment: the answers are exactly 1..50.
    assert sorted(answers) == list(range(1, 51))
    assert (await check(pg_tenants, owner, pb.QUOTA_KIND_RECORDS_PER_BASE, 0, base)).used == 50
    downs = await asyncio.gather(
        *(record(pg_tenants, owner, pb.QUOTA_KIND_RECORDS_PER_BASE, -2, base) for _ in range(30))
    )
    assert min(downs) == 0
    assert (await check(pg_tenants, owner, pb.QUOTA_KIND_RECORDS_PER_BASE, 0, base)).used == 0


@pytest.mark.postgres
async def test_concurrent_calls_with_one_idempotency_key_apply_once_on_postgres(
    pg_tenants: tenant_pb2_grpc.TenantServiceStub,
) -> None:
    owner = await new_tenant(pg_tenants)
    kind = pb.QUOTA_KIND_API_CALLS_PER_MONTH
    await record(pg_tenants, owner, kind, 10)
    answers = await asyncio.gather(
        *(record(pg_tenants, owner, kind, 5, key="batch-7") for _ in range(20)),
        *(record(pg_tenants, owner, kind, 1, key=f"call-{i}") for i in range(20)),
    )
    assert len(set(answers[:20])) == 1
    assert (await check(pg_tenants, owner, kind, 0)).used == 10 + 5 + 20


@pytest.mark.postgres
async def test_usage_saturates_instead_of_overflowing_on_postgres(
    pg_tenants: tenant_pb2_grpc.TenantServiceStub, pg_fabric: Host
) -> None:
    owner = await new_tenant(pg_tenants, plan=pb.PLAN_ENTERPRISE)
    kind = pb.QUOTA_KIND_API_CALLS_PER_MONTH
    await record(pg_tenants, owner, kind, 1)
    async with db_of(pg_fabric).transaction() as session:
        await session.execute(
            update(Usage)
            .where(Usage.tenant_id == owner.tenant_id, Usage.kind == "api_calls_per_month")
            .values(used=MAX_USAGE - 5)
        )
    assert await record(pg_tenants, owner, kind, 10**15) == MAX_USAGE
    assert await record(pg_tenants, owner, kind, -(10**15)) == MAX_USAGE - 10**15


@pytest.mark.postgres
async def test_concurrent_claims_never_exceed_the_seats_on_postgres(
    pg_tenants: tenant_pb2_grpc.TenantServiceStub,
) -> None:
    owner = await new_tenant(pg_tenants)  # FREE: 4 seats left
    invitations = [await invite(pg_tenants, owner) for _ in range(8)]
    answers = await asyncio.gather(
        *(claim(pg_tenants, i.token, i.invitation.email) for i in invitations)
    )
    assert sorted(a.name for a in answers) == ["OK"] * 4 + ["RESOURCE_EXHAUSTED"] * 4
    assert quotas_of(await my_tenant(pg_tenants, owner))[pb.QUOTA_KIND_SEATS] == (5, 5)


@pytest.mark.postgres
async def test_concurrent_claims_of_one_token_admit_one_user_on_postgres(
    pg_tenants: tenant_pb2_grpc.TenantServiceStub,
) -> None:
    owner = await new_tenant(pg_tenants)
    invited = await invite(pg_tenants, owner)
    answers = await asyncio.gather(
        *(claim(pg_tenants, invited.token, invited.invitation.email) for _ in range(10))
    )
    assert sorted(a.name for a in answers) == ["FAILED_PRECONDITION"] * 9 + ["OK"]
    members = await pg_tenants.ListMembers(pb.ListMembersRequest(), metadata=owner.md)
    assert len(members.members) == 2
    assert quotas_of(await my_tenant(pg_tenants, owner))[pb.QUOTA_KIND_SEATS] == (5, 2)


@pytest.mark.postgres
async def test_concurrent_invitations_to_one_email_leave_one_pending_on_postgres(
    pg_tenants: tenant_pb2_grpc.TenantServiceStub,
) -> None:
    owner = await new_tenant(pg_tenants)
    email = new_email()
    answers = await asyncio.gather(*(invite(pg_tenants, owner, email=email) for _ in range(10)))
    listed = await pg_tenants.ListInvitations(pb.ListInvitationsRequest(), metadata=owner.md)
    assert len(listed.invitations) == 1
    codes = [await claim(pg_tenants, a.token, email) for a in answers]
    assert sorted(c.name for c in codes) == ["FAILED_PRECONDITION"] * 9 + ["OK"]


@pytest.mark.postgres
async def test_invitation_end_to_end_on_postgres(
    pg_tenants: tenant_pb2_grpc.TenantServiceStub,
) -> None:
    owner = await new_tenant(pg_tenants, name="Acme")
    again = await pg_tenants.CreateTenant(
        pb.CreateTenantRequest(tenant_id=owner.tenant_id, owner_user_id=owner.user_id),
        metadata=owner.md,
    )
    assert (again.created, again.tenant.name) == (False, "Acme")
    member = await join(pg_tenants, owner, pb.TENANT_ROLE_ADMIN)
    tenant = await my_tenant(pg_tenants, member)
    assert quotas_of(tenant)[pb.QUOTA_KIND_SEATS] == (5, 2)
