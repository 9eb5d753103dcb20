"""permission-service's table: role grants, one per (tenant, subject, resource)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from typing import Any, cast

from sqlalchemy import (
    CursorResult,
    Index,
    PrimaryKeyConstraint,
    SmallInteger,
    String,
    and_,
    delete,
    or_,
    select,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from services.permission.roles import ResourcePath
from services.shared.db import UTCDateTime

# A (subject, resource) pair: the question a decision answers and the key a grant has.
Target = tuple[str, ResourcePath]


class PermissionBase(DeclarativeBase):
    pass


class GrantRow(PermissionBase):
    __tablename__ = "permission_grants"
    __table_args__ = (
        # Unique per (tenant, subject, resource), and the index Check reads: a Check looks up
        # at most three exact keys. '' marks an unset level (NULLs never collide in an index).
        PrimaryKeyConstraint(
            "tenant_id",
            "subject_id",
            "workspace_id",
            "base_id",
            "table_id",
            name="pk_permission_grants",
        ),
        # ListGrants by resource; by subject it uses the primary key's prefix.
        Index("ix_permission_grants_resource", "tenant_id", "workspace_id", "base_id", "table_id"),
    )

    tenant_id: Mapped[str] = mapped_column(String(17))
    subject_id: Mapped[str] = mapped_column(String(17))
    workspace_id: Mapped[str] = mapped_column(String(17))
    base_id: Mapped[str] = mapped_column(String(17))
    table_id: Mapped[str] = mapped_column(String(17))
    role: Mapped[int] = mapped_column(SmallInteger)
    granted_by: Mapped[str] = mapped_column(String(17))
    granted_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())


def _at(subject_id: str, path: ResourcePath) -> Any:
    return and_(
        GrantRow.subject_id == subject_id,
        GrantRow.workspace_id == path.workspace_id,
        GrantRow.base_id == path.base_id,
        GrantRow.table_id == path.table_id,
    )


async def strongest_roles(
    session: AsyncSession, tenant_id: str, targets: Iterable[Target]
) -> dict[Target, int]:
    """The strongest role on each target's path (0 for none), in one indexed query.

    Per (subject, workspace) it reads the grants whose base and table are on one of the
    paths: equality on the primary key's first three columns, then a few ids for the last
    two. It may read a grant on no path (another target's base with this one's table); only
    grants on a target's exact path count for it.
    """
    targets = list(targets)
    groups: dict[tuple[str, str], tuple[set[str], set[str]]] = {}
    for subject, path in targets:
        bases, tables = groups.setdefault((subject, path.workspace_id), ({""}, {""}))
        bases.add(path.base_id)
        tables.add(path.table_id)
    rows = await session.execute(
        select(
            GrantRow.subject_id,
            GrantRow.workspace_id,
            GrantRow.base_id,
            GrantRow.table_id,
            GrantRow.role,
        ).where(
            GrantRow.tenant_id == tenant_id,
            or_(
                *(
                    and_(
                        GrantRow.subject_id == subject,
                        GrantRow.workspace_id == workspace_id,
                        GrantRow.base_id.in_(sorted(bases)),
                        GrantRow.table_id.in_(sorted(tables)),
                    )
                    for (subject, workspace_id), (bases, tables) in groups.items()
                )
            ),
        )
    )
    found = {(s, ResourcePath(w, b, t)): role for s, w, b, t, role in rows}
    return {
        (subject, path): max((found.get((subject, lv), 0) for lv in path.levels()), default=0)
        for subject, path in targets
    }


async def upsert_grant(session: AsyncSession, grant: GrantRow) -> None:
    """Insert the grant, or replace the role, grantor and time of the one already there."""
    dialect = session.get_bind().dialect.name
    insert = sqlite.insert if dialect == "sqlite" else postgresql.insert
    values = {column.name: getattr(grant, column.name) for column in GrantRow.__table__.columns}
    statement = insert(GrantRow).values(values)
    await session.execute(
        statement.on_conflict_do_update(
            index_elements=[column.name for column in GrantRow.__table__.primary_key],
            set_={
                "role": statement.excluded.role,
                "granted_by": statement.excluded.granted_by,
                "granted_at": statement.excluded.granted_at,
            },
        )
    )


async def delete_grant(
    session: AsyncSession, tenant_id: str, subject_id: str, path: ResourcePath
) -> bool:
    """Delete the grant on exactly `path`; whether there was one."""
    result = await session.execute(
        delete(GrantRow).where(GrantRow.tenant_id == tenant_id, _at(subject_id, path)),
        execution_options={"synchronize_session": False},
    )
    return cast("CursorResult[Any]", result).rowcount > 0


async def list_grants(
    session: AsyncSession,
    tenant_id: str,
    *,
    subject_id: str | None = None,
    path: ResourcePath | None = None,
) -> Sequence[GrantRow]:
    """Grants in the tenant on exactly `path` and/or of `subject_id`, in a stable order."""
    query = select(GrantRow).where(GrantRow.tenant_id == tenant_id)
    if subject_id is not None:
        query = query.where(GrantRow.subject_id == subject_id)
    if path is not None:
        query = query.where(
            GrantRow.workspace_id == path.workspace_id,
            GrantRow.base_id == path.base_id,
            GrantRow.table_id == path.table_id,
        )
    query = query.order_by(
        GrantRow.workspace_id, GrantRow.base_id, GrantRow.table_id, GrantRow.subject_id
    )
    return (await session.execute(query)).scalars().all()
