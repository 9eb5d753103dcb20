"""The events counted in usage, so a redelivered one is counted once.

Revision ID: tenant_0002
Revises: tenant_0001
"""

import sqlalchemy as sa
from alembic import op

from services.shared.db import UTCDateTime

revision = "tenant_0002"
down_revision = "tenant_0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "tenant_counted_events",
        sa.Column("event_id", sa.String(32), primary_key=True),
        sa.Column("counted_at", UTCDateTime(), nullable=False),
    )
    op.create_index("ix_tenant_counted_events_counted_at", "tenant_counted_events", ["counted_at"])


def downgrade() -> None:
    op.drop_index("ix_tenant_counted_events_counted_at", table_name="tenant_counted_events")
    op.drop_table("tenant_counted_events")
