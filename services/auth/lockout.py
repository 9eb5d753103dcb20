"""Brute-force protection: 5 failed sign-ins for an email lock it for 15 minutes.

Counted per email whether or not an account has it, so a lockout reveals nothing about
which emails are registered. Counters live in the cache (Redis when configured).
"""

from __future__ import annotations

from services.shared.cache import Cache
from services.shared.errors import ResourceExhausted

MAX_FAILURES = 5
LOCK_S = 15 * 60


def _failures(email: str) -> str:
    return f"auth:login-failures:{email}"


def _lock(email: str) -> str:
    return f"auth:login-lock:{email}"


class Lockout:
    def __init__(self, cache: Cache) -> None:
        self.cache = cache

    async def check(self, email: str) -> None:
        if await self.cache.get(_lock(email)) is not None:
            raise ResourceExhausted(
                "too many failed sign-ins for this email; try again in 15 minutes",
                reason="LOGIN_LOCKED",
            )

    async def failed(self, email: str) -> None:
        if await self.cache.incr(_failures(email), LOCK_S) >= MAX_FAILURES:
            await self.cache.set(_lock(email), b"1", LOCK_S)
            await self.cache.delete(_failures(email))

    async def succeeded(self, email: str) -> None:
        await self.cache.delete(_failures(email))
