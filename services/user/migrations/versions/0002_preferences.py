"""User preferences, and an index for listing a tenant's users by name.

Revision ID: user_0002
Revises: user_0001
"""

import sqlalchemy as sa
from alembic import op

revision = "user_0002"
down_revision = "user_0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("user_profiles") as batch:
        batch.add_column(sa.Column("preferences", sa.Text(), nullable=False, server_default="{}"))
    op.create_index("ix_user_profiles_tenant_name", "user_profiles", ["tenant_id", "name", "id"])
    op.create_index("ix_user_profiles_tenant_email", "user_profiles", ["tenant_id", "email"])


def downgrade() -> None:
    op.drop_index("ix_user_profiles_tenant_email", "user_profiles")
    op.drop_index("ix_user_profiles_tenant_name", "user_profiles")
    with op.batch_alter_table("user_profiles") as batch:
        batch.drop_column("preferences")
