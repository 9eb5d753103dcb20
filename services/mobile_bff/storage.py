"""mobile-bff's table: the devices that get push notifications, each one user's in one tenant."""

from __future__ import annotations

import datetime as dt
import hashlib

from sqlalchemy import Index, String, Text, UniqueConstraint
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from services.shared.db import UTCDateTime


class MobileBase(DeclarativeBase):
    pass


class Device(MobileBase):
    __tablename__ = "mobile_devices"
    __table_args__ = (
        # One push token is one device in a tenant. Tokens run to 4096 characters, past what
        # a PostgreSQL index entry holds, so uniqueness is on their digest.
        UniqueConstraint("tenant_id", "token_digest", name="uq_mobile_devices_tenant_token"),
        Index("ix_mobile_devices_tenant_user", "tenant_id", "user_id", "registered_at"),
    )

    id: Mapped[str] = mapped_column(String(17), primary_key=True)
    tenant_id: Mapped[str] = mapped_column(String(17))
    user_id: Mapped[str] = mapped_column(String(17))
    # "ios", "android" or "web".
    platform: Mapped[str] = mapped_column(String(16))
    name: Mapped[str] = mapped_column(String(100))
    push_token: Mapped[str] = mapped_column(Text)
    # SHA-256 of the push token, hex.
    token_digest: Mapped[str] = mapped_column(String(64))
    registered_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())
    last_seen_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())


def token_digest(push_token: str) -> str:
    return hashlib.sha256(push_token.encode()).hexdigest()
