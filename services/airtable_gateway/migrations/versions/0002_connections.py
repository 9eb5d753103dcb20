"""Connected Airtable bases: where each one lives at Airtable and its encrypted token.

Revision ID: 0002
Revises: 0001
"""

import sqlalchemy as sa
from alembic import op

from services.shared.db import UTCDateTime

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "airtable_connections",
        sa.Column("base_id", sa.String(17), primary_key=True),
        sa.Column("tenant_id", sa.String(17), nullable=False),
        sa.Column("workspace_id", sa.String(17), nullable=False),
        sa.Column("airtable_base_id", sa.String(17), nullable=False),
        sa.Column("endpoint_url", sa.String(2048), nullable=False),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("token_sealed", sa.Text(), nullable=False),
        sa.Column("created_by", sa.String(17), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
    )
    op.create_index("ix_airtable_connections_tenant", "airtable_connections", ["tenant_id"])


def downgrade() -> None:
    op.drop_table("airtable_connections")
