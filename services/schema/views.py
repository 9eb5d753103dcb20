"""Grid views: a filter formula (stored with field ids), a sort and the fields shown."""

from __future__ import annotations

from collections.abc import Sequence
from typing import NoReturn

from pyat.schema.v1 import schema_pb2

from services.schema import inputs, messages
from services.schema.changes import Change, SchemaStore
from services.schema.formulas import FormulaChecker
from services.schema.storage import TableRow, ViewRow
from services.shared.errors import AlreadyExists, FailedPrecondition, InvalidArgument, NotFound
from services.shared.identity import Caller
from services.shared.ids import new_id


def add_view(
    change: Change,
    table: TableRow,
    name: str,
    filter_by_formula: str = "",
    sorts: Sequence[dict[str, str]] = (),
    visible_field_ids: Sequence[str] = (),
) -> ViewRow:
    views = change.schema.views_of(table.id)
    if any(v.name_key == inputs.key(name) for v in views):
        raise AlreadyExists(f"a view named {name!r} already exists", reason="DUPLICATE_VIEW_NAME")
    view = ViewRow(
        id=new_id("viw"),
        tenant_id=change.caller.tenant_id,
        table_id=table.id,
        name=name,
        name_key=inputs.key(name),
        type="grid",
        filter_by_formula=filter_by_formula,
        sorts=list(sorts),
        visible_field_ids=list(visible_field_ids),
        position=max((v.position for v in views), default=-1) + 1,
    )
    change.add_view(table, view)
    return view


class Views:
    def __init__(self, store: SchemaStore, checker: FormulaChecker) -> None:
        self.store = store
        self.checker = checker

    async def create(
        self, caller: Caller, request: schema_pb2.CreateViewRequest
    ) -> schema_pb2.View:
        name = inputs.name(request.name, "name")
        async with self.store.change(caller, request.base_id) as change:
            table = change.table(request.table_id)
            field_ids = {f.id for f in change.schema.fields_of(table.id)}
            sorts = []
            for i, sort in enumerate(request.sorts):
                direction = sort.direction or "asc"
                if sort.field_id not in field_ids:
                    _bad(f"sorts[{i}].field_id", "is not a field of this table")
                if direction not in ("asc", "desc"):
                    _bad(f"sorts[{i}].direction", "must be 'asc' or 'desc'")
                sorts.append({"field_id": sort.field_id, "direction": direction})
            for i, field_id in enumerate(request.visible_field_ids):
                if field_id not in field_ids or field_id in request.visible_field_ids[:i]:
                    _bad(f"visible_field_ids[{i}]", "is not a field of this table, or repeats")
            normalized = ""
            if request.filter_by_formula.strip():
                checked = await self.checker.check(
                    request.filter_by_formula,
                    messages.table_in(change.schema, table),
                    where="filter_by_formula",
                    what=f"view {name!r}",
                )
                normalized = checked.normalized
            view = add_view(change, table, name, normalized, sorts, list(request.visible_field_ids))
        names = {f.id: f.name for f in change.schema.fields_of(table.id)}
        return messages.view(view, names)

    async def delete(self, caller: Caller, request: schema_pb2.DeleteViewRequest) -> None:
        async with self.store.change(caller, request.base_id) as change:
            table = change.table(request.table_id)
            views = change.schema.views_of(table.id)
            view = next((v for v in views if v.id == request.view_id), None)
            if view is None:
                raise NotFound(f"view {request.view_id!r} was not found", reason="VIEW_NOT_FOUND")
            if len(views) == 1:
                raise FailedPrecondition(
                    "the last view of a table cannot be deleted", reason="LAST_VIEW"
                )
            await change.delete_view(table, view)


def _bad(where: str, problem: str) -> NoReturn:
    raise InvalidArgument(f"{where} {problem}", fields={where: problem})
