"""Registration: the saga that turns an email and a password into a signed-in account.

The credential, the first session and a UserRegistered event commit together; then the
tenant (unless an invitation joined an existing one) and the profile are created at once, so
the caller can use them straight away. If tenant-service or user-service is unavailable then,
nothing is undone: their handlers of UserRegistered, relayed from the outbox, finish the job.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

import grpc
from pyat.events.v1 import events_pb2
from pyat.tenant.v1 import tenant_pb2, tenant_pb2_grpc
from pyat.user.v1 import user_pb2, user_pb2_grpc
from sqlalchemy.exc import IntegrityError

from services.auth import accounts
from services.auth.sessions import IssuedTokens, Sessions
from services.auth.storage import Credential, credential_by_email
from services.shared.clients import Clients, translate
from services.shared.db import Database, utcnow
from services.shared.emails import normalize_email
from services.shared.errors import AlreadyExists
from services.shared.identity import Caller, act_as
from services.shared.ids import new_id
from services.shared.outbox import OutboxRelay, add_event
from services.shared.protos import timestamp

log = logging.getLogger("pyat.auth")

_RETRYABLE = (grpc.StatusCode.UNAVAILABLE, grpc.StatusCode.DEADLINE_EXCEEDED)


@dataclass(frozen=True)
class Registered:
    user: user_pb2.User
    tokens: IssuedTokens


class Registration:
    def __init__(
        self, db: Database, outbox: OutboxRelay, sessions: Sessions, clients: Clients
    ) -> None:
        self.db = db
        self.outbox = outbox
        self.sessions = sessions
        self.users = user_pb2_grpc.UserServiceStub(clients.channel("user"))
        self.tenants = tenant_pb2_grpc.TenantServiceStub(clients.channel("tenant"))

    async def register(
        self, *, email: str, password: str, name: str, invitation_token: str = ""
    ) -> Registered:
        """A new account, signed in: in a new tenant, or in the one `invitation_token` is for."""
        email = normalize_email(email)
        name = accounts.normalize_name(name, email)
        accounts.check_password_policy(password, email)
        taken = AlreadyExists("an account with this email already exists", reason="EMAIL_TAKEN")
        async with self.db.read() as session:
            if await credential_by_email(session, email) is not None:
                raise taken  # before an invitation is spent on it
        password_hash = await accounts.hash_password(password)

        user_id = new_id("usr")
        joining = bool(invitation_token)
        tenant_id = (
            await self._claim_invitation(invitation_token, email, user_id)
            if joining
            else new_id("ten")
        )
        now = utcnow()
        credential = Credential(
            user_id=user_id,
            tenant_id=tenant_id,
            email=email,
            password_hash=password_hash,
            created_at=now,
            updated_at=now,
        )
        try:
            async with self.db.transaction() as session:
                session.add(credential)
                await session.flush()
                issued = self.sessions.issue(session, credential, now)
                registered = events_pb2.UserRegistered(
                    user_id=user_id, tenant_id=tenant_id, email=email, name=name
                )
                add_event(session, registered, tenant_id=tenant_id, source="auth")
        except IntegrityError:
            raise taken from None  # a concurrent registration won the race for this email
        self.outbox.notify()

        act_as(Caller(user_id=user_id, tenant_id=tenant_id))
        if not joining:
            await self._create_tenant(tenant_id, name, user_id)
        user = await self._create_profile(credential, name)
        return Registered(user=user, tokens=issued)

    async def _claim_invitation(self, token: str, email: str, user_id: str) -> str:
        """Spend an invitation to join its tenant; the tenant id it was for."""
        # Nobody is signed in yet: auth-service asks as itself, for the new user.
        act_as(Caller.service("auth", user_id=user_id))
        try:
            claimed = await self.tenants.ClaimInvitation(
                tenant_pb2.ClaimInvitationRequest(token=token, email=email, user_id=user_id)
            )
        except grpc.aio.AioRpcError as err:
            raise translate("tenant-service", err) from None
        return claimed.tenant_id

    async def _create_tenant(self, tenant_id: str, name: str, owner_id: str) -> None:
        """Create the new user's tenant now; if tenant-service is down, UserRegistered does."""
        request = tenant_pb2.CreateTenantRequest(
            tenant_id=tenant_id, name=f"{name}'s team", owner_user_id=owner_id
        )
        try:
            await self.tenants.CreateTenant(request)
        except grpc.aio.AioRpcError as err:
            if err.code() not in _RETRYABLE:
                raise translate("tenant-service", err) from None
            log.warning("tenant-service unavailable; the tenant follows by event", exc_info=True)

    async def _create_profile(self, credential: Credential, name: str) -> user_pb2.User:
        """Create the profile now, so the caller can read it at once. If user-service is down,
        the UserRegistered event in the outbox creates it when it is back."""
        request = user_pb2.CreateUserRequest(
            user_id=credential.user_id,
            tenant_id=credential.tenant_id,
            email=credential.email,
            name=name,
        )
        try:
            return (await self.users.CreateUser(request)).user
        except grpc.aio.AioRpcError as err:
            if err.code() not in _RETRYABLE:
                raise translate("user-service", err) from None
            log.warning("user-service unavailable; the profile follows by event", exc_info=True)
            return user_pb2.User(
                id=credential.user_id,
                tenant_id=credential.tenant_id,
                email=credential.email,
                name=name,
                created_at=timestamp(credential.created_at),
                updated_at=timestamp(credential.updated_at),
            )
