"""The text a record is found by: its primary field's value first, then its text-like fields
as "Name: value" lines, cut to MAX_CHARS."""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from typing import Any

from pyat.schema.v1 import schema_pb2

MAX_CHARS = 2000
# Fields whose values are words people search for.
TEXT_TYPES = frozenset(
    {
        "singleLineText",
        "multilineText",
        "richText",
        "email",
        "url",
        "phoneNumber",
        "singleSelect",
        "multipleSelects",
        "aiText",
    }
)
# Computed fields: kept when what they compute is text.
COMPUTED_TYPES = frozenset({"formula", "rollup", "lookup", "multipleLookupValues"})


def is_text_field(field: schema_pb2.Field) -> bool:
    return field.type in TEXT_TYPES or field.type in COMPUTED_TYPES


def _plain(value: Any) -> str:
    """Any cell as words: the primary field may be a number, a date or a collaborator."""
    if isinstance(value, str):
        return value.strip()
    if isinstance(value, bool):
        return ""
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() else str(value)
    if isinstance(value, int):
        return str(value)
    if isinstance(value, Mapping):
        return _plain(value.get("name") or value.get("value") or value.get("filename") or "")
    if isinstance(value, list):
        return ", ".join(part for part in (_plain(item) for item in value) if part)
    return ""


def _textual(value: Any) -> str:
    """A cell's text if it is text (or a list of texts), else nothing."""
    if isinstance(value, str):
        return value.strip()
    if isinstance(value, Mapping) and isinstance(value.get("value"), str):
        return str(value["value"]).strip()  # an AI text cell
    if isinstance(value, list) and value and all(isinstance(item, str) for item in value):
        return ", ".join(item.strip() for item in value if item.strip())
    return ""


def record_text(table: schema_pb2.Table, cells: Mapping[str, Any]) -> str:
    """The text of a record whose cells are keyed by field id."""
    lines = []
    primary = _plain(cells.get(table.primary_field_id))
    if primary:
        lines.append(primary)
    for field in table.fields:
        if field.id == table.primary_field_id or not is_text_field(field):
            continue
        value = _textual(cells.get(field.id))
        if value:
            lines.append(f"{field.name}: {value}")
    return "\n".join(lines)[:MAX_CHARS]


def text_hash(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()
