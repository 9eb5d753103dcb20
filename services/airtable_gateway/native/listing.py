"""ListRecords: one page of a table, from an offset or any position (with the total when asked),
filtered and sorted in the database whenever the formulas translate to SQL, and evaluated in
Python over the candidates when they do not."""

from __future__ import annotations

import re
import time
from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Any

from pyat.airtable.v1 import airtable_gateway_pb2 as pb
from sqlalchemy import Select, TextClause, TextualSelect, func, select, text

from services.airtable_gateway.native.computed import LINK_DERIVED, Computed, formula_record
from services.airtable_gateway.native.formulas import RECORDS_SCANNED, Formulas, Translation
from services.airtable_gateway.native.offsets import Offsets, query_hash
from services.airtable_gateway.native.output import Renderer, output_spec
from services.airtable_gateway.native.sort_indexes import SortIndexes, with_index
from services.airtable_gateway.native.storage import ROW_COLUMNS, Row, Scope, records, to_row
from services.airtable_gateway.native.tables import Schemas, TableSchema
from services.shared.db import Database
from services.shared.errors import InvalidArgument
from services.shared.identity import Caller

MAX_PAGE = 100
# Records per EvaluateRecords call when filtering or sorting in Python.
_BATCH = 1000
# Seconds one list may spend filtering and sorting in Python. formula-engine bounds each
# batch (see services/formula/limits.py); this bounds how many batches a table may take.
SCAN_BUDGET_S = 10.0
_BIND = re.compile(r"(?<![:\w]):(\w+)")


@dataclass(frozen=True)
class SortKey:
    field_id: str
    descending: bool


@dataclass(frozen=True)
class Query:
    """What decides which records a list holds and in which order."""

    table: TableSchema
    filters: tuple[tuple[str, str], ...]  # (formula, the request field it came from)
    sorts: tuple[SortKey, ...]
    time_zone: str


