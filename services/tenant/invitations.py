"""Invitations to join a tenant: created by an owner or admin, claimed once with a secret token.

The token (`inv_` and 32 random bytes) is shown once; only its sha256 is kept. Claiming happens
during registration, before the invitee has an identity, so the token alone names the tenant.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
import secrets
from typing import Any, cast

from pyat.events.v1 import events_pb2
from pyat.tenant.v1 import tenant_pb2
from sqlalchemy import CursorResult, select, update
from sqlalchemy.exc import IntegrityError

from services.shared.db import Database, utcnow
from services.shared.emails import normalize_email
from services.shared.errors import (
    AlreadyExists,
    FailedPrecondition,
    InvalidArgument,
    NotFound,
    PermissionDenied,
    ResourceExhausted,
)
from services.shared.identity import Caller
from services.shared.ids import looks_like, new_id
from services.shared.outbox import add_event
from services.tenant.plans import fits
from services.tenant.quotas import SEATS, Counter, add_usage, limit_of
from services.tenant.storage import (
    CLAIMED,
    PENDING,
    REPLACED,
    REVOKED,
    Invitation,
    Member,
    Tenant,
)
from services.tenant.tenants import ROLE_VALUES, ROLES, SOURCE, membership, require_manager

TTL = dt.timedelta(days=7)
TOKEN_PREFIX = "inv_"
# token_urlsafe(32) is 43 characters of the URL-safe base64 alphabet.
_TOKEN = re.compile(r"^inv_[A-Za-z0-9_-]{43}$")


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _not_found() -> NotFound:
    # The same answer for an unknown id and another tenant's invitation.
    return NotFound("invitation not found", reason="INVITATION_NOT_FOUND")


def _rowcount(result: Any) -> int:
    return cast("CursorResult[Any]", result).rowcount


async def create_invitation(
    db: Database, caller: Caller, *, email: str, role: tenant_pb2.TenantRole
) -> tuple[Invitation, str]:
    """Invite `email` with `role` (default MEMBER); returns the invitation and its token.

    A pending invitation to the same email is replaced, so only the newest token works.
    """
    email = normalize_email(email)
    if role == tenant_pb2.TENANT_ROLE_UNSPECIFIED:
        role = tenant_pb2.TENANT_ROLE_MEMBER
    if role == tenant_pb2.TENANT_ROLE_OWNER:
        raise InvalidArgument(
            "a tenant has one owner, who cannot be invited",
            fields={"role": "must be TENANT_ROLE_MEMBER or TENANT_ROLE_ADMIN"},
            reason="OWNER_NOT_INVITABLE",
        )
    if role not in ROLES:
        raise InvalidArgument("role is unknown", fields={"role": "must be a TenantRole value"})

    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    async with db.transaction() as session:
        tenant, member = await membership(session, caller)
        require_manager(member)
        # Invitations of one tenant are made one at a time (a row lock on PostgreSQL; SQLite
        # has one writer), so two at once to one email replace each other, never collide.
        await session.execute(select(Tenant.id).where(Tenant.id == tenant.id).with_for_update())
        now = utcnow()
        await session.execute(
            update(Invitation)
            .where(
                Invitation.tenant_id == tenant.id,
                Invitation.email == email,
                Invitation.status == PENDING,
            )
            .values(status=REPLACED, ended_at=now),
            execution_options={"synchronize_session": False},
        )
        invitation = Invitation(
            id=new_id("inv"),
            tenant_id=tenant.id,
            email=email,
            role=ROLES[role],
            token_hash=hash_token(token),
            status=PENDING,
            invited_by=caller.user_id,
            created_at=now,
            expires_at=now + TTL,
            claimed_by="",
            ended_at=None,
        )
        session.add(invitation)
    return invitation, token


async def list_invitations(db: Database, caller: Caller) -> list[Invitation]:
    """The tenant's pending, unexpired invitations, oldest first."""
    async with db.read() as session:
        tenant, member = await membership(session, caller)
        require_manager(member)
        rows = await session.scalars(
            select(Invitation)
            .where(
                Invitation.tenant_id == tenant.id,
                Invitation.status == PENDING,
                Invitation.expires_at > utcnow(),
            )
            .order_by(Invitation.created_at, Invitation.id)
        )
        return list(rows)


