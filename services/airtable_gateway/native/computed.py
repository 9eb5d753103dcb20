"""The values of computed fields for a page of records: lookups, rollups and counts (from the
linked records, read in one query), record metadata, buttons, and formulas (one evaluation)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from pyat.formula.v1 import formula_pb2
from pyat.schema.v1 import schema_pb2
from sqlalchemy import select

from services.airtable_gateway.native.collaborators import Collaborators
from services.airtable_gateway.native.formulas import Formulas
from services.airtable_gateway.native.storage import ROW_COLUMNS, Row, records, to_row
from services.airtable_gateway.native.tables import Schemas, TableSchema
from services.airtable_gateway.native.values import iso
from services.shared.db import Database
from services.shared.identity import Caller
from services.shared.protos import timestamp
from services.shared.structs import to_struct

LINK_DERIVED = ("multipleLookupValues", "rollup", "count")
META = ("autoNumber", "createdTime", "lastModifiedTime", "createdBy", "lastModifiedBy", "button")
# The field that a rollup formula's `values` stands for, as schema-service checks it.
ROLLUP_VALUES_ID = "fldRollupValues00"
# Lookups of computed fields in linked tables recurse at most this deep (links go both ways).
_MAX_DEPTH = 2
# Values by record id, then by field id.
Values = dict[str, dict[str, Any]]


class Computed:
    def __init__(
        self, db: Database, schemas: Schemas, formulas: Formulas, collaborators: Collaborators
    ) -> None:
        self._db = db
        self.schemas = schemas
        self._formulas = formulas
        self._collaborators = collaborators

    async def values(
        self,
        caller: Caller,
        base_id: str,
        table: TableSchema,
        rows: Sequence[Row],
        fields: Iterable[schema_pb2.Field],
        time_zone: str = "",
        depth: int = 0,
    ) -> Values:
        """The computed cells of `rows` among `fields`. Formulas may use any other field, so
        when one is asked for, every other computed field is worked out for it too."""
        wanted = [field for field in fields if field.type in LINK_DERIVED + META + ("formula",)]
        formulas = [field for field in wanted if field.type == "formula"]
        if formulas:
            wanted = [field for field in table.fields if field.type in LINK_DERIVED + META]
        result: Values = {row.id: {} for row in rows}
        if not rows:
            return result
        linked = [field for field in wanted if field.type in LINK_DERIVED]
        if linked:
            await self._link_derived(caller, base_id, table, rows, linked, result, depth)
        await self._meta(caller, table, rows, [f for f in wanted if f.type in META], result)
        if formulas:
            await self._evaluate(table, rows, formulas, result, time_zone)
        return result

    async def _link_derived(
        self,
        caller: Caller,
        base_id: str,
        table: TableSchema,
        rows: Sequence[Row],
        fields: Sequence[schema_pb2.Field],
        result: Values,
        depth: int,
    ) -> None:
        link_of = {
            field.id: str(table.options(field).get("recordLinkFieldId", "")) for field in fields
        }
        linked_ids = {
            record_id
            for row in rows
            for link_id in set(link_of.values())
            for record_id in row.cells.get(link_id, [])
        }
        others = await self.rows(caller.tenant_id, base_id, linked_ids)
        for field in fields:
            options = table.options(field)
            link = table.by_id(link_of[field.id])
            if field.type == "count":
                for row in rows:
                    result[row.id][field.id] = len(row.cells.get(link_of[field.id], []))
                continue
            if link is None:
                continue
            linked_table = await self.schemas.get(
                caller, base_id, str(table.options(link).get("linkedTableId", ""))
            )
            target = linked_table.by_id(str(options.get("fieldIdInLinkedTable", "")))
            if target is None:
                continue
            target_values = await self._target_values(
                caller, base_id, linked_table, target, list(others.values()), depth
            )
            looked_up = {row.id: _looked_up(row, link.id, target_values) for row in rows}
            if field.type == "rollup":
                await self._roll_up(
                    table, target, str(options.get("formula", "")), looked_up, result, field.id
                )
            else:
                for row in rows:
                    result[row.id][field.id] = looked_up[row.id]

    async def _roll_up(
        self,
        table: TableSchema,
        target: schema_pb2.Field,
        formula: str,
        looked_up: dict[str, list[Any]],
        result: Values,
        field_id: str,
    ) -> None:
        """A rollup's formula over each record's looked-up `values`, in one evaluation: to
        formulas, `values` is a field of the looked-up field's type."""
        values = schema_pb2.Field(
            id=ROLLUP_VALUES_ID, name="values", type=target.type, options=target.options
        )
        stand_in = TableSchema(schema_pb2.Table(id=table.id, name=table.pb.name, fields=[values]))
        inputs = [
            formula_pb2.Record(id=record_id, cells=to_struct({ROLLUP_VALUES_ID: items}))
            for record_id, items in looked_up.items()
        ]
        evaluated = await self._formulas.evaluate(stand_in, [formula], inputs)
        for record_id, row_values in zip(looked_up, evaluated, strict=True):
            result[record_id][field_id] = row_values[0]

    async def _target_values(
        self,
        caller: Caller,
        base_id: str,
        table: TableSchema,
        target: schema_pb2.Field,
        rows: list[Row],
        depth: int,
    ) -> dict[str, Any]:
        """Each linked record's value of the looked-up field, stored or computed."""
        if target.type in LINK_DERIVED + META + ("formula",):
            if depth >= _MAX_DEPTH:
                return {}
            computed = await self.values(caller, base_id, table, rows, [target], depth=depth + 1)
            return {row.id: computed[row.id].get(target.id) for row in rows}
        return {row.id: row.cells.get(target.id) for row in rows}

    async def rows(self, tenant_id: str, base_id: str, record_ids: set[str]) -> dict[str, Row]:
        if not record_ids:
            return {}
        query = select(*ROW_COLUMNS).where(
            records.c.tenant_id == tenant_id,
            records.c.base_id == base_id,
            records.c.id.in_(sorted(record_ids)),
        )
        async with self._db.read() as session:
            found = (await session.execute(query)).all()
        return {row.id: row for row in map(to_row, found)}

    async def _meta(
        self,
        caller: Caller,
        table: TableSchema,
        rows: Sequence[Row],
        fields: Sequence[schema_pb2.Field],
        result: Values,
    ) -> None:
        people: dict[str, dict[str, Any]] = {}
        if any(field.type in ("createdBy", "lastModifiedBy") for field in fields):
            users = {row.created_by for row in rows} | {row.last_modified_by for row in rows}
            people = await self._collaborators.of(caller, users)
        for field in fields:
            options = table.options(field)
            for row in rows:
                result[row.id][field.id] = _meta_value(field.type, options, row, people)

    async def _evaluate(
        self,
        table: TableSchema,
        rows: Sequence[Row],
        formulas: Sequence[schema_pb2.Field],
        result: Values,
        time_zone: str,
    ) -> None:
        records_in = [formula_record(row, result[row.id]) for row in rows]
        texts = [str(table.options(field).get("formula", "")) for field in formulas]
        evaluated = await self._formulas.evaluate(table, texts, records_in, time_zone)
        for row, values in zip(rows, evaluated, strict=True):
            for field, value in zip(formulas, values, strict=True):
                result[row.id][field.id] = value


