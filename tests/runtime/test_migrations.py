"""Each service's Alembic history builds exactly the tables its models declare."""

from __future__ import annotations

import importlib
from typing import Any

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import MetaData
from sqlalchemy.engine import Connection
from sqlalchemy.orm import DeclarativeBase

from services.registry import SERVICES
from services.shared.db import Database
from services.shared.outbox import OutboxBase
from services.shared.runtime import ServiceSpec
from services.shared.server import migrate


def _metadata_of(spec: ServiceSpec) -> MetaData:
    """The tables a service's models declare, found on the DeclarativeBase in its storage.py
    (airtable-gateway's is its records engine's, `native/storage.py`)."""
    assert spec.migrations is not None
    package = f"services.{spec.migrations.parent.name}"
    try:
        storage = importlib.import_module(f"{package}.storage")
    except ModuleNotFoundError:
        storage = importlib.import_module(f"{package}.native.storage")
    bases = [
        value
        for value in vars(storage).values()
        if isinstance(value, type) and DeclarativeBase in value.__bases__
    ]  # fmt: skip
    assert len(bases) == 1, f"{storage.__name__} should declare one DeclarativeBase"
    return bases[0].metadata


METADATA: dict[str, MetaData] = {
    "shared": OutboxBase.metadata,
    **{name: _metadata_of(spec) for name, spec in SERVICES.items() if spec.migrations},
}


async def test_migrations_match_the_models(db_url: str) -> None:
    db = Database(db_url)
    try:
        await migrate(db, list(SERVICES.values()))
        # Applying them again is a no-op, as at every start of the platform.
        await migrate(db, list(SERVICES.values()))

        def diff(connection: Connection, metadata: MetaData) -> list[object]:
            def ours(obj: Any, name: str | None, type_: str, *_: Any) -> bool:
                table = name if type_ == "table" else getattr(obj, "table", None)
                table_name = table if isinstance(table, str) or table is None else table.name
                if table_name not in metadata.tables:
                    return False
                # What a model says only one dialect has, its migration makes in that
                # dialect's own SQL (a full-text index, say).
                return name not in metadata.tables[table_name].info.get("dialect_only", ())

            context = MigrationContext.configure(
                connection, opts={"compare_type": True, "include_object": ours}
            )
            return list(compare_metadata(context, metadata))

        for name, metadata in METADATA.items():
            async with db.engine.connect() as conn:
                changes = await conn.run_sync(diff, metadata)
            assert changes == [], f"{name}: models and migrations differ: {changes}"
    finally:
        await db.close()
