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
            sorts = _sorts(change, table, request.sorts)
            visible = _visible(change, table, request.visible_field_ids)
            formula = await self._filter(change, table, request.filter_by_formula, name)
            view = add_view(change, table, name, formula, sorts, visible)
        return _shown(change, table, view)

    async def update(
        self, caller: Caller, request: schema_pb2.UpdateViewRequest
    ) -> schema_pb2.View:
        paths = _mask(request.update_mask.paths)
        name = inputs.name(request.name, "name") if "name" in paths else ""
        async with self.store.change(caller, request.base_id) as change:
            table = change.table(request.table_id)
            view = _view(change, table, request.view_id)
            others = (v for v in change.schema.views_of(table.id) if v is not view)
            if name and any(v.name_key == inputs.key(name) for v in others):
                raise AlreadyExists(
                    f"a view named {name!r} already exists", reason="DUPLICATE_VIEW_NAME"
                )
            # Everything is checked before anything changes.
            changed: dict[str, object] = {}
            if name:
                changed.update(name=name, name_key=inputs.key(name))
            if "sorts" in paths:
                changed["sorts"] = _sorts(change, table, request.sorts)
            if "visible_field_ids" in paths:
                changed["visible_field_ids"] = _visible(change, table, request.visible_field_ids)
            if "filter_by_formula" in paths:
                formula = request.filter_by_formula
                what = name or view.name
                changed["filter_by_formula"] = await self._filter(change, table, formula, what)
            for attribute, value in changed.items():
                setattr(view, attribute, value)
            change.touch(table)
        return _shown(change, table, view)

    async def delete(self, caller: Caller, request: schema_pb2.DeleteViewRequest) -> None:
        async with self.store.change(caller, request.base_id) as change:
            table = change.table(request.table_id)
            view = _view(change, table, request.view_id)
            if len(change.schema.views_of(table.id)) == 1:
                raise FailedPrecondition(
                    "the last view of a table cannot be deleted", reason="LAST_VIEW"
                )
            await change.delete_view(table, view)

    async def _filter(self, change: Change, table: TableRow, formula: str, name: str) -> str:
        """The filter formula with field references by id; "" for none."""
        if not formula.strip():
            return ""
        checked = await self.checker.check(
            formula,
            messages.table_in(change.schema, table),
            where="filter_by_formula",
            what=f"view {name!r}",
        )
        return checked.normalized


# The fields of a view that UpdateView's mask may name.
UPDATABLE = ("name", "filter_by_formula", "sorts", "visible_field_ids")


def _mask(paths: Sequence[str]) -> set[str]:
    if not paths:
        _bad("update_mask", f"is required: name one or more of {', '.join(UPDATABLE)}")
    for path in paths:
        if path not in UPDATABLE:
            _bad("update_mask", f"names {path!r}, which is not one of {', '.join(UPDATABLE)}")
    return set(paths)


def _view(change: Change, table: TableRow, view_id: str) -> ViewRow:
    found = next((v for v in change.schema.views_of(table.id) if v.id == view_id), None)
    if found is None:
        raise NotFound(f"view {view_id!r} was not found", reason="VIEW_NOT_FOUND")
    return found


def _sorts(
    change: Change, table: TableRow, sorts: Sequence[schema_pb2.Sort]
) -> list[dict[str, str]]:
    field_ids = {f.id for f in change.schema.fields_of(table.id)}
    checked = []
    for i, sort in enumerate(sorts):
        direction = sort.direction or "asc"
        if sort.field_id not in field_ids:
            _bad(f"sorts[{i}].field_id", "is not a field of this table")
        if direction not in ("asc", "desc"):
            _bad(f"sorts[{i}].direction", "must be 'asc' or 'desc'")
        checked.append({"field_id": sort.field_id, "direction": direction})
    return checked


def _visible(change: Change, table: TableRow, visible_field_ids: Sequence[str]) -> list[str]:
    field_ids = {f.id for f in change.schema.fields_of(table.id)}
    for i, field_id in enumerate(visible_field_ids):
        if field_id not in field_ids or field_id in visible_field_ids[:i]:
            _bad(f"visible_field_ids[{i}]", "is not a field of this table, or repeats")
    return list(visible_field_ids)


def _shown(change: Change, table: TableRow, view: ViewRow) -> schema_pb2.View:
    names = {f.id: f.name for f in change.schema.fields_of(table.id)}
    return messages.view(view, names)


def _bad(where: str, problem: str) -> NoReturn:
    raise InvalidArgument(f"{where} {problem}", fields={where: problem})
