"""tenant-service's tables: tenants, their members, usage counters, the events counted in
them, and invitations."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import BigInteger, ForeignKey, Index, String, text
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from services.shared.db import UTCDateTime

# Invitation states; only one pending invitation per (tenant, email).
PENDING = "pending"
CLAIMED = "claimed"
REVOKED = "revoked"
REPLACED = "replaced"

_TENANT_FK = "tenant_tenants.id"


class TenantBase(DeclarativeBase):
    pass


class Tenant(TenantBase):
    __tablename__ = "tenant_tenants"

    id: Mapped[str] = mapped_column(String(17), primary_key=True)
    name: Mapped[str] = mapped_column(String(255))
    # A plan name from plans.PLANS: "free", "team", "business" or "enterprise".
    plan: Mapped[str] = mapped_column(String(16))
    owner_user_id: Mapped[str] = mapped_column(String(17))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())


class Member(TenantBase):
    __tablename__ = "tenant_members"

    tenant_id: Mapped[str] = mapped_column(
        String(17), ForeignKey(_TENANT_FK, ondelete="CASCADE"), primary_key=True
    )
    user_id: Mapped[str] = mapped_column(String(17), primary_key=True)
    # "owner", "admin" or "member".
    role: Mapped[str] = mapped_column(String(16))
    joined_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())
    # The invitation the member joined with; empty for the owner.
    invitation_id: Mapped[str] = mapped_column(String(17), default="")


class Usage(TenantBase):
    """One counter: a quota kind in a tenant, per scope (a base id, or "") and period."""

    __tablename__ = "tenant_usage"

    tenant_id: Mapped[str] = mapped_column(
        String(17), ForeignKey(_TENANT_FK, ondelete="CASCADE"), primary_key=True
    )
    kind: Mapped[str] = mapped_column(String(32), primary_key=True)
    scope: Mapped[str] = mapped_column(String(17), primary_key=True)
    # "" for gauges, "YYYY-MM" (UTC) for monthly kinds.
    period: Mapped[str] = mapped_column(String(7), primary_key=True)
    used: Mapped[int] = mapped_column(BigInteger())
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())


class UsageRecord(TenantBase):
    """A RecordUsage call made with an idempotency key, and the answer it got."""

    __tablename__ = "tenant_usage_records"

    tenant_id: Mapped[str] = mapped_column(
        String(17), ForeignKey(_TENANT_FK, ondelete="CASCADE"), primary_key=True
    )
    idempotency_key: Mapped[str] = mapped_column(String(128), primary_key=True)
    kind: Mapped[str] = mapped_column(String(32))
    scope: Mapped[str] = mapped_column(String(17))
    period: Mapped[str] = mapped_column(String(7))
    delta: Mapped[int] = mapped_column(BigInteger())
    used: Mapped[int] = mapped_column(BigInteger())
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())


class CountedEvent(TenantBase):
    """An event already counted in usage, so a redelivery is not counted again."""

    __tablename__ = "tenant_counted_events"

    event_id: Mapped[str] = mapped_column(String(32), primary_key=True)
    # When; ids are forgotten once no redelivery can come any more.
    counted_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), index=True)


class Invitation(TenantBase):
    __tablename__ = "tenant_invitations"
    __table_args__ = (
        # A new invitation to the same email replaces the pending one; the database keeps
        # two from being pending at once, even when two admins invite concurrently.
        Index(
            "uq_tenant_invitations_pending_email",
            "tenant_id",
            "email",
            unique=True,
            sqlite_where=text("status = 'pending'"),
            postgresql_where=text("status = 'pending'"),
        ),
    )

    id: Mapped[str] = mapped_column(String(17), primary_key=True)
    tenant_id: Mapped[str] = mapped_column(
        String(17), ForeignKey(_TENANT_FK, ondelete="CASCADE"), index=True
    )
    email: Mapped[str] = mapped_column(String(254))
    role: Mapped[str] = mapped_column(String(16))
    # sha256 of the token, hex: the token itself is shown once and never stored.
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    status: Mapped[str] = mapped_column(String(16))
    invited_by: Mapped[str] = mapped_column(String(17))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())
    expires_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())
    claimed_by: Mapped[str] = mapped_column(String(17), default="")
    # When it stopped being pending: claimed, revoked or replaced.
    ended_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime(), nullable=True)
