"""A retyped field's stored cells converted to its new type (see conversions.py), a page of
records per transaction, so that a big table never holds one long transaction or lock. Cells
are converted toward the field's type as schema-service has it now: a repeated or late event
converts nothing twice. Changed records are logged as updated by whoever retyped the field,
as renamed choices are."""

from __future__ import annotations

import json
import logging
from collections.abc import Sequence
from typing import Any

import grpc
from pyat.events.v1 import events_pb2
from pyat.schema.v1 import schema_pb2, schema_pb2_grpc
from sqlalchemy import bindparam, cast, func, select, update
from sqlalchemy.dialects.postgresql import JSONB

from services.airtable_gateway.native.collaborators import Collaborators
from services.airtable_gateway.native.conversions import (
    SELECT_TYPES,
    choice_names,
    converted,
    wanted_choices,
)
from services.airtable_gateway.native.storage import (
    ROW_COLUMNS,
    UPDATED,
    LoggedChange,
    Row,
    Scope,
    log_changes,
    records,
    rows_by_id,
    to_row,
)
from services.airtable_gateway.native.tables import Schemas, TableSchema
from services.airtable_gateway.native.values import iso
from services.shared import identity
from services.shared.clients import translate
from services.shared.db import Database, utcnow
from services.shared.errors import NotFound, PermissionDenied
from services.shared.identity import Caller
from services.shared.runtime import Runtime
from services.shared.structs import to_struct
from services.shared.versions import Versions, records_scope

log = logging.getLogger("pyat.airtable_gateway.retype")

SERVICE = "airtable-gateway"
# Records per transaction: a few milliseconds of locks each.
PAGE = 500
# Computed types whose values the records hold themselves, so a retype keeps them: the type
# of field their values are like.
KEPT_FROM_RECORD = {
    "autoNumber": "number",
    "createdTime": "dateTime",
    "lastModifiedTime": "dateTime",
    "createdBy": "singleCollaborator",
    "lastModifiedBy": "singleCollaborator",
}
_TRANSIENT = frozenset(
    {grpc.StatusCode.UNAVAILABLE, grpc.StatusCode.DEADLINE_EXCEEDED, grpc.StatusCode.ABORTED}
)


