"""Profiles: creating (from the RPC and the event alike), updating, listing and searching."""

from __future__ import annotations

import base64
import binascii
import json
from typing import Any

from sqlalchemy import func, or_, select, tuple_
from sqlalchemy.exc import IntegrityError

from services.shared.db import Database, utcnow
from services.shared.errors import FailedPrecondition, InvalidArgument
from services.shared.ids import looks_like
from services.user.storage import Profile

MAX_NAME_LEN = 200
MAX_PREFERENCES_BYTES = 16 * 1024
MAX_PAGE_SIZE = 100


async def create_profile(
    db: Database, *, user_id: str, tenant_id: str, email: str, name: str
) -> tuple[Profile, bool]:
    """Create the profile unless it exists already; returns it and whether it was created.

    Idempotent on the user id, so a retried call and a redelivered event are both harmless.
    """
    bad: dict[str, str] = {}
    if not looks_like(user_id, "usr"):
        bad["user_id"] = "must be a user id (usr...)"
    if not looks_like(tenant_id, "ten"):
        bad["tenant_id"] = "must be a tenant id (ten...)"
    if not email or "@" not in email:
        bad["email"] = "is required"
    if bad:
        raise InvalidArgument("invalid profile", fields=bad)

    for _attempt in range(2):
        try:
            async with db.transaction() as session:
                existing = await session.get(Profile, user_id)
                if existing is not None:
                    if existing.tenant_id != tenant_id:
                        raise FailedPrecondition("user id belongs to another tenant")
                    return existing, False
                now = utcnow()
                profile = Profile(
                    id=user_id,
                    tenant_id=tenant_id,
                    email=email,
                    name=name or email.split("@", 1)[0],
                    preferences="{}",
                    created_at=now,
                    updated_at=now,
                )
                session.add(profile)
            return profile, True
        except IntegrityError:
            continue  # created concurrently (the RPC and the event racing): read it back
    raise FailedPrecondition("profile could not be created")


def merged_preferences(current: str, changes: dict[str, Any]) -> str:
    """Preferences merged key by key; a key set to None (JSON null) is removed."""
    merged = json.loads(current or "{}")
    for key, value in changes.items():
        if value is None:
            merged.pop(key, None)
        else:
            merged[key] = value
    encoded = json.dumps(merged, separators=(",", ":"), sort_keys=True)
    if len(encoded.encode()) > MAX_PREFERENCES_BYTES:
        raise InvalidArgument(
            "preferences are too large",
            fields={"preferences": f"at most {MAX_PREFERENCES_BYTES // 1024} KiB in all"},
        )
    return encoded


def clean_name(name: str) -> str:
    cleaned = " ".join(name.split())
    if not 1 <= len(cleaned) <= MAX_NAME_LEN:
        raise InvalidArgument(
            "invalid name", fields={"name": f"must be 1 to {MAX_NAME_LEN} characters"}
        )
    return cleaned


def encode_page_token(profile: Profile) -> str:
    raw = json.dumps([profile.name, profile.id]).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_page_token(token: str) -> tuple[str, str]:
    bad = InvalidArgument("invalid page token", fields={"page_token": "use next_page_token"})
    try:
        name, user_id = json.loads(base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)))
    except (binascii.Error, ValueError, TypeError):
        raise bad from None
    if not isinstance(name, str) or not isinstance(user_id, str):
        raise bad
    return name, user_id


def page_size(requested: int, default: int) -> int:
    if requested < 0:
        raise InvalidArgument("invalid page size", fields={"page_size": "must not be negative"})
    return min(requested or default, MAX_PAGE_SIZE)


async def list_page(
    db: Database, tenant_id: str, size: int, after: tuple[str, str] | None, email: str
) -> tuple[list[Profile], bool]:
    """One page of a tenant's users by name (then id); and whether more follow."""
    query = select(Profile).where(Profile.tenant_id == tenant_id)
    if email:
        query = query.where(Profile.email == email.strip().lower())
    if after is not None:
        query = query.where(tuple_(Profile.name, Profile.id) > after)
    query = query.order_by(Profile.name, Profile.id).limit(size + 1)
    async with db.read() as session:
        rows = list((await session.execute(query)).scalars())
    return rows[:size], len(rows) > size


def _like_pattern(text: str) -> str:
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


async def search(db: Database, tenant_id: str, query_text: str, limit: int) -> list[Profile]:
    """Users of the tenant whose name or email contains `query_text`, case-insensitively."""
    cleaned = " ".join(query_text.split()).lower()
    if not 1 <= len(cleaned) <= 100:
        raise InvalidArgument("invalid query", fields={"query": "must be 1 to 100 characters"})
    pattern = _like_pattern(cleaned)
    query = (
        select(Profile)
        .where(
            Profile.tenant_id == tenant_id,
            or_(
                func.lower(Profile.name).like(pattern, escape="\\"),
                func.lower(Profile.email).like(pattern, escape="\\"),
            ),
        )
        .order_by(Profile.name, Profile.id)
        .limit(limit)
    )
    async with db.read() as session:
        return list((await session.execute(query)).scalars())
