"""Changing grants: each change commits with its GrantChanged event, then invalidates decisions."""

from __future__ import annotations

from pyat.events.v1 import events_pb2

from services.permission.decisions import Decisions
from services.permission.roles import ResourcePath, role_name
from services.permission.storage import GrantRow, delete_grant, upsert_grant
from services.shared.db import utcnow
from services.shared.outbox import add_event
from services.shared.runtime import Runtime

SOURCE = "permission"


def _changed(
    tenant_id: str, subject_id: str, path: ResourcePath, role: str
) -> events_pb2.GrantChanged:
    return events_pb2.GrantChanged(
        tenant_id=tenant_id,
        subject_id=subject_id,
        workspace_id=path.workspace_id,
        base_id=path.base_id,
        table_id=path.table_id,
        role=role,
    )


async def grant(
    runtime: Runtime,
    decisions: Decisions,
    *,
    tenant_id: str,
    subject_id: str,
    path: ResourcePath,
    role: int,
    granted_by: str,
) -> GrantRow:
    """Give the subject `role` on exactly `path`, replacing the role it had there."""
    row = GrantRow(
        tenant_id=tenant_id,
        subject_id=subject_id,
        workspace_id=path.workspace_id,
        base_id=path.base_id,
        table_id=path.table_id,
        role=role,
        granted_by=granted_by,
        granted_at=utcnow(),
    )
    async with runtime.db.transaction() as session:
        await upsert_grant(session, row)
        add_event(
            session,
            _changed(tenant_id, subject_id, path, role_name(role)),
            tenant_id=tenant_id,
            source=SOURCE,
        )
    runtime.outbox.notify()
    await decisions.invalidate(tenant_id, subject_id)
    return row


async def revoke(
    runtime: Runtime, decisions: Decisions, *, tenant_id: str, subject_id: str, path: ResourcePath
) -> bool:
    """Remove the subject's grant on exactly `path`; whether there was one."""
    async with runtime.db.transaction() as session:
        revoked = await delete_grant(session, tenant_id, subject_id, path)
        if revoked:
            add_event(
                session,
                _changed(tenant_id, subject_id, path, ""),
                tenant_id=tenant_id,
                source=SOURCE,
            )
    if revoked:
        runtime.outbox.notify()
        await decisions.invalidate(tenant_id, subject_id)
    return revoked
