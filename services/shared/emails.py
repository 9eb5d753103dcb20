"""The one rule for email addresses: trimmed, lower-cased, and shaped like name@example.com."""

import re

from services.shared.errors import InvalidArgument

_EMAIL = re.compile(
    r"^[^@\s\x00-\x1f\x7f]{1,64}@[a-z0-9](?:[a-z0-9-]{0,62}[a-z0-9])?"
    r"(?:\.[a-z0-9](?:[a-z0-9-]{0,62}[a-z0-9])?)+$"
)


def is_email(value: str) -> bool:
    return len(value) <= 254 and _EMAIL.match(value) is not None


def normalize_email(value: str, field: str = "email") -> str:
    """A valid email, trimmed and lower-cased (emails compare case-insensitively here)."""
    cleaned = value.strip().lower()
    if not is_email(cleaned):
        raise InvalidArgument(
            f"{field} is not a valid address",
            fields={field: "must look like name@example.com"},
            reason="INVALID_EMAIL",
        )
    return cleaned
