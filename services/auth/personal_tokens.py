"""Personal access tokens, Airtable-style: `pat<14 chars>.<64 hex>`, shown once, stored hashed."""

from __future__ import annotations

import datetime as dt
import hmac
import json
import secrets
from dataclasses import asdict, dataclass

from pyat.events.v1 import events_pb2
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from services.auth.storage import PersonalToken
from services.auth.tokens import hash_secret
from services.shared.cache import Cache
from services.shared.db import Database
from services.shared.errors import InvalidArgument, NotFound, ResourceExhausted, Unauthenticated
from services.shared.ids import looks_like, new_id
from services.shared.outbox import add_event

SCOPES = frozenset(
    {
        "data.records:read",
        "data.records:write",
        "schema.bases:read",
        "schema.bases:write",
        "webhook:manage",
        "workspacesAndBases:read",
    }
)
MAX_TOKENS_PER_USER = 100
MAX_BASES = 100
MAX_LIFETIME_DAYS = 365
_CACHE_TTL_S = 60.0
# last_used_at is written at most this often per token, to keep the hot path read-only.
_LAST_USED_EVERY_S = 60.0


@dataclass(frozen=True)
class VerifiedToken:
    token_id: str
    user_id: str
    tenant_id: str
    scopes: tuple[str, ...]
    base_ids: tuple[str, ...]
    expires_at: float | None

    @property
    def expires_at_datetime(self) -> dt.datetime:
        assert self.expires_at is not None
        return dt.datetime.fromtimestamp(self.expires_at, dt.UTC)


def _key(token_id: str) -> str:
    return f"auth:pat:{token_id}"


def looks_like_personal_token(token: str) -> bool:
    return token.startswith("pat") and "." in token


def validate_request(
    name: str, scopes: list[str], base_ids: list[str], expires_in_days: int
) -> tuple[str, list[str], list[str]]:
    """The cleaned name, scopes and bases of a new token; INVALID_ARGUMENT for bad ones."""
    bad: dict[str, str] = {}
    cleaned_name = " ".join(name.split())
    if not 1 <= len(cleaned_name) <= 100:
        bad["name"] = "must be 1 to 100 characters"
    unknown = sorted(set(scopes) - SCOPES)
    if not scopes:
        bad["scopes"] = f"at least one of {', '.join(sorted(SCOPES))}"
    elif unknown:
        bad["scopes"] = f"unknown scope {unknown[0][:50]!r}; known: {', '.join(sorted(SCOPES))}"
    if len(base_ids) > MAX_BASES or any(not looks_like(b, "app") for b in base_ids):
        bad["base_ids"] = f"at most {MAX_BASES} base ids (app...)"
    if not 0 <= expires_in_days <= MAX_LIFETIME_DAYS:
        bad["expires_in_days"] = f"0 (never) to {MAX_LIFETIME_DAYS}"
    if bad:
        raise InvalidArgument("invalid personal access token request", fields=bad)
    return cleaned_name, sorted(set(scopes)), sorted(set(base_ids))


