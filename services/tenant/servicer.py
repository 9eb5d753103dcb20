"""tenant-service's gRPC surface: tenants, quotas and usage, members and invitations."""

from __future__ import annotations

from pyat.tenant.v1 import tenant_pb2, tenant_pb2_grpc
from sqlalchemy.ext.asyncio import AsyncSession

from services.shared import identity
from services.shared.db import utcnow
from services.shared.errors import PermissionDenied
from services.shared.protos import timestamp
from services.shared.runtime import Context, Runtime
from services.tenant import invitations, quotas, tenants
from services.tenant.plans import PLANS, plan_named
from services.tenant.storage import Invitation, Member, Tenant


async def tenant_message(session: AsyncSession, tenant: Tenant) -> tenant_pb2.Tenant:
    """The tenant with its plan's limits and the current use of each quota."""
    plan = plan_named(tenant.plan)
    spec = PLANS[plan]
    usage = await quotas.usage_by_kind(session, tenant.id, utcnow())
    return tenant_pb2.Tenant(
        id=tenant.id,
        name=tenant.name,
        plan=plan,
        owner_user_id=tenant.owner_user_id,
        quotas=[
            tenant_pb2.Quota(kind=kind, limit=spec.limit(kind), used=used)
            for kind, used in usage.items()
        ],
        requests_per_second=spec.requests_per_second,
        requests_per_second_per_base=spec.requests_per_second_per_base,
        created_at=timestamp(tenant.created_at),
    )


def member_message(member: Member) -> tenant_pb2.Member:
    return tenant_pb2.Member(
        user_id=member.user_id,
        role=tenants.ROLE_VALUES[member.role],
        joined_at=timestamp(member.joined_at),
    )


def invitation_message(invitation: Invitation) -> tenant_pb2.Invitation:
    return tenant_pb2.Invitation(
        id=invitation.id,
        email=invitation.email,
        role=tenants.ROLE_VALUES[invitation.role],
        invited_by=invitation.invited_by,
        created_at=timestamp(invitation.created_at),
        expires_at=timestamp(invitation.expires_at),
    )


class TenantServicer(tenant_pb2_grpc.TenantServiceServicer):
    def __init__(self, runtime: Runtime) -> None:
        self.runtime = runtime
        self.db = runtime.db

    async def CreateTenant(
        self, request: tenant_pb2.CreateTenantRequest, context: Context
    ) -> tenant_pb2.CreateTenantResponse:
        caller = identity.caller()
        name = tenants.check_new_tenant(
            tenant_id=request.tenant_id,
            owner_user_id=request.owner_user_id,
            name=request.name,
            plan=request.plan,
        )
        # Only on behalf of the new owner itself, i.e. by auth-service right after Register.
        if (caller.tenant_id, caller.user_id) != (request.tenant_id, request.owner_user_id):
            raise PermissionDenied("a tenant can only be created by its own new owner")
        tenant, created = await tenants.create_tenant(
            self.db,
            tenant_id=request.tenant_id,
            owner_user_id=request.owner_user_id,
            name=name,
            plan=request.plan,
        )
        if created:
            self.runtime.outbox.notify()
        async with self.db.read() as session:
            message = await tenant_message(session, tenant)
        return tenant_pb2.CreateTenantResponse(tenant=message, created=created)

    async def GetMyTenant(
        self, request: tenant_pb2.GetMyTenantRequest, context: Context
    ) -> tenant_pb2.GetMyTenantResponse:
        caller = identity.caller()
        async with self.db.read() as session:
            tenant, _ = await tenants.membership(session, caller)
            return tenant_pb2.GetMyTenantResponse(tenant=await tenant_message(session, tenant))

    async def UpdateTenant(
        self, request: tenant_pb2.UpdateTenantRequest, context: Context
    ) -> tenant_pb2.UpdateTenantResponse:
        caller = identity.caller()
        tenant = await tenants.update_tenant(self.db, caller, name=request.name, plan=request.plan)
        self.runtime.outbox.notify()
        async with self.db.read() as session:
            return tenant_pb2.UpdateTenantResponse(tenant=await tenant_message(session, tenant))

    async def CheckQuota(
        self, request: tenant_pb2.CheckQuotaRequest, context: Context
    ) -> tenant_pb2.CheckQuotaResponse:
        caller = identity.caller()
        allowed, limit, used = await quotas.check_quota(
            self.db, caller, request.kind, request.amount, request.scope
        )
        return tenant_pb2.CheckQuotaResponse(allowed=allowed, limit=limit, used=used)

    async def RecordUsage(
        self, request: tenant_pb2.RecordUsageRequest, context: Context
    ) -> tenant_pb2.RecordUsageResponse:
        caller = identity.caller()
        async with self.db.read() as session:
            tenant, _ = await tenants.membership(session, caller)
        used = await quotas.record_usage(
            self.db, tenant.id, request.kind, request.delta, request.scope, request.idempotency_key
        )
        return tenant_pb2.RecordUsageResponse(used=used)

    async def ListMembers(
        self, request: tenant_pb2.ListMembersRequest, context: Context
    ) -> tenant_pb2.ListMembersResponse:
        caller = identity.caller()
        async with self.db.read() as session:
            tenant, _ = await tenants.membership(session, caller)
            members = await tenants.list_members(session, tenant.id)
        return tenant_pb2.ListMembersResponse(members=[member_message(m) for m in members])

    async def CreateInvitation(
        self, request: tenant_pb2.CreateInvitationRequest, context: Context
    ) -> tenant_pb2.CreateInvitationResponse:
        caller = identity.caller()
        invitation, token = await invitations.create_invitation(
            self.db, caller, email=request.email, role=request.role
        )
        return tenant_pb2.CreateInvitationResponse(
            invitation=invitation_message(invitation), token=token
        )

    async def ListInvitations(
        self, request: tenant_pb2.ListInvitationsRequest, context: Context
    ) -> tenant_pb2.ListInvitationsResponse:
        caller = identity.caller()
        pending = await invitations.list_invitations(self.db, caller)
        return tenant_pb2.ListInvitationsResponse(
            invitations=[invitation_message(i) for i in pending]
        )

    async def RevokeInvitation(
        self, request: tenant_pb2.RevokeInvitationRequest, context: Context
    ) -> tenant_pb2.RevokeInvitationResponse:
        caller = identity.caller()
        await invitations.revoke_invitation(self.db, caller, request.invitation_id)
        return tenant_pb2.RevokeInvitationResponse()

    async def ClaimInvitation(
        self, request: tenant_pb2.ClaimInvitationRequest, context: Context
    ) -> tenant_pb2.ClaimInvitationResponse:
        # No authentication: the invitee has no identity yet, and the token is the secret.
        tenant_id, role = await invitations.claim_invitation(
            self.db, token=request.token, email=request.email, user_id=request.user_id
        )
        self.runtime.outbox.notify()
        return tenant_pb2.ClaimInvitationResponse(tenant_id=tenant_id, role=role)
