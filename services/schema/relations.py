"""Options of the field types that point at other fields: links, lookups, rollups, counts and
formulas, checked against the base they live in (and formulas by formula-engine)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pyat.schema.v1 import schema_pb2

from services.schema import messages
from services.schema.changes import Change
from services.schema.field_types import Options, default_options, plain_options
from services.schema.formulas import FormulaChecker
from services.schema.storage import FieldRow, TableRow
from services.shared.errors import NotFound
from services.shared.structs import to_struct

# What Airtable shows as a formula's result, by formula-engine's result type.
_RESULT_TYPES = {"number": "number", "boolean": "checkbox", "date": "dateTime"}
# The stand-in field that a rollup formula's `values` refers to when it is checked.
_ROLLUP_VALUES_ID = "fldRollupValues00"
DEFAULT_ROLLUP = "SUM(values)"


def result_config(result_type: str) -> dict[str, Any]:
    field_type = _RESULT_TYPES.get(result_type, "singleLineText")
    return {"type": field_type, "options": default_options(field_type)}


def depends_on(field: FieldRow, field_ids: set[str]) -> bool:
    """Whether a field's value is computed from any of `field_ids`."""
    options = field.options
    used = set(options.get("referencedFieldIds") or ())
    used |= {options.get("recordLinkFieldId"), options.get("fieldIdInLinkedTable")}
    return bool(used & field_ids)


def dependants(change: Change, field_ids: set[str]) -> list[FieldRow]:
    """The fields whose values are computed, directly or not, from `field_ids`."""
    found: dict[str, FieldRow] = {}
    frontier = set(field_ids)
    while frontier:
        fresh = [
            f
            for f in change.schema.all_fields()
            if f.id not in found and f.id not in field_ids and depends_on(f, frontier)
        ]
        found.update((f.id, f) for f in fresh)
        frontier = {f.id for f in fresh}
    return list(found.values())


class Relations:
    def __init__(self, checker: FormulaChecker) -> None:
        self.checker = checker

    async def options(
        self,
        change: Change,
        table: TableRow,
        field: FieldRow,
        raw: Mapping[str, Any],
        path: str,
        current: Mapping[str, Any] | None,
    ) -> dict[str, Any]:
        """The stored options of `field` (whose id, name and type are set) of `table`, of any
        type: the self-contained ones are left to `plain_options`."""
        if field.type not in _ALLOWED:
            return plain_options(field.type, raw, path, field.name, current)
        opts = Options(raw, path, field.name, _ALLOWED[field.type])
        if field.type == "multipleRecordLinks":
            return _link(change, opts, current)
        if field.type == "formula":
            return await self._formula(change, table, field, opts)
        link = _link_field(change, table, opts)
        if field.type == "count":
            return {"isValid": True, "recordLinkFieldId": link.id}
        target = _linked_field(change, link, opts)
        options = {
            "isValid": True,
            "recordLinkFieldId": link.id,
            "fieldIdInLinkedTable": target.id,
        }
        if field.type == "multipleLookupValues":
            return options | {"result": {"type": target.type, "options": target.options}}
        formula = opts.text("formula", DEFAULT_ROLLUP, required=True)
        values = schema_pb2.Field(
            id=_ROLLUP_VALUES_ID, name="values", type=target.type,
            options=to_struct(target.options),
        )  # fmt: skip
        checked = await self.checker.check(
            formula,
            schema_pb2.Table(id=table.id, name=table.name, fields=[values]),
            where=f"{path}.options.formula",
            what=f"field {field.name!r}",
        )
        return options | {
            "formula": formula,
            "referencedFieldIds": [target.id],
            "result": result_config(checked.result_type),
        }

    async def _formula(
        self, change: Change, table: TableRow, field: FieldRow, opts: Options
    ) -> dict[str, Any]:
        # A formula may use any field of its table but itself and those computed from it.
        excluded = {field.id} | {f.id for f in dependants(change, {field.id})}
        usable = [f for f in change.schema.fields_of(table.id) if f.id not in excluded]
        checked = await self.checker.check(
            opts.text("formula", required=True),
            messages.table(table, usable, []),
            where=f"{opts.path}.options.formula",
            what=f"field {field.name!r}",
        )
        return {
            "formula": checked.normalized,
            "isValid": True,
            "referencedFieldIds": checked.referenced_field_ids,
            "result": result_config(checked.result_type),
        }


_ALLOWED = {
    "multipleRecordLinks": (
        "linkedTableId", "prefersSingleRecordLink", "isReversed", "viewIdForRecordSelection",
    ),
    "formula": ("formula",),
    "count": ("recordLinkFieldId",),
    "multipleLookupValues": ("recordLinkFieldId", "fieldIdInLinkedTable"),
    "rollup": ("recordLinkFieldId", "fieldIdInLinkedTable", "formula"),
}  # fmt: skip


def _link(change: Change, opts: Options, current: Mapping[str, Any] | None) -> dict[str, Any]:
    # By id, or by name: tables made in the same call have no id the caller could know.
    ref = opts.text("linkedTableId", required=True)
    try:
        linked = change.table(ref).id
    except NotFound:
        raise opts.fail("linkedTableId", "is not a table of this base") from None
    if current and linked != current["linkedTableId"]:
        raise opts.fail("linkedTableId", "cannot change: create a new link field instead")
    options: dict[str, Any] = {
        "linkedTableId": linked,
        "isReversed": opts.flag("isReversed"),
        "prefersSingleRecordLink": opts.flag("prefersSingleRecordLink"),
    }
    if current and "inverseLinkFieldId" in current:
        options["inverseLinkFieldId"] = current["inverseLinkFieldId"]
    return options


def _link_field(change: Change, table: TableRow, opts: Options) -> FieldRow:
    link_id = opts.text("recordLinkFieldId", required=True)
    link = next((f for f in change.schema.fields_of(table.id) if f.id == link_id), None)
    if link is None or link.type != "multipleRecordLinks":
        raise opts.fail("recordLinkFieldId", "is not a link field of this table")
    return link


def _linked_field(change: Change, link: FieldRow, opts: Options) -> FieldRow:
    target_id = opts.text("fieldIdInLinkedTable", required=True)
    linked = change.schema.fields_of(link.options["linkedTableId"])
    target = next((f for f in linked if f.id == target_id), None)
    if target is None:
        raise opts.fail("fieldIdInLinkedTable", "is not a field of the linked table")
    return target
