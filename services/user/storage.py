"""user-service's table: profiles, each in one tenant."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Index, String, Text, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from services.shared.db import UTCDateTime


class UserBase(DeclarativeBase):
    pass


class Profile(UserBase):
    __tablename__ = "user_profiles"
    __table_args__ = (
        Index("ix_user_profiles_tenant_name", "tenant_id", "name", "id"),
        Index("ix_user_profiles_tenant_email", "tenant_id", "email"),
    )

    id: Mapped[str] = mapped_column(String(17), primary_key=True)
    tenant_id: Mapped[str] = mapped_column(String(17), index=True)
    email: Mapped[str] = mapped_column(String(254))
    name: Mapped[str] = mapped_column(String(200))
    # A JSON object of the user's own settings.
    preferences: Mapped[str] = mapped_column(Text, server_default="{}")
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())


async def profile_in_tenant(session: AsyncSession, tenant_id: str, user_id: str) -> Profile | None:
    """The profile, only if it belongs to `tenant_id`: other tenants' users don't exist here."""
    result = await session.execute(
        select(Profile).where(Profile.tenant_id == tenant_id, Profile.id == user_id)
    )
    return result.scalar_one_or_none()
