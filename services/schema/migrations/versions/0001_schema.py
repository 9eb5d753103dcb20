"""Tables, fields and views of every base.

Revision ID: schema_0001
Revises:
"""

import sqlalchemy as sa
from alembic import op

revision = "schema_0001"
down_revision = None
branch_labels = None
depends_on = None


def _child(name: str, *columns: sa.Column[object]) -> None:
    """A table of rows that belong to one schema table and go when it goes."""
    op.create_table(
        name,
        sa.Column("id", sa.String(17), primary_key=True),
        sa.Column("tenant_id", sa.String(17), nullable=False),
        sa.Column(
            "table_id",
            sa.String(17),
            sa.ForeignKey("schema_tables.id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column("name", sa.String(255), nullable=False),
        sa.Column("name_key", sa.String(255), nullable=False),
        *columns,
        sa.Column("position", sa.Integer(), nullable=False),
    )
    op.create_index(f"uq_{name}_table_name", name, ["table_id", "name_key"], unique=True)


def upgrade() -> None:
    op.create_table(
        "schema_tables",
        sa.Column("id", sa.String(17), primary_key=True),
        sa.Column("tenant_id", sa.String(17), nullable=False),
        sa.Column("base_id", sa.String(17), nullable=False),
        sa.Column("name", sa.String(255), nullable=False),
        sa.Column("name_key", sa.String(255), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("primary_field_id", sa.String(17), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
    )
    op.create_index(
        "uq_schema_tables_base_name", "schema_tables", ["base_id", "name_key"], unique=True
    )
    op.create_index("ix_schema_tables_tenant_base", "schema_tables", ["tenant_id", "base_id"])
    _child(
        "schema_fields",
        sa.Column("type", sa.String(32), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("options", sa.JSON(), nullable=False),
    )
    _child(
        "schema_views",
        sa.Column("type", sa.String(16), nullable=False),
        sa.Column("filter_by_formula", sa.Text(), nullable=False),
        sa.Column("sorts", sa.JSON(), nullable=False),
        sa.Column("visible_field_ids", sa.JSON(), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("schema_views")
    op.drop_table("schema_fields")
    op.drop_table("schema_tables")
