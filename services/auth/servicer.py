"""auth-service's gRPC surface: accounts, sessions, personal access tokens and verification."""

from __future__ import annotations

from typing import Any

import grpc
from pyat.auth.v1 import auth_pb2, auth_pb2_grpc
from pyat.events.v1 import events_pb2
from pyat.user.v1 import user_pb2, user_pb2_grpc

from services.auth import accounts
from services.auth.client_address import client_address
from services.auth.lockout import Lockout
from services.auth.personal_tokens import PersonalTokens, looks_like_personal_token
from services.auth.registration import Registration
from services.auth.sessions import IssuedTokens, Sessions
from services.auth.storage import Credential, PersonalToken, credential_by_email
from services.auth.tokens import TokenIssuer, load_signing_key
from services.shared import identity
from services.shared.clients import translate
from services.shared.db import utcnow
from services.shared.emails import is_email
from services.shared.errors import InvalidArgument, Unauthenticated
from services.shared.identity import Caller, act_as, bearer_token
from services.shared.outbox import add_event
from services.shared.protos import timestamp
from services.shared.runtime import Context, Runtime


def _token_fields(issued: IssuedTokens) -> dict[str, Any]:
    return {
        "access_token": issued.access_token,
        "token_type": "Bearer",
        "access_token_expires_at": timestamp(issued.access_expires_at),
        "refresh_token": issued.refresh_token,
        "refresh_token_expires_at": timestamp(issued.refresh_expires_at),
    }


def _personal_token_message(row: PersonalToken) -> auth_pb2.PersonalAccessToken:
    return auth_pb2.PersonalAccessToken(
        id=row.id,
        name=row.name,
        scopes=row.scopes.split(),
        base_ids=row.base_ids.split(),
        created_at=timestamp(row.created_at),
        expires_at=timestamp(row.expires_at) if row.expires_at else None,
        last_used_at=timestamp(row.last_used_at) if row.last_used_at else None,
    )


