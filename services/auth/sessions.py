"""Sessions: a sign-in starts one; refresh tokens rotate inside it; logout or reuse ends it.

A session is a family of refresh tokens sharing `family_id`, which access tokens carry as
`sid`. Whether a session is still live is kept in the shared cache (services/shared/
access_tokens.py), which the edge reads too: VerifyToken and the edge's check are one cache read.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from pyat.events.v1 import events_pb2
from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from services.auth.storage import Credential, RefreshToken
from services.auth.tokens import TokenIssuer, hash_secret
from services.shared.access_tokens import SESSION_ENDED, SESSION_LIVE, session_key
from services.shared.cache import Cache
from services.shared.db import Database, locked_for_update
from services.shared.errors import Unauthenticated
from services.shared.ids import new_id
from services.shared.outbox import add_event

# A live answer may be this stale on a replica that missed the revocation event.
_LIVE_TTL_S = 30.0


@dataclass(frozen=True)
class IssuedTokens:
    session_id: str
    access_token: str
    access_expires_at: dt.datetime
    refresh_token: str
    refresh_expires_at: dt.datetime


class Sessions:
    def __init__(self, db: Database, cache: Cache, tokens: TokenIssuer) -> None:
        self.db = db
        self.cache = cache
        self.tokens = tokens

    def issue(
        self,
        session: AsyncSession,
        credential: Credential,
        now: dt.datetime,
        session_id: str | None = None,
    ) -> IssuedTokens:
        """New access and refresh tokens, in a new session unless `session_id` continues one."""
        token_id = new_id("rtk")
        family = session_id or token_id
        refresh, refresh_hash, refresh_expires = self.tokens.refresh_token(now)
        session.add(
            RefreshToken(
                id=token_id,
                user_id=credential.user_id,
                tenant_id=credential.tenant_id,
                token_hash=refresh_hash,
                family_id=family,
                created_at=now,
                expires_at=refresh_expires,
            )
        )
        access, access_expires = self.tokens.access_token(
            user_id=credential.user_id,
            tenant_id=credential.tenant_id,
            email=credential.email,
            session_id=family,
            now=now,
        )
        return IssuedTokens(family, access, access_expires, refresh, refresh_expires)

    async def rotate(self, refresh_token: str, now: dt.datetime) -> tuple[Credential, IssuedTokens]:
        """Exchange a refresh token for new tokens in the same session.

        A token that was already exchanged is being replayed, by its owner or by a thief: the
        whole session ends, so whoever holds the newer tokens is signed out too.
        """
        invalid = Unauthenticated("refresh token is invalid or expired", reason="TOKEN_INVALID")
        async with self.db.transaction() as session:
            row = (
                await session.execute(
                    locked_for_update(
                        select(RefreshToken).where(
                            RefreshToken.token_hash == hash_secret(refresh_token)
                        )
                    )
                )
            ).scalar_one_or_none()
            if row is None or row.revoked_at is not None or row.expires_at <= now:
                raise invalid
            if row.used_at is None:
                credential = await session.get(Credential, row.user_id)
                if credential is None:
                    raise invalid
                row.used_at = now
                return credential, self.issue(session, credential, now, row.family_id)
            reused = row
        await self.end([reused.family_id], now, user_id=reused.user_id, tenant_id=reused.tenant_id)
        raise Unauthenticated(
            "refresh token was already used; the session has been ended", reason="TOKEN_REUSED"
        )

    async def end(
        self, session_ids: list[str], now: dt.datetime, *, user_id: str, tenant_id: str
    ) -> None:
        """End a user's sessions: their refresh tokens stop working and their access tokens too.

        Other replicas hear of it through SessionsRevoked and drop what they cached.
        """
        if not session_ids:
            return
        async with self.db.transaction() as session:
            await session.execute(
                update(RefreshToken)
                .where(
                    RefreshToken.family_id.in_(session_ids),
                    RefreshToken.user_id == user_id,
                    RefreshToken.revoked_at.is_(None),
                )
                .values(revoked_at=now)
            )
            add_event(
                session,
                events_pb2.SessionsRevoked(
                    user_id=user_id, tenant_id=tenant_id, session_ids=session_ids
                ),
                tenant_id=tenant_id,
                source="auth",
            )
        await self.forget(session_ids)

    async def forget(self, session_ids: list[str]) -> None:
        """Mark sessions ended in the cache for as long as any of their access tokens lives."""
        ttl = self.tokens.access_ttl.total_seconds()
        for session_id in session_ids:
            await self.cache.set(session_key(session_id), SESSION_ENDED, ttl)

    async def live_sessions(self, user_id: str, now: dt.datetime) -> list[str]:
        async with self.db.read() as session:
            rows = await session.execute(
                select(RefreshToken.family_id)
                .where(
                    RefreshToken.user_id == user_id,
                    RefreshToken.revoked_at.is_(None),
                    RefreshToken.expires_at > now,
                )
                .distinct()
            )
        return list(rows.scalars())

    async def is_live(self, session_id: str, now: dt.datetime) -> bool:
        cached = await self.cache.get(session_key(session_id))
        if cached is not None:
            return cached == SESSION_LIVE
        async with self.db.read() as session:
            live = (
                await session.execute(
                    select(RefreshToken.id)
                    .where(RefreshToken.family_id == session_id, RefreshToken.revoked_at.is_(None))
                    .limit(1)
                )
            ).first() is not None
        if live:
            await self.cache.set(session_key(session_id), SESSION_LIVE, _LIVE_TTL_S)
        else:
            await self.forget([session_id])
        return live
