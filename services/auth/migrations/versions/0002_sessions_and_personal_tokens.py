"""Refresh-token rotation and personal access tokens.

Revision ID: auth_0002
Revises: auth_0001
"""

import sqlalchemy as sa
from alembic import op

from services.shared.db import UTCDateTime

revision = "auth_0002"
down_revision = "auth_0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("auth_refresh_tokens") as batch:
        batch.add_column(sa.Column("used_at", UTCDateTime(), nullable=True))
    op.create_table(
        "auth_personal_tokens",
        sa.Column("id", sa.String(17), primary_key=True),
        sa.Column("tenant_id", sa.String(17), nullable=False),
        sa.Column(
            "user_id",
            sa.String(17),
            sa.ForeignKey("auth_credentials.user_id", ondelete="CASCADE"),
            nullable=False,
            index=True,
        ),
        sa.Column("name", sa.String(100), nullable=False),
        sa.Column("secret_hash", sa.String(64), nullable=False),
        sa.Column("scopes", sa.String(500), nullable=False),
        sa.Column("base_ids", sa.String(2000), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("expires_at", UTCDateTime(), nullable=True),
        sa.Column("revoked_at", UTCDateTime(), nullable=True),
        sa.Column("last_used_at", UTCDateTime(), nullable=True),
    )


def downgrade() -> None:
    op.drop_table("auth_personal_tokens")
    with op.batch_alter_table("auth_refresh_tokens") as batch:
        batch.drop_column("used_at")
