"""Records as answers: stored and computed cells, empty ones left out, keyed by field name or
id, as JSON values or as the strings Airtable's UI shows."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo

from pyat.airtable.v1 import airtable_gateway_pb2 as pb
from pyat.schema.v1 import schema_pb2

from services.airtable_gateway.native.cell_strings import cell_string
from services.airtable_gateway.native.computed import Computed
from services.airtable_gateway.native.conversions import has_shape
from services.airtable_gateway.native.storage import Row
from services.airtable_gateway.native.tables import COMPUTED_TYPES, LINK, TableSchema
from services.airtable_gateway.native.values import is_empty
from services.shared.errors import InvalidArgument
from services.shared.identity import Caller
from services.shared.protos import timestamp
from services.shared.structs import to_struct
from services.shared.time_zones import time_zone


@dataclass(frozen=True)
class OutputSpec:
    by_field_id: bool = False
    # Set for CELL_FORMAT_STRING only.
    zone: ZoneInfo | None = None
    locale: str = ""
    # The request's zone by its tz database name ("" when none is given: UTC).
    time_zone: str = ""


def output_spec(output: pb.Output) -> OutputSpec:
    """The request's output options, or INVALID_ARGUMENT."""
    if output.cell_format not in (
        pb.CELL_FORMAT_UNSPECIFIED,
        pb.CELL_FORMAT_JSON,
        pb.CELL_FORMAT_STRING,
    ):
        raise InvalidArgument("unknown cell format", fields={"output.cell_format": "unknown"})
    if output.cell_format != pb.CELL_FORMAT_STRING:
        # Formulas still run in the zone, so it is checked (and named canonically) here too.
        canonical = time_zone(output.time_zone).key if output.time_zone else ""
        return OutputSpec(output.return_fields_by_field_id, time_zone=canonical)
    missing = {
        f"output.{name}": "required when cell_format is string"
        for name in ("time_zone", "user_locale")
        if not getattr(output, name)
    }
    if missing:
        raise InvalidArgument(
            "the string cell format needs a time zone and a user locale",
            fields=missing,
        )
    zone = time_zone(output.time_zone)
    return OutputSpec(output.return_fields_by_field_id, zone, output.user_locale, zone.key)


class Renderer:
    def __init__(self, computed: Computed) -> None:
        self._computed = computed

    async def records(
        self,
        caller: Caller,
        base_id: str,
        table: TableSchema,
        rows: Sequence[Row],
        spec: OutputSpec,
        fields: Sequence[schema_pb2.Field] = (),
    ) -> list[pb.Record]:
        """`rows` as answers with `fields` (every field when empty)."""
        shown = list(fields) or table.fields
        computed = await self._computed.values(caller, base_id, table, rows, shown, spec.time_zone)
        names: dict[str, str] = {}
        if spec.zone is not None:
            names = await self._linked_names(caller, base_id, table, rows, shown, spec)
        answers = []
        for row in rows:
            cells: dict[str, Any] = {}
            for field in shown:
                is_computed = field.type in COMPUTED_TYPES
                value = computed[row.id].get(field.id) if is_computed else row.cells.get(field.id)
                # A retyped field's cells are converted after the change: until then, a cell
                # still of the old type shows as empty.
                if is_empty(value) or not (is_computed or has_shape(field.type, value)):
                    continue
                if spec.zone is not None:
                    options = table.options(field)
                    value = cell_string(value, field.type, options, spec.zone, spec.locale, names)
                cells[field.id if spec.by_field_id else field.name] = value
            answers.append(
                pb.Record(
                    id=row.id, created_time=timestamp(row.created_time), fields=to_struct(cells)
                )
            )
        return answers

    async def _linked_names(
        self,
        caller: Caller,
        base_id: str,
        table: TableSchema,
        rows: Sequence[Row],
        shown: Sequence[schema_pb2.Field],
        spec: OutputSpec,
    ) -> dict[str, str]:
        """The primary field strings of the records that shown link fields point to."""
        links = [field for field in shown if field.type == LINK]
        ids = {
            record_id
            for row in rows
            for field in links
            if has_shape(LINK, row.cells.get(field.id, []))
            for record_id in row.cells.get(field.id, [])
        }
        linked = list((await self._computed.rows(caller.tenant_id, base_id, ids)).values())
        names: dict[str, str] = {}
        for table_id in {str(table.options(field).get("linkedTableId", "")) for field in links}:
            other = await self._computed.schemas.get(caller, base_id, table_id)
            primary = other.by_id(other.pb.primary_field_id)
            if primary is None:
                continue
            key = primary.id if spec.by_field_id else primary.name
            for answer in await self.records(caller, base_id, other, linked, spec, [primary]):
                if key in answer.fields:
                    names[answer.id] = str(answer.fields[key])
        return names
