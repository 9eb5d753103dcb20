"""Workspaces, the registry of bases, and workspace invitations.

Revision ID: workspace_0001
Revises:
"""

import sqlalchemy as sa
from alembic import op

from services.shared.db import UTCDateTime

revision = "workspace_0001"
down_revision = None
branch_labels = None
depends_on = None

_PENDING = sa.text("status = 'pending'")


def upgrade() -> None:
    op.create_table(
        "workspace_workspaces",
        sa.Column("id", sa.String(17), primary_key=True),
        sa.Column("tenant_id", sa.String(17), nullable=False, index=True),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("created_by", sa.String(17), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
    )
    op.create_table(
        "workspace_bases",
        sa.Column("id", sa.String(17), primary_key=True),
        sa.Column("tenant_id", sa.String(17), nullable=False),
        sa.Column(
            "workspace_id",
            sa.String(17),
            sa.ForeignKey("workspace_workspaces.id", ondelete="CASCADE"),
            nullable=False,
            index=True,
        ),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("created_by", sa.String(17), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
    )
    op.create_table(
        "workspace_invitations",
        sa.Column("id", sa.String(17), primary_key=True),
        sa.Column("tenant_id", sa.String(17), nullable=False),
        sa.Column(
            "workspace_id",
            sa.String(17),
            sa.ForeignKey("workspace_workspaces.id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column("email", sa.String(254), nullable=False),
        sa.Column("role", sa.Integer(), nullable=False),
        sa.Column("invited_by", sa.String(17), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("expires_at", UTCDateTime(), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("tenant_invitation_id", sa.String(64), nullable=True),
        sa.Column("closed_by", sa.String(17), nullable=True),
        sa.Column("closed_at", UTCDateTime(), nullable=True),
    )
    op.create_index(
        "uq_workspace_invitations_pending",
        "workspace_invitations",
        ["workspace_id", "email"],
        unique=True,
        sqlite_where=_PENDING,
        postgresql_where=_PENDING,
    )
    op.create_index(
        "ix_workspace_invitations_tenant_email", "workspace_invitations", ["tenant_id", "email"]
    )


def downgrade() -> None:
    op.drop_table("workspace_invitations")
    op.drop_table("workspace_bases")
    op.drop_table("workspace_workspaces")