class Listing:
    def __init__(
        self,
        db: Database,
        schemas: Schemas,
        formulas: Formulas,
        computed: Computed,
        renderer: Renderer,
        offsets: Offsets,
        sort_indexes: SortIndexes,
    ) -> None:
        self._db = db
        self._sort_indexes = sort_indexes
        self._schemas = schemas
        self._formulas = formulas
        self._computed = computed
        self._renderer = renderer
        self._offsets = offsets

    async def page(self, caller: Caller, request: pb.ListRecordsRequest) -> pb.ListRecordsResponse:
        page_size = request.page_size or MAX_PAGE
        if not 1 <= page_size <= MAX_PAGE:
            raise InvalidArgument(
                f"page_size must be between 1 and {MAX_PAGE}", fields={"page_size": "out of range"}
            )
        if request.max_records < 0:
            raise InvalidArgument("max_records cannot be negative", fields={"max_records": "< 0"})
        if request.start < 0:
            raise InvalidArgument("start cannot be negative", fields={"start": "< 0"})
        if request.start and request.offset:
            raise InvalidArgument(
                "give start or offset, not both", fields={"start": "not with an offset"}
            )
        spec = output_spec(request.output)
        names = [*request.fields, *(sort.field for sort in request.sorts)]
        table = await self._schemas.get(caller, request.base_id, request.table, names, request.view)
        fields = table.fields_named(request.fields, "fields")
        query = _query(table, request, spec.time_zone)
        digest = query_hash(
            table.id,
            query.filters,
            [(key.field_id, key.descending) for key in query.sorts],
            request.max_records,
        )
        position = (
            self._offsets.position(request.offset, digest) if request.offset else request.start
        )
        limit = page_size
        if request.max_records:
            limit = min(page_size, request.max_records - position)
        # One more than the page, to tell whether another follows.
        wanted = limit + 1 if limit > 0 else 0
        scope = Scope(caller.tenant_id, request.base_id, table.id)
        rows: list[Row] = []
        total = 0
        if wanted or request.count_total:
            try:
                rows, total = await self._rows(
                    caller, scope, query, position, wanted, request.count_total
                )
            except InvalidArgument:
                # A formula may name a field made since the table was cached: retry once.
                fresh = await self._schemas.fetch(caller, request.base_id, table.id)
                if fresh.pb.version == table.pb.version:
                    raise
                table, query = fresh, replace(query, table=fresh)
                rows, total = await self._rows(
                    caller, scope, query, position, wanted, request.count_total
                )
        more = len(rows) > limit and position + limit != request.max_records
        rows = rows[: max(limit, 0)]
        answer = pb.ListRecordsResponse(
            records=await self._renderer.records(caller, request.base_id, table, rows, spec, fields)
        )
        if more:
            answer.offset = self._offsets.issue(digest, position + len(rows))
        if request.count_total:
            answer.total = min(total, request.max_records) if request.max_records else total
        return answer

    async def _rows(
        self,
        caller: Caller,
        scope: Scope,
        query: Query,
        position: int,
        count: int,
        count_total: bool,
    ) -> tuple[list[Row], int]:
        """Up to `count` rows from `position` on, and how many the query matches in all when
        `count_total` (else 0)."""
        table, zone = query.table, query.time_zone
        conditions: list[TextClause] = []
        untranslated: list[str] = []
        for formula, argument in query.filters:
            translated = await self._formulas.translate(table, formula, zone, argument)
            if translated is None:
                untranslated.append(formula)
            else:
                _, condition, params = translated.bound(f"f{len(conditions)}")
                conditions.append(_bound(f"({condition})", params))
        orders: list[TextClause] = []
        index = None
        for number, key in enumerate(query.sorts):
            sort = await self._formulas.translate(table, f"{{{key.field_id}}}", zone, "sorts")
            if sort is None:
                break
            if number == 0 and not sort.params:
                index = self._sort_indexes.ensure(table.id, _indexed_field(table, key), sort.sql)
            orders.append(_order(sort, key, f"s{number}"))
        where = (*scope.where(literal_table=True), *conditions)
        statement = select(*ROW_COLUMNS).where(*where)
        if untranslated or len(orders) < len(query.sorts):
            return await self._python_page(
                caller, scope, statement, query, untranslated, position, count
            )
        ordered = statement.order_by(*orders, records.c.auto_number).limit(count).offset(position)
        page: Select[Any] | TextualSelect = ordered
        if index is not None and self._db.is_sqlite:
            page = with_index(ordered, index)
        rows: list[Row] = []
        total = 0
        async with self._db.read() as session:
            if count:
                rows = [to_row(values) for values in (await session.execute(page)).all()]
            if count_total:
                total = (
                    await session.scalar(select(func.count()).select_from(records).where(*where))
                    or 0
                )
        return rows, total

    async def _python_page(
        self,
        caller: Caller,
        scope: Scope,
        statement: Select[Any],
        query: Query,
        filters: Sequence[str],
        position: int,
        count: int,
    ) -> tuple[list[Row], int]:
        """Filter and sort the candidates SQL left over by evaluating the formulas in batches:
        `count` of them from `position` on, and how many were kept in all."""
        table = query.table
        formulas = [*filters, *(f"{{{key.field_id}}}" for key in query.sorts)]
        derived = [field for field in table.fields if field.type in LINK_DERIVED]
        kept: list[tuple[Row, list[Any]]] = []
        deadline = time.monotonic() + SCAN_BUDGET_S
        async with self._db.read() as session:
            result = await session.stream(statement.order_by(records.c.auto_number))
            try:
                async for batch in result.partitions(_BATCH):
                    if time.monotonic() > deadline:
                        raise _over_budget(bool(filters))
                    rows = [to_row(values) for values in batch]
                    RECORDS_SCANNED.inc(len(rows))
                    computed = await self._computed.values(
                        caller, scope.base_id, table, rows, derived
                    )
                    evaluated = await self._formulas.evaluate(
                        table,
                        formulas,
                        [formula_record(row, computed[row.id]) for row in rows],
                        query.time_zone,
                        "filter_by_formula",
                    )
                    for row, values in zip(rows, evaluated, strict=True):
                        if all(_truthy(value) for value in values[: len(filters)]):
                            kept.append((row, values[len(filters) :]))
            finally:
                # A scan left part-read would keep its statement, and on SQLite its read
                # snapshot, on the pooled connection: the next transaction there to write
                # would fail at once ("database is locked") once another writer committed.
                await result.close()
        # Stable sorts from the last key to the first order by all keys together.
        for index in reversed(range(len(query.sorts))):
            kept.sort(
                key=lambda item: _sort_value(item[1][index]), reverse=query.sorts[index].descending
            )
        return [row for row, _ in kept[position : position + count]], len(kept)


