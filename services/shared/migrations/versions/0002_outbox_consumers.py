"""The embedded bus's log order over the outbox, and where its durable consumers stand.

Revision ID: shared_0002
Revises: shared_0001
"""

import sqlalchemy as sa
from alembic import op

revision = "shared_0002"
down_revision = "shared_0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Rows published before this have none: their consumers already had them.
    op.add_column("outbox", sa.Column("published_seq", sa.BigInteger(), nullable=True))
    op.create_index("uq_outbox_published_seq", "outbox", ["published_seq"], unique=True)
    sequence = op.create_table(
        "outbox_sequence",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=False),
        sa.Column("last", sa.BigInteger(), nullable=False),
    )
    op.bulk_insert(sequence, [{"id": 1, "last": 0}])
    op.create_table(
        "outbox_consumers",
        sa.Column("durable", sa.String(255), primary_key=True),
        sa.Column("position", sa.BigInteger(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("outbox_consumers")
    op.drop_table("outbox_sequence")
    op.drop_index("uq_outbox_published_seq", table_name="outbox")
    op.drop_column("outbox", "published_seq")
