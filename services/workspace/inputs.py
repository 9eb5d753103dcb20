"""What valid input is: names, emails, roles and ids, checked before anything is looked up."""

from __future__ import annotations

from typing import cast

from pyat.permission.v1 import permission_pb2

from services.shared.errors import InvalidArgument
from services.shared.names import checked_name

MAX_NAME_LEN = 200
ROLES = frozenset(permission_pb2.Role.values()) - {permission_pb2.ROLE_UNSPECIFIED}


def name(value: str, field: str = "name") -> str:
    """A workspace or base name: trimmed, 1 to 200 characters, no control characters."""
    return checked_name(value, field, max_len=MAX_NAME_LEN)


def role(value: int) -> permission_pb2.Role:
    if value not in ROLES:
        problem = "is required" if value == permission_pb2.ROLE_UNSPECIFIED else "is not a role"
        raise InvalidArgument(f"role {problem}", fields={"role": problem}, reason="INVALID_ROLE")
    return cast("permission_pb2.Role", value)


def required(value: str, field: str) -> str:
    if not value:
        raise InvalidArgument(f"{field} is required", fields={field: "is required"})
    return value