async def revoke_invitation(db: Database, caller: Caller, invitation_id: str) -> None:
    """Cancel a pending invitation (expired ones too). Revoking twice is harmless; revoking a
    claimed one is FAILED_PRECONDITION, since the member has joined already."""
    if not invitation_id:
        raise InvalidArgument("invitation_id is required", fields={"invitation_id": "is required"})
    async with db.transaction() as session:
        tenant, member = await membership(session, caller)
        require_manager(member)
        invitation = None
        if looks_like(invitation_id, "inv"):
            invitation = await session.scalar(
                select(Invitation).where(
                    Invitation.tenant_id == tenant.id, Invitation.id == invitation_id
                )
            )
        if invitation is None:
            raise _not_found()
        revoked = await session.execute(
            update(Invitation)
            .where(Invitation.id == invitation.id, Invitation.status == PENDING)
            .values(status=REVOKED, ended_at=utcnow()),
            execution_options={"synchronize_session": False},
        )
        if _rowcount(revoked) == 0:
            await session.refresh(invitation)
            if invitation.status == CLAIMED:
                raise FailedPrecondition(
                    "the invitation was claimed already", reason="INVITATION_CLAIMED"
                )


async def claim_invitation(
    db: Database, *, token: str, email: str, user_id: str
) -> tuple[str, tenant_pb2.TenantRole]:
    """Spend a token: the new user joins its tenant with the invited role, taking a seat.

    Returns (tenant id, role). A token is claimed once: any other user presenting it again
    gets FAILED_PRECONDITION; the same user retrying gets the same answer, nothing applied
    twice (so a retried RPC is harmless).
    """
    bad: dict[str, str] = {}
    if not token:
        bad["token"] = "is required"
    if not looks_like(user_id, "usr"):
        bad["user_id"] = "must be a user id (usr...)"
    if bad:
        raise InvalidArgument("invalid claim", fields=bad)
    email = normalize_email(email)
    if not _TOKEN.match(token):
        raise _not_found()

    async with db.transaction() as session:
        invitation = await session.scalar(
            select(Invitation).where(Invitation.token_hash == hash_token(token))
        )
        if invitation is None:
            raise _not_found()
        # Whoever holds the token may learn its state; without it nothing here is reachable.
        if invitation.email != email:
            raise PermissionDenied(
                "the invitation is for another email address", reason="EMAIL_MISMATCH"
            )
        role = ROLE_VALUES[invitation.role]
        if invitation.status == CLAIMED:
            if invitation.claimed_by == user_id:
                return invitation.tenant_id, role
            raise FailedPrecondition(
                "the invitation was claimed already", reason="INVITATION_CLAIMED"
            )
        if invitation.status in (REVOKED, REPLACED):
            raise FailedPrecondition("the invitation was revoked", reason="INVITATION_REVOKED")
        now = utcnow()
        if invitation.expires_at <= now:
            raise FailedPrecondition("the invitation has expired", reason="INVITATION_EXPIRED")

        # The guard on status makes concurrent claims of one token serialize: one wins.
        claimed = await session.execute(
            update(Invitation)
            .where(Invitation.id == invitation.id, Invitation.status == PENDING)
            .values(status=CLAIMED, claimed_by=user_id, ended_at=now),
            execution_options={"synchronize_session": False},
        )
        if _rowcount(claimed) == 0:
            raise FailedPrecondition(
                "the invitation was claimed already", reason="INVITATION_CLAIMED"
            )
        tenant = await session.get(Tenant, invitation.tenant_id)
        if tenant is None:
            raise _not_found()
        # Increment first and check the result: the row lock orders concurrent claims, so
        # the last seat goes to exactly one of them.
        seats = await add_usage(session, db, Counter(tenant.id, SEATS), 1, now)
        if not fits(limit_of(tenant, SEATS), seats):
            raise ResourceExhausted(
                "the tenant has no free seat; upgrade the plan", reason="SEATS_EXHAUSTED"
            )
        session.add(
            Member(
                tenant_id=tenant.id,
                user_id=user_id,
                role=invitation.role,
                joined_at=now,
                invitation_id=invitation.id,
            )
        )
        try:
            await session.flush()
        except IntegrityError:
            raise AlreadyExists(
                "the user is a member of the tenant already", reason="ALREADY_MEMBER"
            ) from None
        add_event(
            session,
            events_pb2.TenantMemberJoined(
                tenant_id=tenant.id, user_id=user_id, invitation_id=invitation.id
            ),
            tenant_id=tenant.id,
            source=SOURCE,
        )
    return tenant.id, role
