"""Search documents (text, its hash and its vector per record), their full-text index, and
the record and table changes waiting to be indexed.

Revision ID: 0001
Revises:
"""

import sqlalchemy as sa
from alembic import op

from services.shared.db import UTCDateTime

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "search_documents",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            primary_key=True,
            autoincrement=True,
        ),
        sa.Column("tenant_id", sa.String(64), nullable=False),
        sa.Column("base_id", sa.String(17), nullable=False),
        sa.Column("table_id", sa.String(17), nullable=False),
        sa.Column("record_id", sa.String(17), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("text_hash", sa.String(64), nullable=False),
        sa.Column("vector", sa.LargeBinary(), nullable=False),
        sa.Column("model", sa.String(255), nullable=False),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
        sa.UniqueConstraint("tenant_id", "record_id", name="uq_search_documents_record"),
        # The ids are the ANN keys: SQLite must never hand out a deleted one again.
        sqlite_autoincrement=True,
    )
    op.create_index(
        "ix_search_documents_scope", "search_documents", ["tenant_id", "base_id", "table_id"]
    )
    if op.get_bind().dialect.name == "postgresql":
        # 'english': stemmed words ("fixes" finds "fix"), and an exact rare word still matches.
        op.execute(
            "ALTER TABLE search_documents ADD COLUMN words tsvector "
            "GENERATED ALWAYS AS (to_tsvector('english', text)) STORED"
        )
        op.execute("CREATE INDEX ix_search_documents_words ON search_documents USING GIN (words)")
    else:
        # External content: the words index reads the text from search_documents, and the
        # triggers keep it in step within the writing transaction.
        op.execute(
            "CREATE VIRTUAL TABLE search_words USING fts5("
            "text, content='search_documents', content_rowid='id', "
            "tokenize='porter unicode61 remove_diacritics 2')"
        )
        op.execute(
            "CREATE TRIGGER search_documents_ai AFTER INSERT ON search_documents BEGIN "
            "INSERT INTO search_words(rowid, text) VALUES (new.id, new.text); END"
        )
        op.execute(
            "CREATE TRIGGER search_documents_ad AFTER DELETE ON search_documents BEGIN "
            "INSERT INTO search_words(search_words, rowid, text) "
            "VALUES ('delete', old.id, old.text); END"
        )
        op.execute(
            "CREATE TRIGGER search_documents_au AFTER UPDATE OF text ON search_documents BEGIN "
            "INSERT INTO search_words(search_words, rowid, text) "
            "VALUES ('delete', old.id, old.text); "
            "INSERT INTO search_words(rowid, text) VALUES (new.id, new.text); END"
        )
    op.create_table(
        "search_pending_records",
        sa.Column("tenant_id", sa.String(64), primary_key=True),
        sa.Column("record_id", sa.String(17), primary_key=True),
        sa.Column("base_id", sa.String(17), nullable=False),
        sa.Column("table_id", sa.String(17), nullable=False),
        # Who changed it: the records are read as them (a platform caller holds no role).
        sa.Column("actor_id", sa.String(64), nullable=False),
        sa.Column("queued_at", UTCDateTime(), nullable=False),
    )
    # Each tenant's waiting records, oldest first: the worker shares a batch among tenants.
    op.create_index(
        "ix_search_pending_records_turn", "search_pending_records", ["tenant_id", "queued_at"]
    )
    op.create_index(
        "ix_search_pending_records_base", "search_pending_records", ["tenant_id", "base_id"]
    )
    op.create_table(
        "search_pending_tables",
        sa.Column("tenant_id", sa.String(64), primary_key=True),
        sa.Column("table_id", sa.String(17), primary_key=True),
        sa.Column("base_id", sa.String(17), nullable=False),
        sa.Column("actor_id", sa.String(64), nullable=False),
        sa.Column("queued_at", UTCDateTime(), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("search_pending_tables")
    op.drop_table("search_pending_records")
    op.execute("DROP TABLE IF EXISTS search_words")
    op.drop_table("search_documents")
