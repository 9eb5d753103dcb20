"""What valid names and ids are, checked before anything is looked up."""

from __future__ import annotations

import unicodedata

from services.shared.errors import InvalidArgument

MAX_NAME_LEN = 255


def name(value: str, where: str, *, reason: str = "INVALID_NAME") -> str:
    """A table, field or view name: trimmed, 1 to 255 characters, no control characters."""
    cleaned = value.strip()
    if not cleaned:
        problem = "is required"
    elif len(cleaned) > MAX_NAME_LEN:
        problem = f"must be at most {MAX_NAME_LEN} characters"
    elif any(unicodedata.category(c) == "Cc" for c in cleaned):
        problem = "must not contain control characters"
    else:
        return cleaned
    raise InvalidArgument(f"{where} {problem}", fields={where: problem}, reason=reason)


def key(value: str) -> str:
    """What names are compared by: Airtable's names are unique regardless of case."""
    return value.casefold()


def required(value: str, where: str) -> str:
    if not value:
        raise InvalidArgument(f"{where} is required", fields={where: "is required"})
    return value
