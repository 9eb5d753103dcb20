"""AggregateRecords: counts, sums, averages, minimums and maximums over the records a formula
selects, optionally grouped by one field, all in one SQL query.

Everything is computed in the database. A field whose values SQL cannot give (lookups, rollups,
formulas over them, formulas that do not translate) is refused with FAILED_PRECONDITION rather
than scanned in Python: an aggregation reads the whole table. A group's key is the cell as
Airtable's API shows it: a select's name, a number, text, or for multi-valued cells the whole
array (a record with ["a", "b"] is in the group ["a", "b"], not in "a" and "b").
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any

from google.protobuf import json_format, struct_pb2
from pyat.airtable.v1 import airtable_gateway_pb2 as pb
from pyat.schema.v1 import schema_pb2
from sqlalchemy import text

from services.airtable_gateway.native.formulas import Formulas
from services.airtable_gateway.native.tables import COMPUTED_TYPES, Schemas, TableSchema
from services.shared.db import Database
from services.shared.errors import FailedPrecondition, InvalidArgument
from services.shared.identity import Caller

MAX_AGGREGATIONS = 20
DEFAULT_GROUPS, MAX_GROUPS = 100, 1000
NUMERIC_TYPES = frozenset(
    {"number", "currency", "percent", "duration", "rating", "count", "autoNumber"}
)
_FUNCTIONS = {
    pb.AGGREGATE_FUNCTION_SUM: "SUM",
    pb.AGGREGATE_FUNCTION_AVERAGE: "AVG",
    pb.AGGREGATE_FUNCTION_MIN: "MIN",
    pb.AGGREGATE_FUNCTION_MAX: "MAX",
}
# Fields computed from linked records, in Python (see computed.py): SQL cannot read them.
_FROM_LINKS = frozenset({"multipleLookupValues", "rollup"})
# A stored cell's JSON that Airtable shows as no value.
_EMPTY_JSON = ("null", "false", '""', "[]", "{}")
_SAFE_ID = re.compile(r"^[A-Za-z0-9]+$")
_BIND = re.compile(r"(?<![:\w]):(\w+)")


@dataclass(frozen=True)
class Expression:
    """One field's value per record in SQL; `json` when it is the cell's JSON text."""

    sql: str
    params: dict[str, Any]
    json: bool = False


class Aggregates:
    def __init__(self, db: Database, schemas: Schemas, formulas: Formulas) -> None:
        self._db = db
        self._schemas = schemas
        self._formulas = formulas

    async def compute(
        self, caller: Caller, request: pb.AggregateRecordsRequest
    ) -> pb.AggregateRecordsResponse:
        _check_shape(request)
        max_groups = request.max_groups or DEFAULT_GROUPS
        names = [a.field for a in request.aggregations if a.field]
        if request.group_by:
            names.append(request.group_by)
        table = await self._schemas.get(caller, request.base_id, request.table, names)
        params: dict[str, Any] = {
            "tenant_id": caller.tenant_id,
            "base_id": request.base_id,
            "table_id": table.id,
            "group_limit": max_groups + 1,
        }
        columns = []
        for number, aggregation in enumerate(request.aggregations):
            sql = await self._aggregate(table, aggregation, number, params)
            columns.append(f"{sql} AS agg_{number}")
        where = "tenant_id = :tenant_id AND base_id = :base_id AND table_id = :table_id"
        if request.filter_by_formula:
            where += f" AND ({await self._filter(table, request.filter_by_formula, params)})"
        key = None
        if request.group_by:
            key = await self._expression(table, _field(table, request.group_by, "group_by"), "g")
            params.update(key.params)
        sql = _statement(key, columns, where)
        statement = text(sql).bindparams(
            **{name: value for name, value in params.items() if name in _BIND.findall(sql)}
        )
        async with self._db.read() as session:
            rows = (await session.execute(statement)).all()
        groups = [
            pb.AggregateGroup(
                key=_value(_key(row[0], key)),
                records=int(row[1]),
                values=[_value(value) for value in row[2:]],
            )
            for row in rows[:max_groups]
        ]
        return pb.AggregateRecordsResponse(groups=groups, truncated=len(rows) > max_groups)

    async def _aggregate(
        self,
        table: TableSchema,
        aggregation: pb.Aggregation,
        number: int,
        params: dict[str, Any],
    ) -> str:
        """The SQL aggregate for one aggregation, its params added to `params`."""
        argument = f"aggregations[{number}].field"
        if aggregation.function == pb.AGGREGATE_FUNCTION_COUNT:
            if not aggregation.field:
                return "COUNT(*)"
            field = _field(table, aggregation.field, argument)
            value = await self._expression(table, field, f"a{number}")
            params.update(value.params)
            return f"COUNT({value.sql})"
        if not aggregation.field:
            raise InvalidArgument(
                f"aggregations[{number}] needs a field", fields={argument: "required"}
            )
        field = _field(table, aggregation.field, argument)
        if not _is_numeric(table, field):
            message = f"field {field.name!r} is not a number field ({field.type})"
            raise InvalidArgument(message, fields={argument: message}, reason="NOT_A_NUMBER")
        value = await self._expression(table, field, f"a{number}", number=True)
        params.update(value.params)
        return f"{_FUNCTIONS[aggregation.function]}({value.sql})"

    async def _expression(
        self, table: TableSchema, field: schema_pb2.Field, prefix: str, *, number: bool = False
    ) -> Expression:
        """`field`'s value per record, NULL where the cell is empty: a stored cell as its JSON
        text, unless it is wanted as a `number`."""
        if not _SAFE_ID.match(field.id):
            raise _not_in_sql(field, "its id cannot be named in SQL")
        if field.type not in COMPUTED_TYPES and not number:
            return Expression(self._stored_json(field.id), {}, json=True)
        if field.type == "count":
            return Expression(self._link_count(table, field), {})
        if _reads_links(table, field, set()):
            raise _not_in_sql(field, "it is computed from linked records")
        # formula-engine reads cells and computes formulas in SQL as filters do.
        translated = await self._formulas.translate(table, f"{{{field.id}}}", "", "fields")
        if translated is None:
            raise _not_in_sql(field, "its formula does not translate to SQL")
        sql, _, params = translated.bound(prefix)
        if _result_type(table, field) not in NUMERIC_TYPES | {"checkbox", "dateTime", "date"}:
            sql = f"NULLIF({sql}, '')"  # text formulas give "" for no value
        return Expression(f"({sql})", params)

    def _stored_json(self, field_id: str) -> str:
        """The stored cell as JSON text, NULL when Airtable would show no value."""
        sql = (
            f"(cells -> '$.\"{field_id}\"')"
            if self._db.is_sqlite
            else f"CAST(cells -> '{field_id}' AS text)"
        )
        for empty in _EMPTY_JSON:
            sql = f"NULLIF({sql}, '{empty}')"
        return sql

    def _link_count(self, table: TableSchema, field: schema_pb2.Field) -> str:
        """A count field: how many records its link cell holds (computed.py counts the same)."""
        link = str(table.options(field).get("recordLinkFieldId", ""))
        if not _SAFE_ID.match(link):
            raise _not_in_sql(field, "its link field is missing")
        if self._db.is_sqlite:
            return f"CAST(COALESCE(json_array_length(cells, '$.\"{link}\"'), 0) AS REAL)"
        return (
            f"CAST((CASE WHEN jsonb_typeof(cells -> '{link}') = 'array' "
            f"THEN jsonb_array_length(cells -> '{link}') ELSE 0 END) AS double precision)"
        )

    async def _filter(self, table: TableSchema, formula: str, params: dict[str, Any]) -> str:
        for field in table.fields:
            # formula-engine would read a count from a cell that is never stored.
            named = f"{{{field.name}}}" in formula or f"{{{field.id}}}" in formula
            if named and _reads_links(table, field, set()):
                raise _not_in_sql(field, "it is computed from linked records")
        translated = await self._formulas.translate(table, formula, "", "filter_by_formula")
        if translated is None:
            raise FailedPrecondition(
                "filter_by_formula cannot be computed in the database, which aggregations "
                "need; use functions and fields that translate to SQL",
                reason="NOT_COMPUTABLE_IN_DATABASE",
            )
        _, condition, bound = translated.bound("f")
        params.update(bound)
        return condition


def _check_shape(request: pb.AggregateRecordsRequest) -> None:
    """What can be checked before the table is read."""
    count = len(request.aggregations)
    if not 1 <= count <= MAX_AGGREGATIONS:
        raise InvalidArgument(
            f"give 1 to {MAX_AGGREGATIONS} aggregations, not {count}",
            fields={"aggregations": "out of range"},
        )
    for number, aggregation in enumerate(request.aggregations):
        if aggregation.function not in (pb.AGGREGATE_FUNCTION_COUNT, *_FUNCTIONS):
            raise InvalidArgument(
                f"aggregations[{number}] has no valid function",
                fields={f"aggregations[{number}].function": "unspecified or unknown"},
            )
    if not 0 <= request.max_groups <= MAX_GROUPS:
        raise InvalidArgument(
            f"max_groups must be 1 to {MAX_GROUPS} (or 0 for {DEFAULT_GROUPS})",
            fields={"max_groups": "out of range"},
        )


def _statement(key: Expression | None, columns: list[str], where: str) -> str:
    aggregates = ", ".join(["COUNT(*) AS group_records", *columns])
    if key is None:
        # No GROUP BY: one row even when no record matches.
        return f"SELECT NULL AS group_key, {aggregates} FROM airtable_records WHERE {where}"
    selected = ", ".join(["group_key", "group_records", *(f"agg_{n}" for n in range(len(columns)))])
    # Largest groups first; ties by key, so that the groups cut off are always the same.
    return (
        f"SELECT {selected} FROM (SELECT {key.sql} AS group_key, {aggregates} "
        f"FROM airtable_records WHERE {where} GROUP BY group_key) AS grouped "
        "ORDER BY group_records DESC, group_key IS NULL, group_key LIMIT :group_limit"
    )


def _field(table: TableSchema, name: str, argument: str) -> schema_pb2.Field:
    return table.fields_named([name], argument)[0]


def _result_type(table: TableSchema, field: schema_pb2.Field) -> str:
    """The type a field's values have: formulas and rollups say so in `options.result`."""
    if field.type in ("formula", "rollup"):
        result = table.options(field).get("result") or {}
        return str(result.get("type", ""))
    return field.type


def _is_numeric(table: TableSchema, field: schema_pb2.Field) -> bool:
    return _result_type(table, field) in NUMERIC_TYPES


def _reads_links(table: TableSchema, field: schema_pb2.Field, seen: set[str]) -> bool:
    """Whether `field`'s value comes, directly or through formulas, from linked records."""
    if field.type in _FROM_LINKS or field.type == "count":
        return True
    if field.type != "formula" or field.id in seen:
        return False
    seen.add(field.id)
    referenced = table.options(field).get("referencedFieldIds") or []
    return any(
        used is not None and _reads_links(table, used, seen)
        for used in map(table.by_id, map(str, referenced))
    )


def _not_in_sql(field: schema_pb2.Field, why: str) -> FailedPrecondition:
    return FailedPrecondition(
        f"field {field.name!r} cannot be aggregated in the database: {why}",
        reason="NOT_COMPUTABLE_IN_DATABASE",
    )


def _key(raw: Any, key: Expression | None) -> Any:
    if key is not None and key.json and raw is not None:
        return json.loads(raw)
    return raw


def _value(value: Any) -> struct_pb2.Value:
    return json_format.ParseDict(value, struct_pb2.Value())
