"""The change log of native records, and each base's head of it (ListRecordChanges).

Revision ID: 0003
Revises: 0002
"""

import sqlalchemy as sa
from alembic import op

from services.shared.db import UTCDateTime

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "airtable_record_changes",
        sa.Column(
            "seq",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            primary_key=True,
            autoincrement=True,
        ),
        sa.Column("tenant_id", sa.String(17), nullable=False),
        sa.Column("base_id", sa.String(17), nullable=False),
        sa.Column("table_id", sa.String(17), nullable=False),
        sa.Column("record_id", sa.String(17), nullable=False),
        sa.Column("kind", sa.String(8), nullable=False),
        sa.Column("changed_field_ids", sa.JSON(), nullable=False),
        sa.Column("actor_id", sa.String(17), nullable=False),
        sa.Column("changed_at", UTCDateTime(), nullable=False),
        # SQLite would otherwise reuse the seqs of pruned rows.
        sqlite_autoincrement=True,
    )
    op.create_index(
        "ix_airtable_record_changes_base_seq", "airtable_record_changes", ["base_id", "seq"]
    )
    op.create_index(
        "ix_airtable_record_changes_table_seq", "airtable_record_changes", ["table_id", "seq"]
    )
    op.create_index(
        "ix_airtable_record_changes_changed_at", "airtable_record_changes", ["changed_at"]
    )
    op.create_table(
        "airtable_record_change_heads",
        sa.Column("base_id", sa.String(17), primary_key=True),
        sa.Column("tenant_id", sa.String(17), nullable=False),
        sa.Column("pruned_seq", sa.BigInteger(), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("airtable_record_change_heads")
    op.drop_table("airtable_record_changes")
