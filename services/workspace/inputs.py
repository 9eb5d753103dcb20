"""What valid input is: names, emails, roles and ids, checked before anything is looked up."""

from __future__ import annotations

import unicodedata
from typing import cast

from pyat.permission.v1 import permission_pb2

from services.shared.errors import InvalidArgument

MAX_NAME_LEN = 200
ROLES = frozenset(permission_pb2.Role.values()) - {permission_pb2.ROLE_UNSPECIFIED}


def name(value: str, field: str = "name") -> str:
    """A workspace or base name: trimmed, 1 to 200 characters, no control characters."""
    cleaned = value.strip()
    problem = None
    if not cleaned:
        problem = "is required"
    elif len(cleaned) > MAX_NAME_LEN:
        problem = f"must be at most {MAX_NAME_LEN} characters"
    # Control characters (NUL above all, which PostgreSQL refuses) have no place in a name.
    elif any(unicodedata.category(c) == "Cc" for c in cleaned):
        problem = "must not contain control characters"
    if problem:
        raise InvalidArgument(f"{field} {problem}", fields={field: problem}, reason="INVALID_NAME")
    return cleaned


def role(value: int) -> permission_pb2.Role:
    if value not in ROLES:
        problem = "is required" if value == permission_pb2.ROLE_UNSPECIFIED else "is not a role"
        raise InvalidArgument(f"role {problem}", fields={"role": problem}, reason="INVALID_ROLE")
    return cast("permission_pb2.Role", value)


def required(value: str, field: str) -> str:
    if not value:
        raise InvalidArgument(f"{field} is required", fields={field: "is required"})
    return value
