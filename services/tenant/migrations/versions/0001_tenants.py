"""Tenants, members, usage counters, idempotent usage records and invitations.

Revision ID: tenant_0001
Revises:
"""

import sqlalchemy as sa
from alembic import op

from services.shared.db import UTCDateTime

revision = "tenant_0001"
down_revision = None
branch_labels = None
depends_on = None


def _tenant_id(primary_key: bool = False) -> sa.Column[str]:
    return sa.Column(
        "tenant_id",
        sa.String(17),
        sa.ForeignKey("tenant_tenants.id", ondelete="CASCADE"),
        primary_key=primary_key,
        nullable=False,
    )


def upgrade() -> None:
    op.create_table(
        "tenant_tenants",
        sa.Column("id", sa.String(17), primary_key=True),
        sa.Column("name", sa.String(255), nullable=False),
        sa.Column("plan", sa.String(16), nullable=False),
        sa.Column("owner_user_id", sa.String(17), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
    )
    op.create_table(
        "tenant_members",
        _tenant_id(primary_key=True),
        sa.Column("user_id", sa.String(17), primary_key=True),
        sa.Column("role", sa.String(16), nullable=False),
        sa.Column("joined_at", UTCDateTime(), nullable=False),
        sa.Column("invitation_id", sa.String(17), nullable=False),
    )
    op.create_table(
        "tenant_usage",
        _tenant_id(primary_key=True),
        sa.Column("kind", sa.String(32), primary_key=True),
        sa.Column("scope", sa.String(17), primary_key=True),
        sa.Column("period", sa.String(7), primary_key=True),
        sa.Column("used", sa.BigInteger(), nullable=False),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
    )
    op.create_table(
        "tenant_usage_records",
        _tenant_id(primary_key=True),
        sa.Column("idempotency_key", sa.String(128), primary_key=True),
        sa.Column("kind", sa.String(32), nullable=False),
        sa.Column("scope", sa.String(17), nullable=False),
        sa.Column("period", sa.String(7), nullable=False),
        sa.Column("delta", sa.BigInteger(), nullable=False),
        sa.Column("used", sa.BigInteger(), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
    )
    op.create_table(
        "tenant_invitations",
        sa.Column("id", sa.String(17), primary_key=True),
        _tenant_id(),
        sa.Column("email", sa.String(254), nullable=False),
        sa.Column("role", sa.String(16), nullable=False),
        sa.Column("token_hash", sa.String(64), nullable=False, unique=True),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("invited_by", sa.String(17), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("expires_at", UTCDateTime(), nullable=False),
        sa.Column("claimed_by", sa.String(17), nullable=False),
        sa.Column("ended_at", UTCDateTime(), nullable=True),
    )
    op.create_index("ix_tenant_invitations_tenant_id", "tenant_invitations", ["tenant_id"])
    op.create_index(
        "uq_tenant_invitations_pending_email",
        "tenant_invitations",
        ["tenant_id", "email"],
        unique=True,
        sqlite_where=sa.text("status = 'pending'"),
        postgresql_where=sa.text("status = 'pending'"),
    )


def downgrade() -> None:
    op.drop_table("tenant_invitations")
    op.drop_table("tenant_usage_records")
    op.drop_table("tenant_usage")
    op.drop_table("tenant_members")
    op.drop_table("tenant_tenants")
