"""Devices registered for push notifications.

Revision ID: mobile_bff_0001
Revises:
"""

import sqlalchemy as sa
from alembic import op

from services.shared.db import UTCDateTime

revision = "mobile_bff_0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "mobile_devices",
        sa.Column("id", sa.String(17), primary_key=True),
        sa.Column("tenant_id", sa.String(17), nullable=False),
        sa.Column("user_id", sa.String(17), nullable=False),
        sa.Column("platform", sa.String(16), nullable=False),
        sa.Column("name", sa.String(100), nullable=False),
        sa.Column("push_token", sa.Text(), nullable=False),
        sa.Column("token_digest", sa.String(64), nullable=False),
        sa.Column("registered_at", UTCDateTime(), nullable=False),
        sa.Column("last_seen_at", UTCDateTime(), nullable=False),
        sa.UniqueConstraint("tenant_id", "token_digest", name="uq_mobile_devices_tenant_token"),
    )
    op.create_index(
        "ix_mobile_devices_tenant_user",
        "mobile_devices",
        ["tenant_id", "user_id", "registered_at"],
    )


def downgrade() -> None:
    op.drop_index("ix_mobile_devices_tenant_user", "mobile_devices")
    op.drop_table("mobile_devices")
