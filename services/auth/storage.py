"""auth-service's tables: credentials, refresh tokens (one family per session) and PATs."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import ForeignKey, String, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from services.shared.db import UTCDateTime


class AuthBase(DeclarativeBase):
    pass


class Credential(AuthBase):
    __tablename__ = "auth_credentials"

    user_id: Mapped[str] = mapped_column(String(17), primary_key=True)
    tenant_id: Mapped[str] = mapped_column(String(17), index=True)
    email: Mapped[str] = mapped_column(String(254), unique=True)
    password_hash: Mapped[str] = mapped_column(String(255))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())


class RefreshToken(AuthBase):
    __tablename__ = "auth_refresh_tokens"

    id: Mapped[str] = mapped_column(String(17), primary_key=True)
    user_id: Mapped[str] = mapped_column(
        String(17), ForeignKey("auth_credentials.user_id", ondelete="CASCADE"), index=True
    )
    tenant_id: Mapped[str] = mapped_column(String(17))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    # Tokens rotated from one sign-in share a family, so reuse can revoke them all.
    family_id: Mapped[str] = mapped_column(String(17), index=True)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())
    expires_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())
    revoked_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    # Set when the token is exchanged; presenting it again is reuse, and ends the session.
    used_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime(), nullable=True)


async def credential_by_email(session: AsyncSession, email: str) -> Credential | None:
    result = await session.execute(select(Credential).where(Credential.email == email))
    return result.scalar_one_or_none()


class PersonalToken(AuthBase):
    __tablename__ = "auth_personal_tokens"

    # The public part of the token (`pat` + 14 characters); the secret is stored only hashed.
    id: Mapped[str] = mapped_column(String(17), primary_key=True)
    tenant_id: Mapped[str] = mapped_column(String(17))
    user_id: Mapped[str] = mapped_column(
        String(17), ForeignKey("auth_credentials.user_id", ondelete="CASCADE"), index=True
    )
    name: Mapped[str] = mapped_column(String(100))
    secret_hash: Mapped[str] = mapped_column(String(64))
    # Space-separated, as in OAuth.
    scopes: Mapped[str] = mapped_column(String(500))
    base_ids: Mapped[str] = mapped_column(String(2000), default="")
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())
    expires_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    revoked_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    last_used_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime(), nullable=True)
