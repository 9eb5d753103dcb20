"""Credentials and refresh tokens.

Revision ID: auth_0001
Revises:
"""

import sqlalchemy as sa
from alembic import op

from services.shared.db import UTCDateTime

revision = "auth_0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "auth_credentials",
        sa.Column("user_id", sa.String(17), primary_key=True),
        sa.Column("tenant_id", sa.String(17), nullable=False, index=True),
        sa.Column("email", sa.String(254), nullable=False, unique=True),
        sa.Column("password_hash", sa.String(255), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
    )
    op.create_table(
        "auth_refresh_tokens",
        sa.Column("id", sa.String(17), primary_key=True),
        sa.Column(
            "user_id",
            sa.String(17),
            sa.ForeignKey("auth_credentials.user_id", ondelete="CASCADE"),
            nullable=False,
            index=True,
        ),
        sa.Column("tenant_id", sa.String(17), nullable=False),
        sa.Column("token_hash", sa.String(64), nullable=False, unique=True),
        sa.Column("family_id", sa.String(17), nullable=False, index=True),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("expires_at", UTCDateTime(), nullable=False),
        sa.Column("revoked_at", UTCDateTime(), nullable=True),
    )


def downgrade() -> None:
    op.drop_table("auth_refresh_tokens")
    op.drop_table("auth_credentials")
