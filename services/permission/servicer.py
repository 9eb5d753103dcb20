"""permission-service's gRPC surface: Check and BatchCheck, and the internal grant RPCs."""

from __future__ import annotations

from typing import cast

from pyat.permission.v1 import permission_pb2 as pb
from pyat.permission.v1 import permission_pb2_grpc

from services.permission import grants
from services.permission.decisions import Decisions
from services.permission.roles import (
    ResourcePath,
    allows,
    check_action,
    check_role,
    check_subject,
    resource_path,
)
from services.permission.storage import GrantRow, Target, list_grants
from services.shared import identity
from services.shared.errors import InvalidArgument
from services.shared.identity import Caller
from services.shared.protos import timestamp
from services.shared.runtime import Context, Runtime

MAX_BATCH = 100


def _role(value: int) -> pb.Role:
    # Roles are plain ints here (stored, compared); the stubs want the enum type.
    return cast(pb.Role, value)


def to_message(row: GrantRow) -> pb.Grant:
    return pb.Grant(
        tenant_id=row.tenant_id,
        subject_id=row.subject_id,
        resource=pb.Resource(
            workspace_id=row.workspace_id, base_id=row.base_id, table_id=row.table_id
        ),
        role=_role(row.role),
        granted_at=timestamp(row.granted_at),
        granted_by=row.granted_by,
    )


def _subject(caller: Caller, subject_id: str, field: str, bad: dict[str, str]) -> str:
    """The subject a request names; empty means the caller itself."""
    if not subject_id:
        return caller.user_id
    check_subject(subject_id, field, bad)
    return subject_id


def _target(
    caller: Caller, check: pb.CheckRequest, prefix: str, bad: dict[str, str]
) -> Target | None:
    subject = _subject(caller, check.subject_id, f"{prefix}subject_id", bad)
    check_action(check.action, f"{prefix}action", bad)
    path = resource_path(check.resource, f"{prefix}resource", bad)
    return None if path is None else (subject, path)


class PermissionServicer(permission_pb2_grpc.PermissionServiceServicer):
    def __init__(self, runtime: Runtime) -> None:
        self.runtime = runtime
        self.decisions = Decisions(runtime.db, runtime.cache)

    async def Check(self, request: pb.CheckRequest, context: Context) -> pb.CheckResponse:
        caller = identity.caller()
        bad: dict[str, str] = {}
        target = _target(caller, request, "", bad)
        if bad or target is None:
            raise InvalidArgument("invalid check", fields=bad)
        (role,) = await self.decisions.roles(caller.tenant_id, [target])
        return pb.CheckResponse(allowed=allows(role, request.action), role=_role(role))

    async def BatchCheck(
        self, request: pb.BatchCheckRequest, context: Context
    ) -> pb.BatchCheckResponse:
        caller = identity.caller()
        if len(request.checks) > MAX_BATCH:
            raise InvalidArgument(
                f"at most {MAX_BATCH} checks per batch",
                fields={"checks": f"has {len(request.checks)} checks; at most {MAX_BATCH}"},
            )
        bad: dict[str, str] = {}
        targets = [
            _target(caller, check, f"checks[{i}].", bad) for i, check in enumerate(request.checks)
        ]
        if bad:
            raise InvalidArgument("invalid checks", fields=bad)
        # With nothing bad, every check has its target.
        valid = [target for target in targets if target is not None]
        roles = await self.decisions.roles(caller.tenant_id, valid)
        return pb.BatchCheckResponse(
            results=[
                pb.CheckResponse(allowed=allows(role, check.action), role=_role(role))
                for check, role in zip(request.checks, roles, strict=True)
            ]
        )

    async def Grant(self, request: pb.GrantRequest, context: Context) -> pb.GrantResponse:
        caller = identity.caller()
        bad: dict[str, str] = {}
        check_subject(request.subject_id, "subject_id", bad)
        path = resource_path(request.resource, "resource", bad)
        check_role(request.role, "role", bad)
        if bad or path is None:
            raise InvalidArgument("invalid grant", fields=bad)
        row = await grants.grant(
            self.runtime,
            self.decisions,
            tenant_id=caller.tenant_id,
            subject_id=request.subject_id,
            path=path,
            role=request.role,
            granted_by=caller.user_id,
        )
        return pb.GrantResponse(grant=to_message(row))

    async def Revoke(self, request: pb.RevokeRequest, context: Context) -> pb.RevokeResponse:
        caller = identity.caller()
        bad: dict[str, str] = {}
        check_subject(request.subject_id, "subject_id", bad)
        path = resource_path(request.resource, "resource", bad)
        if bad or path is None:
            raise InvalidArgument("invalid revoke", fields=bad)
        revoked = await grants.revoke(
            self.runtime,
            self.decisions,
            tenant_id=caller.tenant_id,
            subject_id=request.subject_id,
            path=path,
        )
        return pb.RevokeResponse(revoked=revoked)

    async def ListGrants(
        self, request: pb.ListGrantsRequest, context: Context
    ) -> pb.ListGrantsResponse:
        caller = identity.caller()
        bad: dict[str, str] = {}
        path: ResourcePath | None = None
        if request.HasField("resource"):
            path = resource_path(request.resource, "resource", bad)
        if request.subject_id:
            check_subject(request.subject_id, "subject_id", bad)
        elif not request.HasField("resource"):
            bad["resource"] = "resource or subject_id is required"
        if bad:
            raise InvalidArgument("invalid grant listing", fields=bad)
        async with self.runtime.db.read() as session:
            rows = await list_grants(
                session, caller.tenant_id, subject_id=request.subject_id or None, path=path
            )
        return pb.ListGrantsResponse(grants=[to_message(row) for row in rows])
