"""Role grants.

Revision ID: permission_0001
Revises:
"""

import sqlalchemy as sa
from alembic import op

from services.shared.db import UTCDateTime

revision = "permission_0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "permission_grants",
        sa.Column("tenant_id", sa.String(17), nullable=False),
        sa.Column("subject_id", sa.String(17), nullable=False),
        sa.Column("workspace_id", sa.String(17), nullable=False),
        sa.Column("base_id", sa.String(17), nullable=False),
        sa.Column("table_id", sa.String(17), nullable=False),
        sa.Column("role", sa.SmallInteger(), nullable=False),
        sa.Column("granted_by", sa.String(17), nullable=False),
        sa.Column("granted_at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint(
            "tenant_id",
            "subject_id",
            "workspace_id",
            "base_id",
            "table_id",
            name="pk_permission_grants",
        ),
    )
    op.create_index(
        "ix_permission_grants_resource",
        "permission_grants",
        ["tenant_id", "workspace_id", "base_id", "table_id"],
    )


def downgrade() -> None:
    op.drop_index("ix_permission_grants_resource", table_name="permission_grants")
    op.drop_table("permission_grants")
