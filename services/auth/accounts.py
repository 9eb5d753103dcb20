"""Account rules: what a valid email, name and password are, and how passwords are hashed."""

from __future__ import annotations

import asyncio
import functools

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from services.shared.errors import InvalidArgument

MIN_PASSWORD_LEN = 10
# argon2 hashes any length, but an unbounded input is a cheap way to burn our CPU.
MAX_PASSWORD_LEN = 128
MAX_NAME_LEN = 200
_COMMON_PASSWORDS = frozenset(
    {
        "password", "password1", "password12", "password123", "password1234", "passw0rd",
        "qwertyuiop", "1234567890", "0123456789", "12345678910", "1q2w3e4r5t", "iloveyou12",
        "letmein123", "welcome123", "admin12345", "qwerty1234", "abc1234567", "changeme12",
        "airtable123", "trustno1234",
    }
)  # fmt: skip

_hasher = PasswordHasher()


def normalize_name(name: str, email: str) -> str:
    cleaned = " ".join(name.split())
    if len(cleaned) > MAX_NAME_LEN:
        raise InvalidArgument(
            "name is too long",
            fields={"name": f"at most {MAX_NAME_LEN} characters"},
            reason="INVALID_NAME",
        )
    return cleaned or email.split("@", 1)[0]


def check_password_policy(password: str, email: str) -> None:
    """At least 10 characters, at most 128, not one kind of character only, not a known one."""
    problem = None
    if len(password) < MIN_PASSWORD_LEN:
        problem = f"must be at least {MIN_PASSWORD_LEN} characters"
    elif len(password) > MAX_PASSWORD_LEN:
        problem = f"must be at most {MAX_PASSWORD_LEN} characters"
    elif password.isdigit() or password.isalpha() or len(set(password)) < 4:
        problem = "must mix letters with digits or symbols and not repeat one character"
    elif password.lower() in _COMMON_PASSWORDS or password.lower() in email:
        problem = "is too easy to guess"
    if problem:
        raise InvalidArgument(
            f"password is too weak: it {problem}",
            fields={"password": problem},
            reason="WEAK_PASSWORD",
        )


async def hash_password(password: str) -> str:
    # argon2 takes tens of milliseconds of CPU: keep it off the event loop.
    return await asyncio.to_thread(_hasher.hash, password)


async def verify_password(password_hash: str, password: str) -> bool:
    def verify() -> bool:
        try:
            return _hasher.verify(password_hash, password)
        except (VerificationError, InvalidHashError):
            return False

    return await asyncio.to_thread(verify)


def needs_rehash(password_hash: str) -> bool:
    return _hasher.check_needs_rehash(password_hash)


@functools.cache
def dummy_hash() -> str:
    """Compared against when the email is unknown, so a failed login takes as long either way."""
    return _hasher.hash("pyat-no-such-account")
