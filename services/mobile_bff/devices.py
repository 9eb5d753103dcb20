"""Devices for push: registering (one push token is one device), listing, removing, and the
tokens notification-service sends to."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, cast

from pyat.mobilebff.v1 import mobile_bff_pb2 as pb
from sqlalchemy import CursorResult, delete, func, select
from sqlalchemy.exc import IntegrityError

from services.mobile_bff.storage import Device, token_digest
from services.shared.db import Database, utcnow
from services.shared.errors import InvalidArgument, NotFound, ResourceExhausted, Unavailable
from services.shared.ids import looks_like, new_id

MAX_TOKEN_LEN = 4096
MAX_NAME_LEN = 100
# A user with more devices than this has stale ones to remove; we refuse rather than drop the
# oldest silently, so a phone never stops getting pushes without its owner knowing why.
MAX_DEVICES_PER_USER = 20

PLATFORMS: dict[int, str] = {
    pb.PLATFORM_IOS: "ios",
    pb.PLATFORM_ANDROID: "android",
    pb.PLATFORM_WEB: "web",
}
_PLATFORM_OF_NAME = {name: value for value, name in PLATFORMS.items()}


@dataclass(frozen=True)
class Registration:
    push_token: str
    platform: str
    name: str


def validated(request: pb.RegisterDeviceRequest) -> Registration:
    """The registration a request asks for, or INVALID_ARGUMENT naming every bad field."""
    bad: dict[str, str] = {}
    token = request.push_token
    if not 1 <= len(token) <= MAX_TOKEN_LEN:
        bad["push_token"] = f"must be 1 to {MAX_TOKEN_LEN} characters"
    elif not all("!" <= char <= "~" for char in token):
        bad["push_token"] = "must be printable ASCII characters, without spaces"
    platform = PLATFORMS.get(request.platform)
    if platform is None:
        bad["platform"] = "must be PLATFORM_IOS, PLATFORM_ANDROID or PLATFORM_WEB"
    name = " ".join(request.name.split())
    if len(name) > MAX_NAME_LEN:
        bad["name"] = f"must be at most {MAX_NAME_LEN} characters"
    if bad or platform is None:
        raise InvalidArgument("invalid device", fields=bad)
    return Registration(push_token=token, platform=platform, name=name)


def platform_of(device: Device) -> pb.Platform:
    return _PLATFORM_OF_NAME.get(device.platform, pb.PLATFORM_UNSPECIFIED)  # type: ignore[return-value]


def too_many_devices() -> ResourceExhausted:
    return ResourceExhausted(
        f"at most {MAX_DEVICES_PER_USER} devices per user: unregister one first",
        reason="TOO_MANY_DEVICES",
    )


async def register(db: Database, tenant_id: str, user_id: str, wanted: Registration) -> Device:
    """Register the device with this push token for the user, or renew it. A token another
    user of the tenant registered moves to this one: the phone changed hands (or accounts)."""
    digest = token_digest(wanted.push_token)
    for _attempt in range(3):
        try:
            async with db.transaction() as session:
                now = utcnow()
                device = (
                    await session.execute(
                        select(Device).where(
                            Device.tenant_id == tenant_id, Device.token_digest == digest
                        )
                    )
                ).scalar_one_or_none()
                if device is None or device.user_id != user_id:
                    count = await session.scalar(
                        select(func.count())
                        .select_from(Device)
                        .where(Device.tenant_id == tenant_id, Device.user_id == user_id)
                    )
                    if (count or 0) >= MAX_DEVICES_PER_USER:
                        raise too_many_devices()
                if device is None:
                    device = Device(
                        id=new_id("dev"),
                        tenant_id=tenant_id,
                        user_id=user_id,
                        push_token=wanted.push_token,
                        token_digest=digest,
                        registered_at=now,
                    )
                    session.add(device)
                elif device.user_id != user_id:
                    # A new owner: a new registration as far as they are concerned.
                    device.user_id = user_id
                    device.registered_at = now
                device.platform = wanted.platform
                device.name = wanted.name
                device.last_seen_at = now
            return device
        except IntegrityError:
            continue  # the same token registered concurrently: read it back and renew it
    raise Unavailable("the device could not be registered, try again")


async def of_user(db: Database, tenant_id: str, user_id: str) -> Sequence[Device]:
    query = (
        select(Device)
        .where(Device.tenant_id == tenant_id, Device.user_id == user_id)
        .order_by(Device.registered_at, Device.id)
    )
    async with db.read() as session:
        return list((await session.execute(query)).scalars())


async def unregister(db: Database, tenant_id: str, user_id: str, device_id: str) -> None:
    """Remove one of the user's own devices; anyone else's is NOT_FOUND, as if it did not exist."""
    if not device_id:
        raise InvalidArgument("device_id is required", fields={"device_id": "is required"})
    removed = 0
    if looks_like(device_id, "dev"):
        async with db.transaction() as session:
            result = await session.execute(
                delete(Device).where(
                    Device.id == device_id,
                    Device.tenant_id == tenant_id,
                    Device.user_id == user_id,
                )
            )
            removed = cast("CursorResult[Any]", result).rowcount
    if not removed:
        shown = device_id if len(device_id) <= 17 else device_id[:17] + "..."
        raise NotFound(f"device {shown!r} not found", reason="DEVICE_NOT_FOUND")


async def push_tokens(db: Database, tenant_id: str, user_id: str) -> Sequence[Device]:
    bad: dict[str, str] = {}
    if not looks_like(tenant_id, "ten"):
        bad["tenant_id"] = "must be a tenant id (ten...)"
    if not looks_like(user_id, "usr"):
        bad["user_id"] = "must be a user id (usr...)"
    if bad:
        raise InvalidArgument("invalid user", fields=bad)
    return await of_user(db, tenant_id, user_id)
