"""The fields a formula can refer to: their kind, where their value comes from, and how a
stored cell (Airtable's JSON) becomes an engine value."""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from google.protobuf import json_format
from pyat.schema.v1 import schema_pb2

from services.formula.values import Value, parse_iso_date

TEXT, NUMBER, BOOLEAN, DATE, ARRAY, ANY, BLANK = (
    "text", "number", "boolean", "date", "array", "any", "blank"
)  # fmt: skip

_KIND_BY_TYPE = {
    **dict.fromkeys(
        (
            "singleLineText",
            "multilineText",
            "richText",
            "email",
            "url",
            "phoneNumber",
            "singleSelect",
            "barcode",
            "singleCollaborator",
            "createdBy",
            "lastModifiedBy",
            "button",
        ),
        TEXT,
    ),
    **dict.fromkeys(
        ("number", "currency", "percent", "duration", "rating", "autoNumber", "count"), NUMBER
    ),
    "checkbox": BOOLEAN,
    **dict.fromkeys(("date", "dateTime", "createdTime", "lastModifiedTime"), DATE),
    **dict.fromkeys(
        (
            "multipleSelects",
            "multipleRecordLinks",
            "multipleAttachments",
            "multipleCollaborators",
            "multipleLookupValues",
        ),
        ARRAY,
    ),
}
_ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:\d{2})?)?$")


@dataclass(frozen=True)
class FieldInfo:
    id: str
    name: str
    type: str
    # Where the value lives: the key in the record's cells, or "createdTime"/"lastModifiedTime".
    key: str
    formula: str = ""
    # For a count: the link field whose records it counts (counts are never stored).
    link: str = ""

    @property
    def kind(self) -> str:
        return _KIND_BY_TYPE.get(self.type, ANY)

    @property
    def source(self) -> str:
        return self.type if self.type in ("createdTime", "lastModifiedTime") else "cells"


def _scalar(raw: Any) -> Value:
    """A JSON value inside a cell as an engine value."""
    if raw is None or isinstance(raw, bool | str):
        return raw
    if isinstance(raw, int | float):
        return float(raw)
    if isinstance(raw, list):
        return [_scalar(item) for item in raw]
    if isinstance(raw, dict):
        # Collaborators show their name, attachments their file name and URL, barcodes text.
        if "filename" in raw:
            return f"{raw['filename']} ({raw.get('url', '')})"
        for key in ("name", "text", "email", "id"):
            if isinstance(raw.get(key), str):
                return str(raw[key])
        return json.dumps(raw, sort_keys=True)
    return str(raw)


def cell_value(field: FieldInfo, raw: Any) -> Value:
    """The stored cell `raw` of `field` as an engine value."""
    if field.kind == BOOLEAN:
        return bool(raw)
    if raw is None or raw == "" or raw == []:
        return None
    if field.kind == DATE and isinstance(raw, str):
        return parse_iso_date(raw)
    if field.kind == NUMBER and isinstance(raw, str):
        return _scalar(raw)
    if field.kind == ARRAY and not isinstance(raw, list):
        return [_scalar(raw)]
    return _scalar(raw)


def table_fields(table: schema_pb2.Table) -> list[FieldInfo]:
    """The fields of a table, whose cells are keyed by field id."""
    fields = []
    for field in table.fields:
        options = json_format.MessageToDict(field.options) if field.HasField("options") else {}
        formula = options.get("formula", "") if field.type == "formula" else ""
        link = options.get("recordLinkFieldId", "") if field.type == "count" else ""
        fields.append(
            FieldInfo(field.id, field.name, field.type, field.id, str(formula or ""), str(link))
        )
    return fields


def inferred_fields(values: Mapping[str, Any]) -> list[FieldInfo]:
    """Fields for Evaluate, keyed by name, with types read off their JSON values."""
    return [FieldInfo(name, name, _json_type(value), name) for name, value in values.items()]


def _json_type(value: Any) -> str:
    if isinstance(value, bool):
        return "checkbox"
    if isinstance(value, int | float):
        return "number"
    if isinstance(value, str):
        if _ISO_DATE.match(value) and parse_iso_date(value) is not None:
            return "dateTime"
        return "singleLineText"
    if isinstance(value, list):
        return "multipleLookupValues"
    if isinstance(value, dict):
        return "singleCollaborator"
    return "rollup"


def by_reference(fields: list[FieldInfo]) -> dict[str, FieldInfo]:
    """Fields by id and by name, the two ways a formula may refer to one (ids win)."""
    found = {field.name: field for field in fields}
    found.update({field.id: field for field in fields})
    return found
