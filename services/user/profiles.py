"""Creating profiles, the one write user-service has so far; shared by the RPC and the event."""

from __future__ import annotations

from sqlalchemy.exc import IntegrityError

from services.shared.db import Database, utcnow
from services.shared.errors import FailedPrecondition, InvalidArgument
from services.shared.ids import looks_like
from services.user.storage import Profile


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
                    created_at=now,
                    updated_at=now,
                )
                session.add(profile)
            return profile, True
        except IntegrityError:
            continue  # created concurrently (the RPC and the event racing): read it back
    raise FailedPrecondition("profile could not be created")
