"""Tenants and their members: creation (by RPC or event), who may do what, renames and plans."""

from __future__ import annotations

import unicodedata

from pyat.events.v1 import events_pb2
from pyat.tenant.v1 import tenant_pb2
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from services.shared.db import Database, utcnow
from services.shared.errors import (
    AlreadyExists,
    FailedPrecondition,
    InvalidArgument,
    NotFound,
    PermissionDenied,
)
from services.shared.identity import Caller
from services.shared.ids import looks_like
from services.shared.outbox import add_event
from services.tenant.plans import DEFAULT_PLAN, PLANS
from services.tenant.quotas import SEATS, Counter, add_usage
from services.tenant.storage import Member, Tenant

SOURCE = "tenant"
MAX_NAME_LEN = 255
DEFAULT_NAME = "My team"

ROLES: dict[tenant_pb2.TenantRole, str] = {
    tenant_pb2.TENANT_ROLE_MEMBER: "member",
    tenant_pb2.TENANT_ROLE_ADMIN: "admin",
    tenant_pb2.TENANT_ROLE_OWNER: "owner",
}
ROLE_VALUES = {name: role for role, name in ROLES.items()}
MANAGERS = frozenset({"owner", "admin"})


def normalize_name(name: str) -> str:
    """Whitespace collapsed; "" stays "" (the caller picks a default)."""
    cleaned = " ".join(name.split())
    problem = None
    if len(cleaned) > MAX_NAME_LEN:
        problem = f"at most {MAX_NAME_LEN} characters"
    elif any(unicodedata.category(c) in ("Cc", "Cs") for c in cleaned):
        problem = "must not contain control characters"
    if problem:
        raise InvalidArgument("name is invalid", fields={"name": problem}, reason="INVALID_NAME")
    return cleaned


def name_for_owner(person: str) -> str:
    """A sensible default name for a tenant whose owner is called `person`."""
    try:
        person = normalize_name(person)
    except InvalidArgument:
        person = ""
    named = f"{person}'s team" if person else DEFAULT_NAME
    return named if len(named) <= MAX_NAME_LEN else DEFAULT_NAME


def check_new_tenant(
    *, tenant_id: str, owner_user_id: str, name: str, plan: tenant_pb2.Plan
) -> str:
    """INVALID_ARGUMENT unless these make a tenant; returns the name to give it."""
    bad: dict[str, str] = {}
    if not looks_like(tenant_id, "ten"):
        bad["tenant_id"] = "must be a tenant id (ten...)"
    if not looks_like(owner_user_id, "usr"):
        bad["owner_user_id"] = "must be a user id (usr...)"
    if plan != tenant_pb2.PLAN_UNSPECIFIED and plan not in PLANS:
        bad["plan"] = "must be one of the Plan values"
    if bad:
        raise InvalidArgument("invalid tenant", fields=bad)
    return normalize_name(name) or DEFAULT_NAME


async def create_tenant(
    db: Database, *, tenant_id: str, owner_user_id: str, name: str, plan: tenant_pb2.Plan
) -> tuple[Tenant, bool]:
    """Create a tenant whose owner is its first member, taking a seat; idempotent on the id.

    Returns the tenant and whether it was created. ALREADY_EXISTS when the id is taken by a
    tenant with another owner.
    """
    name = check_new_tenant(tenant_id=tenant_id, owner_user_id=owner_user_id, name=name, plan=plan)
    spec = PLANS[plan if plan in PLANS else DEFAULT_PLAN]

    # Two tries: the RPC and the UserRegistered backstop may race to create the same tenant.
    for _attempt in range(2):
        try:
            async with db.transaction() as session:
                existing = await session.get(Tenant, tenant_id)
                if existing is not None:
                    if existing.owner_user_id != owner_user_id:
                        raise AlreadyExists(
                            "the tenant exists with another owner", reason="TENANT_EXISTS"
                        )
                    return existing, False
                now = utcnow()
                tenant = Tenant(
                    id=tenant_id,
                    name=name,
                    plan=spec.name,
                    owner_user_id=owner_user_id,
                    created_at=now,
                    updated_at=now,
                )
                session.add(tenant)
                await session.flush()  # before the rows that refer to it
                session.add(
                    Member(
                        tenant_id=tenant_id,
                        user_id=owner_user_id,
                        role="owner",
                        joined_at=now,
                        invitation_id="",
                    )
                )
                await session.flush()
                await add_usage(session, db, Counter(tenant_id, SEATS), 1, now)
                add_event(
                    session,
                    events_pb2.TenantCreated(
                        tenant_id=tenant_id, owner_user_id=owner_user_id, plan=spec.name
                    ),
                    tenant_id=tenant_id,
                    source=SOURCE,
                )
            return tenant, True
        except IntegrityError:
            continue  # created concurrently: read it back
    raise FailedPrecondition("the tenant could not be created")


async def membership(session: AsyncSession, caller: Caller) -> tuple[Tenant, Member]:
    """The caller's tenant and their membership of it.

    NOT_FOUND when the tenant does not exist, PERMISSION_DENIED when the caller is not in it.
    """
    tenant = None
    if looks_like(caller.tenant_id, "ten"):
        tenant = await session.get(Tenant, caller.tenant_id)
    if tenant is None:
        raise NotFound("tenant not found", reason="TENANT_NOT_FOUND")
    member = None
    if looks_like(caller.user_id, "usr"):
        member = await session.get(Member, (tenant.id, caller.user_id))
    if member is None:
        raise PermissionDenied("the caller is not a member of the tenant", reason="NOT_A_MEMBER")
    return tenant, member


def require_manager(member: Member) -> None:
    if member.role not in MANAGERS:
        raise PermissionDenied(
            "only the tenant's owner or an admin may do this", reason="OWNER_OR_ADMIN_ONLY"
        )


async def update_tenant(
    db: Database, caller: Caller, *, name: str, plan: tenant_pb2.Plan
) -> Tenant:
    """Rename and/or change the plan; "" and PLAN_UNSPECIFIED keep the current value.

    A plan may be lowered below current use: nothing is taken away, new use is refused.
    """
    if plan != tenant_pb2.PLAN_UNSPECIFIED and plan not in PLANS:
        raise InvalidArgument("plan is unknown", fields={"plan": "must be one of the Plan values"})
    name = normalize_name(name)
    async with db.transaction() as session:
        tenant, member = await membership(session, caller)
        require_manager(member)
        changed = []
        if name and name != tenant.name:
            tenant.name = name
            changed.append("name")
        if plan in PLANS and PLANS[plan].name != tenant.plan:
            tenant.plan = PLANS[plan].name
            changed.append("plan")
        if changed:
            tenant.updated_at = utcnow()
            add_event(
                session,
                events_pb2.TenantUpdated(
                    tenant_id=tenant.id, plan=tenant.plan, changed_fields=changed
                ),
                tenant_id=tenant.id,
                source=SOURCE,
            )
    return tenant


async def list_members(session: AsyncSession, tenant_id: str) -> list[Member]:
    rows = await session.scalars(
        select(Member)
        .where(Member.tenant_id == tenant_id)
        .order_by(Member.joined_at, Member.user_id)
    )
    return list(rows)
