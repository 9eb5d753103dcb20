"""mobile-bff's migrations build exactly the table its model declares, on SQLite and
PostgreSQL, and push tokens longer than an index entry holds are still unique per tenant."""

from __future__ import annotations

from typing import Any

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy.engine import Connection

from services import mobile_bff
from services.mobile_bff import devices
from services.mobile_bff.storage import MobileBase
from services.shared.db import Database
from services.shared.ids import new_id


async def test_migrations_match_the_model(db_url: str) -> None:
    db = Database(db_url)
    try:
        assert mobile_bff.SERVICE.migrations is not None
        for _again in range(2):  # applying them again is a no-op, as at every start
            await db.migrate(mobile_bff.SERVICE.migrations, "alembic_version_mobile-bff")

        def diff(connection: Connection) -> list[Any]:
            def ours(obj: Any, name: str | None, type_: str, *_: Any) -> bool:
                table = name if type_ == "table" else getattr(obj, "table", None)
                table_name = table if isinstance(table, str) or table is None else table.name
                return table_name in MobileBase.metadata.tables

            context = MigrationContext.configure(
                connection, opts={"compare_type": True, "include_object": ours}
            )
            return list(compare_metadata(context, MobileBase.metadata))

        async with db.engine.connect() as conn:
            assert await conn.run_sync(diff) == []

        # A 4096-character token (past PostgreSQL's index entry size) registers, once.
        tenant_id, user_id = new_id("ten"), new_id("usr")
        wanted = devices.Registration(push_token="t" * 4096, platform="ios", name="")
        first = await devices.register(db, tenant_id, user_id, wanted)
        again = await devices.register(db, tenant_id, user_id, wanted)
        assert again.id == first.id
        assert [d.id for d in await devices.of_user(db, tenant_id, user_id)] == [first.id]
    finally:
        await db.close()