class AuthServicer(auth_pb2_grpc.AuthServiceServicer):
    def __init__(self, runtime: Runtime) -> None:
        settings = runtime.settings
        self.runtime = runtime
        self.tokens = TokenIssuer(
            load_signing_key(settings), settings.access_token_ttl_s, settings.refresh_token_ttl_s
        )
        self.sessions = Sessions(runtime.db, runtime.cache, self.tokens)
        self.personal_tokens = PersonalTokens(runtime.db, runtime.cache)
        self.lockout = Lockout(runtime.cache)
        self.users = user_pb2_grpc.UserServiceStub(runtime.clients.channel("user"))
        self.registration = Registration(runtime.db, runtime.outbox, self.sessions, runtime.clients)

    async def Register(
        self, request: auth_pb2.RegisterRequest, context: Context
    ) -> auth_pb2.RegisterResponse:
        registered = await self.registration.register(
            email=request.email,
            password=request.password,
            name=request.name,
            invitation_token=request.invitation_token,
        )
        return auth_pb2.RegisterResponse(user=registered.user, **_token_fields(registered.tokens))

    async def Login(
        self, request: auth_pb2.LoginRequest, context: Context
    ) -> auth_pb2.LoginResponse:
        missing = {
            field: "is required" for field in ("email", "password") if not getattr(request, field)
        }
        if missing:
            raise InvalidArgument("email and password are required", fields=missing)
        email = request.email.strip().lower()
        if not is_email(email):
            raise Unauthenticated("invalid email or password", reason="INVALID_CREDENTIALS")
        address = client_address(context.invocation_metadata() or (), context.peer())
        await self.lockout.check(email, address)
        async with self.runtime.db.read() as session:
            credential = await credential_by_email(session, email)
        # Verify against a dummy hash for unknown emails, so timing doesn't reveal accounts.
        stored_hash = credential.password_hash if credential else accounts.dummy_hash()
        password_ok = await accounts.verify_password(stored_hash, request.password)
        if credential is None or not password_ok:
            await self.lockout.failed(email, address)
            raise Unauthenticated("invalid email or password", reason="INVALID_CREDENTIALS")
        await self.lockout.succeeded(email, address)

        now = utcnow()
        async with self.runtime.db.transaction() as session:
            if accounts.needs_rehash(credential.password_hash):
                credential.password_hash = await accounts.hash_password(request.password)
                credential.updated_at = now
                await session.merge(credential)
            issued = self.sessions.issue(session, credential, now)
            signed_in = events_pb2.UserSignedIn(
                user_id=credential.user_id, tenant_id=credential.tenant_id, method="password"
            )
            add_event(session, signed_in, tenant_id=credential.tenant_id, source="auth")
        self.runtime.outbox.notify()
        user = await self._profile_of(credential)
        return auth_pb2.LoginResponse(user=user, **_token_fields(issued))

    async def Refresh(
        self, request: auth_pb2.RefreshRequest, context: Context
    ) -> auth_pb2.RefreshResponse:
        if not request.refresh_token:
            raise InvalidArgument(
                "refresh_token is required", fields={"refresh_token": "is required"}
            )
        credential, issued = await self.sessions.rotate(request.refresh_token, utcnow())
        user = await self._profile_of(credential)
        return auth_pb2.RefreshResponse(user=user, **_token_fields(issued))

    async def Logout(
        self, request: auth_pb2.LogoutRequest, context: Context
    ) -> auth_pb2.LogoutResponse:
        # Sessions only (the method's access), so the bearer is this session's access token.
        claims = self.tokens.verify(bearer_token(context))
        await self.sessions.end(
            [claims.session_id], utcnow(), user_id=claims.user_id, tenant_id=claims.tenant_id
        )
        self.runtime.outbox.notify()
        return auth_pb2.LogoutResponse()

    async def RevokeAllSessions(
        self, request: auth_pb2.RevokeAllSessionsRequest, context: Context
    ) -> auth_pb2.RevokeAllSessionsResponse:
        caller = identity.caller()
        now = utcnow()
        session_ids = await self.sessions.live_sessions(caller.user_id, now)
        await self.sessions.end(
            session_ids, now, user_id=caller.user_id, tenant_id=caller.tenant_id
        )
        self.runtime.outbox.notify()
        return auth_pb2.RevokeAllSessionsResponse(revoked=len(session_ids))

    async def VerifyToken(
        self, request: auth_pb2.VerifyTokenRequest, context: Context
    ) -> auth_pb2.VerifyTokenResponse:
        if not request.token:
            raise Unauthenticated("token is missing", reason="TOKEN_MISSING")
        now = utcnow()
        if looks_like_personal_token(request.token):
            personal = await self.personal_tokens.verify(request.token, now)
            return auth_pb2.VerifyTokenResponse(
                user_id=personal.user_id,
                tenant_id=personal.tenant_id,
                scopes=personal.scopes,
                base_ids=personal.base_ids,
                kind=auth_pb2.TOKEN_KIND_PERSONAL,
                session_id=personal.token_id,
                expires_at=(
                    timestamp(personal.expires_at_datetime) if personal.expires_at else None
                ),
            )
        claims = self.tokens.verify(request.token)
        if not await self.sessions.is_live(claims.session_id, now):
            raise Unauthenticated("the session has ended; sign in again", reason="SESSION_ENDED")
        return auth_pb2.VerifyTokenResponse(
            user_id=claims.user_id,
            tenant_id=claims.tenant_id,
            email=claims.email,
            expires_at=timestamp(claims.expires_at),
            kind=auth_pb2.TOKEN_KIND_ACCESS,
            session_id=claims.session_id,
        )

    async def CreatePersonalAccessToken(
        self, request: auth_pb2.CreatePersonalAccessTokenRequest, context: Context
    ) -> auth_pb2.CreatePersonalAccessTokenResponse:
        caller = identity.caller()
        token, row = await self.personal_tokens.create(
            user_id=caller.user_id,
            tenant_id=caller.tenant_id,
            name=request.name,
            scopes=list(request.scopes),
            base_ids=list(request.base_ids),
            expires_in_days=request.expires_in_days,
            now=utcnow(),
        )
        return auth_pb2.CreatePersonalAccessTokenResponse(
            token=token, personal_access_token=_personal_token_message(row)
        )

    async def ListPersonalAccessTokens(
        self, request: auth_pb2.ListPersonalAccessTokensRequest, context: Context
    ) -> auth_pb2.ListPersonalAccessTokensResponse:
        caller = identity.caller()
        rows = await self.personal_tokens.of_user(caller.user_id, caller.tenant_id)
        return auth_pb2.ListPersonalAccessTokensResponse(
            personal_access_tokens=[_personal_token_message(row) for row in rows]
        )

    async def RevokePersonalAccessToken(
        self, request: auth_pb2.RevokePersonalAccessTokenRequest, context: Context
    ) -> auth_pb2.RevokePersonalAccessTokenResponse:
        caller = identity.caller()
        await self.personal_tokens.revoke(
            request.token_id, caller.user_id, caller.tenant_id, utcnow()
        )
        self.runtime.outbox.notify()
        return auth_pb2.RevokePersonalAccessTokenResponse()

    async def _profile_of(self, credential: Credential) -> user_pb2.User:
        act_as(Caller(user_id=credential.user_id, tenant_id=credential.tenant_id))
        try:
            return (await self.users.GetMe(user_pb2.GetMeRequest())).user
        except grpc.aio.AioRpcError as err:
            raise translate("user-service", err) from None
