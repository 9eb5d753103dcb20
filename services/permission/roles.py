"""The rules: which role each action needs, and what a resource path is and how it is checked."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from pyat.permission.v1 import permission_pb2 as pb

from services.shared.ids import looks_like

# The one table of thresholds: an action is allowed to this role and every role above it.
MIN_ROLE: Mapping[int, int] = {
    pb.ACTION_READ: pb.ROLE_READ_ONLY,
    pb.ACTION_COMMENT: pb.ROLE_COMMENTER,
    pb.ACTION_EDIT_RECORDS: pb.ROLE_EDITOR,
    pb.ACTION_EDIT_SCHEMA: pb.ROLE_CREATOR,
    pb.ACTION_MANAGE_MEMBERS: pb.ROLE_OWNER,
    pb.ACTION_DELETE: pb.ROLE_OWNER,
}

# Roles that can be granted, weakest first; the enum order is the strength order.
ROLES: tuple[int, ...] = (
    pb.ROLE_READ_ONLY,
    pb.ROLE_COMMENTER,
    pb.ROLE_EDITOR,
    pb.ROLE_CREATOR,
    pb.ROLE_OWNER,
)


def allows(role: int, action: int) -> bool:
    """Whether `role` (ROLE_UNSPECIFIED for none) may do `action`, a known action."""
    return role >= MIN_ROLE[action]


def role_name(role: int) -> str:
    return pb.Role.Name(role)


@dataclass(frozen=True)
class ResourcePath:
    """A workspace, base or table by its path; '' marks a level below the target."""

    workspace_id: str
    base_id: str = ""
    table_id: str = ""

    def levels(self) -> tuple[ResourcePath, ...]:
        """The resources whose grants apply here: the workspace, down to the target itself."""
        if not self.base_id:
            return (self,)
        base = ResourcePath(self.workspace_id, self.base_id)
        if not self.table_id:
            return (ResourcePath(self.workspace_id), base)
        return (ResourcePath(self.workspace_id), base, self)


# Each level: the field, the id prefix it must carry, and the level it needs above it.
_LEVELS = (
    ("workspace_id", "wsp", None),
    ("base_id", "app", "workspace_id"),
    ("table_id", "tbl", "base_id"),
)


def resource_path(resource: pb.Resource, field: str, bad: dict[str, str]) -> ResourcePath | None:
    """`resource` as a path, or None after adding what is wrong with it to `bad`.

    `field` is where the resource sits in the request (e.g. "checks[3].resource"), so a
    violation names the exact field.
    """
    found_bad = False
    for name, prefix, parent in _LEVELS:
        value: str = getattr(resource, name)
        if not value:
            if name == "workspace_id":
                bad[f"{field}.{name}"] = "is required"
                found_bad = True
            continue
        if not looks_like(value, prefix):
            bad[f"{field}.{name}"] = f"must be an id starting with {prefix}"
            found_bad = True
        elif parent is not None and not getattr(resource, parent):
            bad[f"{field}.{parent}"] = f"is required with {name}"
            found_bad = True
    if found_bad:
        return None
    return ResourcePath(resource.workspace_id, resource.base_id, resource.table_id)


def check_action(action: int, field: str, bad: dict[str, str]) -> None:
    if action not in MIN_ROLE:
        bad[field] = "must be a known action other than ACTION_UNSPECIFIED"


def check_role(role: int, field: str, bad: dict[str, str]) -> None:
    if role not in ROLES:
        bad[field] = "must be a known role other than ROLE_UNSPECIFIED"


def check_subject(subject_id: str, field: str, bad: dict[str, str]) -> None:
    """Subjects are users; the same shape check keeps odd strings out of keys and queries."""
    if not looks_like(subject_id, "usr"):
        bad[field] = "must be a user id starting with usr"
