"""Stored rows as the contract's messages."""

from __future__ import annotations

from typing import cast

from pyat.permission.v1 import permission_pb2
from pyat.workspace.v1 import workspace_pb2

from services.shared.protos import timestamp
from services.workspace.storage import BaseEntry, Invitation, Workspace


def workspace(row: Workspace, my_role: permission_pb2.Role) -> workspace_pb2.Workspace:
    return workspace_pb2.Workspace(
        id=row.id,
        tenant_id=row.tenant_id,
        name=row.name,
        created_by=row.created_by,
        created_at=timestamp(row.created_at),
        my_role=my_role,
    )


def base(row: BaseEntry, my_role: permission_pb2.Role) -> workspace_pb2.Base:
    return workspace_pb2.Base(
        id=row.id,
        tenant_id=row.tenant_id,
        workspace_id=row.workspace_id,
        name=row.name,
        created_by=row.created_by,
        created_at=timestamp(row.created_at),
        my_role=my_role,
    )


def member(grant: permission_pb2.Grant) -> workspace_pb2.Member:
    return workspace_pb2.Member(
        user_id=grant.subject_id, role=grant.role, granted_at=grant.granted_at
    )


def invitation(row: Invitation, workspace_name: str) -> workspace_pb2.Invitation:
    return workspace_pb2.Invitation(
        id=row.id,
        workspace_id=row.workspace_id,
        email=row.email,
        role=cast("permission_pb2.Role", row.role),
        invited_by=row.invited_by,
        created_at=timestamp(row.created_at),
        expires_at=timestamp(row.expires_at),
        workspace_name=workspace_name,
    )
