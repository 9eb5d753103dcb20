"""auth-service's gRPC surface: Register, Login and VerifyToken."""

from __future__ import annotations

import datetime as dt
import logging
from typing import Any

import grpc
from pyat.auth.v1 import auth_pb2, auth_pb2_grpc
from pyat.events.v1 import events_pb2
from pyat.user.v1 import user_pb2, user_pb2_grpc
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from services.auth import accounts
from services.auth.storage import Credential, RefreshToken, credential_by_email
from services.auth.tokens import TokenIssuer, load_signing_key
from services.shared.clients import translate
from services.shared.db import utcnow
from services.shared.errors import AlreadyExists, InvalidArgument, Unauthenticated
from services.shared.identity import Caller, act_as
from services.shared.ids import new_id
from services.shared.outbox import add_event
from services.shared.protos import timestamp
from services.shared.runtime import Runtime

log = logging.getLogger("pyat.auth")

Context = grpc.aio.ServicerContext[Any, Any]


class AuthServicer(auth_pb2_grpc.AuthServiceServicer):
    def __init__(self, runtime: Runtime) -> None:
        settings = runtime.settings
        self.runtime = runtime
        self.tokens = TokenIssuer(
            load_signing_key(settings), settings.access_token_ttl_s, settings.refresh_token_ttl_s
        )
        self.users = user_pb2_grpc.UserServiceStub(runtime.clients.channel("user"))

    async def Register(
        self, request: auth_pb2.RegisterRequest, context: Context
    ) -> auth_pb2.RegisterResponse:
        email = accounts.normalize_email(request.email)
        name = accounts.normalize_name(request.name, email)
        accounts.check_password_policy(request.password, email)
        password_hash = await accounts.hash_password(request.password)

        now = utcnow()
        credential = Credential(
            user_id=new_id("usr"),
            tenant_id=new_id("ten"),
            email=email,
            password_hash=password_hash,
            created_at=now,
            updated_at=now,
        )
        taken = AlreadyExists("an account with this email already exists", reason="EMAIL_TAKEN")
        try:
            async with self.runtime.db.transaction() as session:
                if await credential_by_email(session, email) is not None:
                    raise taken
                session.add(credential)
                await session.flush()
                tokens = await self._sign_in(session, credential, now)
                add_event(
                    session,
                    events_pb2.UserRegistered(
                        user_id=credential.user_id,
                        tenant_id=credential.tenant_id,
                        email=email,
                        name=name,
                    ),
                    tenant_id=credential.tenant_id,
                    source="auth",
                )
        except IntegrityError:
            raise taken from None  # a concurrent registration won the race for this email
        self.runtime.outbox.notify()

        act_as(Caller(user_id=credential.user_id, tenant_id=credential.tenant_id))
        user = await self._create_profile(credential, name)
        return auth_pb2.RegisterResponse(user=user, **tokens)

    async def Login(
        self, request: auth_pb2.LoginRequest, context: Context
    ) -> auth_pb2.LoginResponse:
        missing = {
            field: "is required" for field in ("email", "password") if not getattr(request, field)
        }
        if missing:
            raise InvalidArgument("email and password are required", fields=missing)
        email = request.email.strip().lower()
        async with self.runtime.db.read() as session:
            credential = await credential_by_email(session, email)
        # Verify against a dummy hash for unknown emails, so timing doesn't reveal accounts.
        stored_hash = credential.password_hash if credential else accounts.dummy_hash()
        password_ok = await accounts.verify_password(stored_hash, request.password)
        if credential is None or not password_ok:
            raise Unauthenticated("invalid email or password", reason="INVALID_CREDENTIALS")

        now = utcnow()
        async with self.runtime.db.transaction() as session:
            if accounts.needs_rehash(credential.password_hash):
                credential.password_hash = await accounts.hash_password(request.password)
                credential.updated_at = now
                await session.merge(credential)
            tokens = await self._sign_in(session, credential, now)

        act_as(Caller(user_id=credential.user_id, tenant_id=credential.tenant_id))
        try:
            profile = await self.users.GetMe(user_pb2.GetMeRequest())
        except grpc.aio.AioRpcError as err:
            raise translate("user-service", err) from None
        return auth_pb2.LoginResponse(user=profile.user, **tokens)

    async def VerifyToken(
        self, request: auth_pb2.VerifyTokenRequest, context: Context
    ) -> auth_pb2.VerifyTokenResponse:
        if not request.token:
            raise Unauthenticated("token is missing", reason="TOKEN_MISSING")
        claims = self.tokens.verify(request.token)
        return auth_pb2.VerifyTokenResponse(
            user_id=claims.user_id,
            tenant_id=claims.tenant_id,
            email=claims.email,
            scopes=claims.scopes,
            expires_at=timestamp(claims.expires_at),
        )

    async def _sign_in(
        self, session: AsyncSession, credential: Credential, now: dt.datetime
    ) -> dict[str, Any]:
        """A new access token and a new refresh token family, as response fields."""
        access, access_expires = self.tokens.access_token(
            user_id=credential.user_id,
            tenant_id=credential.tenant_id,
            email=credential.email,
            now=now,
        )
        refresh, refresh_hash, refresh_expires = self.tokens.refresh_token(now)
        token_id = new_id("rtk")
        session.add(
            RefreshToken(
                id=token_id,
                user_id=credential.user_id,
                tenant_id=credential.tenant_id,
                token_hash=refresh_hash,
                family_id=token_id,
                created_at=now,
                expires_at=refresh_expires,
            )
        )
        return {
            "access_token": access,
            "token_type": "Bearer",
            "access_token_expires_at": timestamp(access_expires),
            "refresh_token": refresh,
            "refresh_token_expires_at": timestamp(refresh_expires),
        }

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
            if err.code() not in (grpc.StatusCode.UNAVAILABLE, grpc.StatusCode.DEADLINE_EXCEEDED):
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
