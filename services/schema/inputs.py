"""What valid names and ids are, checked before anything is looked up."""

from __future__ import annotations

from services.shared.errors import InvalidArgument
from services.shared.names import checked_name

MAX_NAME_LEN = 255


def name(value: str, where: str, *, reason: str = "INVALID_NAME") -> str:
    """A table, field or view name: trimmed, 1 to 255 characters, no control characters."""
    return checked_name(value, where, max_len=MAX_NAME_LEN, reason=reason)


def key(value: str) -> str:
    """What names are compared by: Airtable's names are unique regardless of case."""
    return value.casefold()


def required(value: str, where: str) -> str:
    if not value:
        raise InvalidArgument(f"{where} is required", fields={where: "is required"})
    return value