def formula_record(row: Row, computed: dict[str, Any]) -> formula_pb2.Record:
    """A record as formulas see it: stored cells plus the computed ones worked out so far."""
    return formula_pb2.Record(
        id=row.id,
        cells=to_struct({**row.cells, **computed}),
        created_time=timestamp(row.created_time),
        last_modified_time=timestamp(row.last_modified_time),
    )


def _looked_up(row: Row, link_id: str, target_values: dict[str, Any]) -> list[Any]:
    """The looked-up field's values over the record's links, in link order, flattened."""
    found: list[Any] = []
    for record_id in row.cells.get(link_id, []):
        value = target_values.get(record_id)
        if isinstance(value, list):
            found.extend(value)
        elif value is not None:
            found.append(value)
    return found


def _meta_value(
    kind: str, options: dict[str, Any], row: Row, people: dict[str, dict[str, Any]]
) -> Any:
    if kind == "autoNumber":
        return row.auto_number
    if kind == "createdTime":
        return iso(row.created_time)
    if kind == "lastModifiedTime":
        return iso(row.last_modified_time)
    if kind == "createdBy":
        return people.get(row.created_by, {"id": row.created_by})
    if kind == "lastModifiedBy":
        return people.get(row.last_modified_by, {"id": row.last_modified_by})
    button = {"label": str(options.get("label", ""))}
    if options.get("url"):
        button["url"] = str(options["url"])
    return button