def _over_budget(filtered: bool) -> InvalidArgument:
    what, field = ("filterByFormula", "filter_by_formula") if filtered else ("the sort", "sorts")
    message = (
        f"{what} took longer than {SCAN_BUDGET_S:g} s to evaluate over this table's records; "
        "try a simpler formula"
    )
    return InvalidArgument(
        message,
        fields={field: message},
        reason="INVALID_FILTER_BY_FORMULA" if filtered else "INVALID_SORT",
    )


def _query(table: TableSchema, request: pb.ListRecordsRequest, time_zone: str) -> Query:
    """`time_zone` is the request's, as `output_spec` resolved it."""
    view = table.view(request.view) if request.view else None
    filters = []
    if view is not None and view.filter_by_formula:
        filters.append((view.filter_by_formula, "view"))
    if request.filter_by_formula:
        filters.append((request.filter_by_formula, "filter_by_formula"))
    sorts: list[SortKey] = []
    for number, sort in enumerate(request.sorts):
        field = table.field(sort.field)
        if field is None or sort.direction not in ("", "asc", "desc"):
            problem = "unknown field" if field is None else "direction must be asc or desc"
            raise InvalidArgument(
                f"invalid sort: {problem}",
                fields={f"sorts[{number}]": problem},
                reason="INVALID_SORT" if field else "UNKNOWN_FIELD_NAME",
            )
        sorts.append(SortKey(field.id, sort.direction == "desc"))
    if not sorts and view is not None:
        sorts = [SortKey(sort.field_id, sort.direction == "desc") for sort in view.sorts]
    return Query(table, tuple(filters), tuple(sorts), time_zone)


def _indexed_field(table: TableSchema, key: SortKey) -> str:
    """The field a sort index reads: a count's SQL reads its link cell, so counts over one link
    share one index, and deleting the link field drops it (see events.py)."""
    field = table.by_id(key.field_id)
    if field is not None and field.type == "count":
        return str(table.options(field).get("recordLinkFieldId", "")) or key.field_id
    return key.field_id


def _bound(sql: str, params: dict[str, Any]) -> TextClause:
    """A text fragment with the params it uses (a translation may carry more)."""
    used = set(_BIND.findall(sql))
    return text(sql).bindparams(**{name: value for name, value in params.items() if name in used})


def _order(sort: Translation, key: SortKey, prefix: str) -> TextClause:
    sql, _, params = sort.bound(prefix)
    # Empty cells sort before everything, as in Airtable.
    direction = "DESC NULLS LAST" if key.descending else "ASC NULLS FIRST"
    return _bound(f"({sql}) {direction}", params)


def _truthy(value: Any) -> bool:
    return not (
        value in (None, "", 0, False, [], {})
        or (isinstance(value, dict) and ("error" in value or "specialValue" in value))
    )


def _sort_value(value: Any) -> tuple[int, Any]:
    """Orders values of mixed kinds: empty first, then numbers and booleans, then text."""
    if value in (None, "", []) or isinstance(value, dict):
        return (0, 0)
    if isinstance(value, bool | int | float):
        return (1, float(value))
    if isinstance(value, list):
        return (2, ", ".join(map(str, value)).lower())
    return (2, str(value).lower())
