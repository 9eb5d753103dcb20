"""Brute-force protection for sign-in that a stranger cannot turn against an account's owner.

- 5 failed sign-ins for one email from one client address within 15 minutes lock that
  (email, address) pair for 15 minutes. The owner, signing in from another address, is not
  affected by a stranger guessing from theirs.
- 50 failed sign-ins for one email from any addresses within 15 minutes lock the email for
  everyone for 15 minutes, so guessing spread over many addresses is held to 50 guesses per
  15 minutes too. Only an attacker with at least 10 addresses can trip it.

Counted per email whether or not an account has it, so a lockout reveals nothing about which
emails are registered. Windows are fixed: one starts with its first failure. Counters and
locks live in the cache (Redis when configured, so every auth-service process shares them).
"""

from __future__ import annotations

from services.shared.cache import Cache
from services.shared.errors import ResourceExhausted

FAILURES_PER_ADDRESS = 5
FAILURES_PER_EMAIL = 50
WINDOW_S = 15 * 60
LOCK_S = 15 * 60


def _pair(email: str, address: str) -> str:
    # Emails hold no whitespace, so a pair never reads as another email or pair.
    return f"{email} {address}"


def _failures(subject: str) -> str:
    return f"auth:lockout:failures:{subject}"


def _lock(subject: str) -> str:
    return f"auth:lockout:lock:{subject}"


class Lockout:
    def __init__(
        self,
        cache: Cache,
        *,
        failures_per_address: int = FAILURES_PER_ADDRESS,
        failures_per_email: int = FAILURES_PER_EMAIL,
    ) -> None:
        self.cache = cache
        self.failures_per_address = failures_per_address
        self.failures_per_email = failures_per_email

    async def check(self, email: str, address: str) -> None:
        """Refuse a sign-in from `address` while the email, or the email from there, is locked."""
        pair_lock, email_lock = await self.cache.get_many(
            [_lock(_pair(email, address)), _lock(email)]
        )
        minutes = LOCK_S // 60
        if email_lock is not None:
            raise ResourceExhausted(
                "too many failed sign-ins for this email from many addresses; it is locked "
                f"for everyone; try again in {minutes} minutes",
                reason="EMAIL_LOCKED",
            )
        if pair_lock is not None:
            raise ResourceExhausted(
                "too many failed sign-ins for this email from your address; "
                f"try again in {minutes} minutes",
                reason="LOGIN_LOCKED",
            )

    async def failed(self, email: str, address: str) -> None:
        await self._count(_pair(email, address), self.failures_per_address)
        await self._count(email, self.failures_per_email)

    async def succeeded(self, email: str, address: str) -> None:
        """Forget the failures from `address`. The email's count stays: an owner who signs in
        often must not keep handing a distributed attacker a fresh budget."""
        await self.cache.delete(_failures(_pair(email, address)))

    async def _count(self, subject: str, limit: int) -> None:
        if await self.cache.incr(_failures(subject), WINDOW_S) >= limit:
            await self.cache.set(_lock(subject), b"1", LOCK_S)
            await self.cache.delete(_failures(subject))
