"""workspace-service's tables: workspaces, the registry of bases, and workspace invitations."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from sqlalchemy import ForeignKey, Index, Integer, String, select, text
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from services.shared.db import UTCDateTime

PENDING = "pending"
ACCEPTED = "accepted"
REVOKED = "revoked"
# A pending invitation past its expiry, closed when a new one for the same email replaces it.
EXPIRED = "expired"


class WorkspaceBase(DeclarativeBase):
    pass


class Workspace(WorkspaceBase):
    __tablename__ = "workspace_workspaces"

    id: Mapped[str] = mapped_column(String(17), primary_key=True)
    tenant_id: Mapped[str] = mapped_column(String(17), index=True)
    name: Mapped[str] = mapped_column(String(200))
    created_by: Mapped[str] = mapped_column(String(17))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())


class BaseEntry(WorkspaceBase):
    """One base in the registry: which tenant and workspace it belongs to."""

    __tablename__ = "workspace_bases"

    id: Mapped[str] = mapped_column(String(17), primary_key=True)
    tenant_id: Mapped[str] = mapped_column(String(17))
    workspace_id: Mapped[str] = mapped_column(
        String(17), ForeignKey("workspace_workspaces.id", ondelete="CASCADE"), index=True
    )
    name: Mapped[str] = mapped_column(String(200))
    created_by: Mapped[str] = mapped_column(String(17))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())


class Invitation(WorkspaceBase):
    __tablename__ = "workspace_invitations"
    __table_args__ = (
        # At most one pending invitation per workspace and email, whoever races to make it.
        Index(
            "uq_workspace_invitations_pending",
            "workspace_id",
            "email",
            unique=True,
            sqlite_where=text("status = 'pending'"),
            postgresql_where=text("status = 'pending'"),
        ),
        # ListMyInvitations: a tenant's invitations to one email.
        Index("ix_workspace_invitations_tenant_email", "tenant_id", "email"),
    )

    id: Mapped[str] = mapped_column(String(17), primary_key=True)
    tenant_id: Mapped[str] = mapped_column(String(17))
    workspace_id: Mapped[str] = mapped_column(
        String(17), ForeignKey("workspace_workspaces.id", ondelete="CASCADE")
    )
    email: Mapped[str] = mapped_column(String(254))
    # A pyat.permission.v1.Role value.
    role: Mapped[int] = mapped_column(Integer())
    invited_by: Mapped[str] = mapped_column(String(17))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())
    expires_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())
    status: Mapped[str] = mapped_column(String(16))
    # The tenant invitation made alongside, when the invitee had no account in the tenant.
    tenant_invitation_id: Mapped[str | None] = mapped_column(String(64), nullable=True)
    closed_by: Mapped[str | None] = mapped_column(String(17), nullable=True)
    closed_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime(), nullable=True)


async def workspace_in_tenant(
    session: AsyncSession, tenant_id: str, workspace_id: str, *, for_update: bool = False
) -> Workspace | None:
    """The workspace, only if it belongs to `tenant_id`: other tenants' don't exist here."""
    query = select(Workspace).where(Workspace.tenant_id == tenant_id, Workspace.id == workspace_id)
    if for_update:
        # FOR NO KEY UPDATE on PostgreSQL: it serializes changes to the workspace without
        # holding up inserts of bases and invitations that only reference it.
        query = query.with_for_update(key_share=True)
    return (await session.execute(query)).scalar_one_or_none()


async def workspaces_in_tenant(
    session: AsyncSession, tenant_id: str, workspace_ids: Sequence[str]
) -> list[Workspace]:
    if not workspace_ids:
        return []
    result = await session.execute(
        select(Workspace)
        .where(Workspace.tenant_id == tenant_id, Workspace.id.in_(workspace_ids))
        .order_by(Workspace.created_at, Workspace.id)
    )
    return list(result.scalars())


async def base_in_tenant(session: AsyncSession, tenant_id: str, base_id: str) -> BaseEntry | None:
    result = await session.execute(
        select(BaseEntry).where(BaseEntry.id == base_id, BaseEntry.tenant_id == tenant_id)
    )
    return result.scalar_one_or_none()


async def bases_in_workspaces(
    session: AsyncSession, tenant_id: str, workspace_ids: Sequence[str]
) -> list[BaseEntry]:
    if not workspace_ids:
        return []
    result = await session.execute(
        select(BaseEntry)
        .where(BaseEntry.tenant_id == tenant_id, BaseEntry.workspace_id.in_(workspace_ids))
        .order_by(BaseEntry.created_at, BaseEntry.id)
    )
    return list(result.scalars())


async def bases_of_workspace(session: AsyncSession, workspace_id: str) -> list[BaseEntry]:
    result = await session.execute(
        select(BaseEntry)
        .where(BaseEntry.workspace_id == workspace_id)
        .order_by(BaseEntry.created_at, BaseEntry.id)
    )
    return list(result.scalars())


async def pending_invitations(
    session: AsyncSession,
    tenant_id: str,
    now: dt.datetime,
    *,
    workspace_id: str | None = None,
    email: str | None = None,
) -> list[tuple[Invitation, str]]:
    """Pending, unexpired invitations of a tenant, each with its workspace's name."""
    query = (
        select(Invitation, Workspace.name)
        .join(Workspace, Workspace.id == Invitation.workspace_id)
        .where(
            Invitation.tenant_id == tenant_id,
            Invitation.status == PENDING,
            Invitation.expires_at > now,
        )
        .order_by(Invitation.created_at, Invitation.id)
    )
    if workspace_id is not None:
        query = query.where(Invitation.workspace_id == workspace_id)
    if email is not None:
        query = query.where(Invitation.email == email)
    return [(invitation, name) for invitation, name in (await session.execute(query)).all()]


async def invitation_in_tenant(
    session: AsyncSession, tenant_id: str, invitation_id: str
) -> Invitation | None:
    result = await session.execute(
        select(Invitation).where(Invitation.id == invitation_id, Invitation.tenant_id == tenant_id)
    )
    return result.scalar_one_or_none()


async def latest_tenant_invitation(session: AsyncSession, tenant_id: str, email: str) -> str | None:
    """The newest tenant invitation made for `email`: the only one whose token still works."""
    result = await session.execute(
        select(Invitation.tenant_invitation_id)
        .where(
            Invitation.tenant_id == tenant_id,
            Invitation.email == email,
            Invitation.tenant_invitation_id.is_not(None),
        )
        .order_by(Invitation.created_at.desc(), Invitation.id.desc())
        .limit(1)
    )
    return result.scalar_one_or_none()
