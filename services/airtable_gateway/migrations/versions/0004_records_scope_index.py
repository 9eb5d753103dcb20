"""Records read in order within their whole scope (tenant, base, table): every listing names all
three, so a page at any position and the count of a table come from the index alone.

Revision ID: 0004
Revises: 0003
"""

from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index(
        "ix_airtable_records_scope_number",
        "airtable_records",
        ["tenant_id", "base_id", "table_id", "auto_number"],
    )
    op.drop_index("ix_airtable_records_tenant_table_number", table_name="airtable_records")


def downgrade() -> None:
    op.create_index(
        "ix_airtable_records_tenant_table_number",
        "airtable_records",
        ["tenant_id", "table_id", "auto_number"],
    )
    op.drop_index("ix_airtable_records_scope_number", table_name="airtable_records")
