"""What a valid name is, for everything people name: workspaces, bases, tables, fields, views."""

from __future__ import annotations

import unicodedata

from services.shared.errors import InvalidArgument


def checked_name(value: str, where: str, *, max_len: int, reason: str = "INVALID_NAME") -> str:
    """`value` trimmed: 1 to `max_len` characters with no control characters, else
    INVALID_ARGUMENT naming `where`."""
    cleaned = value.strip()
    if not cleaned:
        problem = "is required"
    elif len(cleaned) > max_len:
        problem = f"must be at most {max_len} characters"
    # Control characters (NUL above all, which PostgreSQL refuses) have no place in a name.
    elif any(unicodedata.category(c) == "Cc" for c in cleaned):
        problem = "must not contain control characters"
    else:
        return cleaned
    raise InvalidArgument(f"{where} {problem}", fields={where: problem}, reason=reason)
