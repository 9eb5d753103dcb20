"""The records of native bases and each table's auto-number counter.

Revision ID: 0001
Revises:
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import JSONB

from services.shared.db import UTCDateTime

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "airtable_records",
        sa.Column("id", sa.String(17), primary_key=True),
        sa.Column("tenant_id", sa.String(17), nullable=False),
        sa.Column("base_id", sa.String(17), nullable=False),
        sa.Column("table_id", sa.String(17), nullable=False),
        sa.Column("cells", sa.JSON().with_variant(JSONB(), "postgresql"), nullable=False),
        sa.Column("auto_number", sa.Integer(), nullable=False),
        sa.Column("created_time", UTCDateTime(), nullable=False),
        sa.Column("last_modified_time", UTCDateTime(), nullable=False),
        sa.Column("created_by", sa.String(17), nullable=False),
        sa.Column("last_modified_by", sa.String(17), nullable=False),
    )
    op.create_index(
        "ix_airtable_records_tenant_table_number",
        "airtable_records",
        ["tenant_id", "table_id", "auto_number"],
    )
    op.create_table(
        "airtable_record_counters",
        sa.Column("table_id", sa.String(17), primary_key=True),
        sa.Column("tenant_id", sa.String(17), nullable=False),
        sa.Column("last_number", sa.Integer(), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("airtable_record_counters")
    op.drop_table("airtable_records")