class Retyping:
    def __init__(self, runtime: Runtime) -> None:
        self._db: Database = runtime.db
        self._schemas = Schemas(runtime)
        self._collaborators = Collaborators(runtime)
        self._stub = schema_pb2_grpc.SchemaServiceStub(runtime.clients.channel("schema"))
        self._versions = Versions(runtime.cache)

    async def convert(self, event: events_pb2.FieldChanged) -> int:
        """Convert the cells of the field `event` retyped; returns how many records changed."""
        caller = Caller.service(SERVICE, tenant_id=event.tenant_id, user_id=event.actor_id)
        identity.act_as(caller)
        try:
            table = await self._schemas.fetch(caller, event.base_id, event.table_id)
        except (NotFound, PermissionDenied):
            # The table is gone (its records with it), or whoever retyped it lost it since.
            log.warning("not converting %s of %s: out of reach", event.field_id, event.table_id)
            return 0
        field = table.by_id(event.field_id)
        if field is None:
            return 0  # deleted since: its cells are never read again
        retype = _Retype(
            Scope(event.tenant_id, event.base_id, event.table_id),
            field,
            table.options(field),
            event.previous_type,
            event.actor_id,
        )
        changed, after = 0, 0
        while rows := await self._page(retype, after):
            after = rows[-1].auto_number
            changed += await self._convert_page(caller, retype, rows)
        return changed

    async def _page(self, retype: _Retype, after: int) -> list[Row]:
        """The next records, in auto number order, that have a cell to convert."""
        query = (
            select(*ROW_COLUMNS)
            .where(*retype.scope.where(), records.c.auto_number > after)
            .order_by(records.c.auto_number)
            .limit(PAGE)
        )
        async with self._db.read() as session:
            if retype.source not in KEPT_FROM_RECORD:
                query = query.where(_has_cell(session.get_bind().dialect.name, retype.field.id))
            return [to_row(values) for values in (await session.execute(query)).all()]

    async def _convert_page(self, caller: Caller, retype: _Retype, rows: Sequence[Row]) -> int:
        if retype.source in ("createdBy", "lastModifiedBy"):
            users = {row.created_by for row in rows} | {row.last_modified_by for row in rows}
            retype.people = await self._collaborators.of(caller, users)
        if retype.field.type in SELECT_TYPES:
            await self._add_choices(retype, rows)
        # Converted again from the locked rows: a write since the page was read wins.
        async with self._db.transaction() as session:
            locked = await rows_by_id(session, retype.scope, [r.id for r in rows], for_update=True)
            changed = {
                row.id: cells
                for row in locked.values()
                if (cells := retype.cells_of(row)) is not None
            }
            if not changed:
                return 0
            await session.execute(
                update(records)
                .where(records.c.id == bindparam("record_id"))
                .values(cells=bindparam("new_cells")),
                [{"record_id": i, "new_cells": cells} for i, cells in changed.items()],
            )
            scope = retype.scope
            logged = [LoggedChange(scope.table_id, i, UPDATED, [retype.field.id]) for i in changed]
            await log_changes(
                session, scope.tenant_id, scope.base_id, retype.actor_id, utcnow(), logged
            )
        await self._versions.changed([records_scope(scope.tenant_id, scope.base_id)])
        return len(changed)

    async def _add_choices(self, retype: _Retype, rows: Sequence[Row]) -> None:
        """The choices the page's cells need that the field lacks, added through
        schema-service as typecast adds them."""
        field, known = retype.field, choice_names(retype.options)
        needed = dict.fromkeys(
            name
            for row in rows
            for name in wanted_choices(retype.value(row), retype.source, field.type)
            if name not in known
        )
        if not needed:
            return
        names = list(needed)
        cells = (
            [{field.id: n} for n in names] if field.type == "singleSelect" else [{field.id: names}]
        )
        request = schema_pb2.ValidateCellsRequest(
            base_id=retype.scope.base_id,
            table_id=retype.scope.table_id,
            records=[to_struct(c) for c in cells],
            typecast=True,
        )
        try:
            answer = await self._stub.ValidateCells(request)
        except grpc.aio.AioRpcError as err:
            if err.code() in _TRANSIENT:
                raise translate("schema", err) from None
            # Refused for good (the field changed again, or the right to edit is gone): the
            # cells that needed the choices are cleared, as what cannot be converted is.
            log.warning("could not add choices to %s: %s", field.id, err.details())
            return
        table = TableSchema(answer.table)
        now = table.by_id(field.id)
        if now is not None and now.type == field.type:
            retype.options = table.options(now)


class _Retype:
    """One field's conversion: where, to what, from what, and on whose behalf."""

    def __init__(
        self,
        scope: Scope,
        field: schema_pb2.Field,
        options: dict[str, Any],
        source: str,
        actor_id: str,
    ) -> None:
        self.scope = scope
        self.field = field
        self.options = options
        self.source = source
        self.actor_id = actor_id
        # Collaborator values of the records' creators and editors, by user id.
        self.people: dict[str, dict[str, Any]] = {}

    def value(self, row: Row) -> Any:
        """The cell to convert: stored, or for a field that was record metadata, that."""
        if self.field.id in row.cells or self.source not in KEPT_FROM_RECORD:
            return row.cells.get(self.field.id)
        user = row.created_by if self.source == "createdBy" else row.last_modified_by
        return {
            "autoNumber": row.auto_number,
            "createdTime": iso(row.created_time),
            "lastModifiedTime": iso(row.last_modified_time),
        }.get(self.source, self.people.get(user, {"id": user}))

    def cells_of(self, row: Row) -> dict[str, Any] | None:
        """The record's cells with this field converted, or None when they stay as they are."""
        old = row.cells.get(self.field.id)
        source = KEPT_FROM_RECORD.get(self.source, self.source)
        new = converted(self.value(row), source, self.field.type, self.options)
        if _same(old, new):
            return None
        cells = dict(row.cells)
        if new is None:
            cells.pop(self.field.id, None)
        else:
            cells[self.field.id] = new
        return cells


def _same(old: Any, new: Any) -> bool:
    """Equal as JSON, where True is not 1."""
    return json.dumps(old, sort_keys=True) == json.dumps(new, sort_keys=True)


def _has_cell(dialect: str, field_id: str) -> Any:
    if dialect == "postgresql":
        return cast(records.c.cells, JSONB).has_key(field_id)
    return func.json_type(records.c.cells, f'$."{field_id}"').is_not(None)