class PersonalTokens:
    def __init__(self, db: Database, cache: Cache) -> None:
        self.db = db
        self.cache = cache

    async def create(
        self,
        *,
        user_id: str,
        tenant_id: str,
        name: str,
        scopes: list[str],
        base_ids: list[str],
        expires_in_days: int,
        now: dt.datetime,
    ) -> tuple[str, PersonalToken]:
        name, scopes, base_ids = validate_request(name, scopes, base_ids, expires_in_days)
        token_id = new_id("pat")
        secret = secrets.token_hex(32)
        row = PersonalToken(
            id=token_id,
            tenant_id=tenant_id,
            user_id=user_id,
            name=name,
            secret_hash=hash_secret(secret),
            scopes=" ".join(scopes),
            base_ids=" ".join(base_ids),
            created_at=now,
            expires_at=now + dt.timedelta(days=expires_in_days) if expires_in_days else None,
        )
        async with self.db.transaction() as session:
            if await self._count(session, user_id) >= MAX_TOKENS_PER_USER:
                raise ResourceExhausted(
                    f"at most {MAX_TOKENS_PER_USER} personal access tokens per user"
                )
            session.add(row)
        return f"{token_id}.{secret}", row

    async def of_user(self, user_id: str, tenant_id: str) -> list[PersonalToken]:
        async with self.db.read() as session:
            rows = await session.execute(
                select(PersonalToken)
                .where(
                    PersonalToken.user_id == user_id,
                    PersonalToken.tenant_id == tenant_id,
                    PersonalToken.revoked_at.is_(None),
                )
                .order_by(PersonalToken.created_at, PersonalToken.id)
            )
        return list(rows.scalars())

    async def revoke(self, token_id: str, user_id: str, tenant_id: str, now: dt.datetime) -> None:
        async with self.db.transaction() as session:
            row = (
                await session.get(PersonalToken, token_id) if looks_like(token_id, "pat") else None
            )
            if (
                row is None
                or (row.user_id, row.tenant_id) != (user_id, tenant_id)
                or row.revoked_at
            ):
                raise NotFound("personal access token not found", reason="TOKEN_NOT_FOUND")
            row.revoked_at = now
            add_event(
                session,
                events_pb2.SessionsRevoked(
                    user_id=user_id, tenant_id=tenant_id, session_ids=[token_id]
                ),
                tenant_id=tenant_id,
                source="auth",
            )
        await self.forget([token_id])

    async def forget(self, token_ids: list[str]) -> None:
        await self.cache.delete(*(_key(token_id) for token_id in token_ids))

    async def verify(self, token: str, now: dt.datetime) -> VerifiedToken:
        invalid = Unauthenticated("token is invalid", reason="TOKEN_INVALID")
        token_id, _, secret = token.partition(".")
        if not looks_like(token_id, "pat") or len(secret) != 64:
            raise invalid
        found = await self._lookup(token_id)
        if found is None or not hmac.compare_digest(found[0], hash_secret(secret)):
            raise invalid
        verified = found[1]
        if verified.expires_at is not None and verified.expires_at <= now.timestamp():
            raise Unauthenticated("token has expired", reason="TOKEN_EXPIRED")
        await self._touch(token_id, now)
        return verified

    async def _lookup(self, token_id: str) -> tuple[str, VerifiedToken] | None:
        """The token's secret hash and identity, from the cache, else the database."""
        cached = await self.cache.get(_key(token_id))
        if cached is not None:
            record = json.loads(cached)
            secret_hash = record.pop("secret_hash")
            record["scopes"], record["base_ids"] = (
                tuple(record["scopes"]),
                tuple(record["base_ids"]),
            )
            return secret_hash, VerifiedToken(**record)
        async with self.db.read() as session:
            row = await session.get(PersonalToken, token_id)
        if row is None or row.revoked_at is not None:
            return None
        verified = VerifiedToken(
            token_id=row.id,
            user_id=row.user_id,
            tenant_id=row.tenant_id,
            scopes=tuple(row.scopes.split()),
            base_ids=tuple(row.base_ids.split()),
            expires_at=row.expires_at.timestamp() if row.expires_at else None,
        )
        record = {"secret_hash": row.secret_hash, **asdict(verified)}
        await self.cache.set(_key(token_id), json.dumps(record).encode(), _CACHE_TTL_S)
        return row.secret_hash, verified

    async def _touch(self, token_id: str, now: dt.datetime) -> None:
        if await self.cache.incr(f"auth:pat-used:{token_id}", _LAST_USED_EVERY_S) > 1:
            return
        async with self.db.transaction() as session:
            row = await session.get(PersonalToken, token_id)
            if row is not None:
                row.last_used_at = now

    @staticmethod
    async def _count(session: AsyncSession, user_id: str) -> int:
        count = await session.scalar(
            select(func.count())
            .select_from(PersonalToken)
            .where(PersonalToken.user_id == user_id, PersonalToken.revoked_at.is_(None))
        )
        return int(count or 0)
