"""Creating, updating (merge, replace, upsert) and deleting records of a native table: cells
checked by schema-service, then one transaction for the rows, the inverse links, the events
and the change log."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import grpc
from google.protobuf import struct_pb2
from pyat.airtable.v1 import airtable_gateway_pb2 as pb
from pyat.events.v1 import events_pb2
from pyat.schema.v1 import schema_pb2, schema_pb2_grpc
from sqlalchemy.ext.asyncio import AsyncSession

from services.airtable_gateway.native.changes import ChangeLog, prune_if_due
from services.airtable_gateway.native.links import Change, LinkedEdit, sync_links
from services.airtable_gateway.native.output import OutputSpec, Renderer
from services.airtable_gateway.native.quota import RecordQuota
from services.airtable_gateway.native.storage import (
    CREATED,
    DELETED,
    UPDATED,
    Row,
    Scope,
    cell_equals,
    delete_rows,
    ids_matching,
    insert_rows,
    rows_by_id,
    save_cells,
    take_numbers,
)
from services.airtable_gateway.native.tables import Schemas, TableSchema
from services.airtable_gateway.native.values import is_empty
from services.shared.clients import error_details, translate
from services.shared.db import utcnow
from services.shared.errors import InvalidArgument, NotFound
from services.shared.identity import Caller
from services.shared.ids import new_id
from services.shared.outbox import add_event
from services.shared.runtime import Runtime
from services.shared.structs import from_struct, to_struct
from services.shared.versions import Versions, records_scope

MAX_RECORDS = 10
MAX_MERGE_FIELDS = 3
SOURCE = "airtable-gateway"


def check_count(count: int, argument: str) -> None:
    if not 1 <= count <= MAX_RECORDS:
        raise InvalidArgument(
            f"send between 1 and {MAX_RECORDS} records per request",
            fields={argument: f"{count} given"},
            reason="INVALID_RECORDS",
        )


def record_not_found(record_id: str) -> NotFound:
    return NotFound(f"record {record_id!r} was not found", reason="ROW_DOES_NOT_EXIST")


class Writes:
    def __init__(
        self, runtime: Runtime, schemas: Schemas, renderer: Renderer, quota: RecordQuota
    ) -> None:
        self._runtime = runtime
        self._schemas = schemas
        self._renderer = renderer
        self._quota = quota
        self._stub = schema_pb2_grpc.SchemaServiceStub(runtime.clients.channel("schema"))
        self._versions = Versions(runtime.cache)

    async def create(
        self, caller: Caller, request: pb.CreateRecordsRequest
    ) -> pb.CreateRecordsResponse:
        check_count(len(request.records), "records")
        table = await self._schemas.get(caller, request.base_id, request.table)
        table, cells = await self._validate(
            caller, request.base_id, table, request.records, request.typecast
        )
        await self._quota.require_room(request.base_id, len(cells))
        scope = Scope(caller.tenant_id, request.base_id, table.id)
        log = ChangeLog()
        async with self._runtime.db.transaction() as session:
            rows = await self._insert(session, caller, scope, table, cells, log)
            await log.write(session, scope, caller.user_id, utcnow())
        await self._after_commit(scope)
        spec = OutputSpec(request.return_fields_by_field_id)
        answers = await self._renderer.records(caller, request.base_id, table, rows, spec)
        return pb.CreateRecordsResponse(records=answers)

    async def update(
        self, caller: Caller, request: pb.UpdateRecordsRequest
    ) -> pb.UpdateRecordsResponse:
        check_count(len(request.records), "records")
        upsert = len(request.fields_to_merge_on) > 0
        if len(request.fields_to_merge_on) > MAX_MERGE_FIELDS:
            raise InvalidArgument(
                f"fields_to_merge_on takes 1 to {MAX_MERGE_FIELDS} fields",
                fields={"fields_to_merge_on": "too many"},
            )
        for number, record in enumerate(request.records):
            if not upsert and not record.id:
                raise InvalidArgument(
                    "every record to update needs its id",
                    fields={f"records[{number}].id": "required"},
                )
        table = await self._schemas.get(
            caller, request.base_id, request.table, request.fields_to_merge_on
        )
        merging = table.fields_named(request.fields_to_merge_on, "fields_to_merge_on")
        merge_on = [field.id for field in merging]
        table, cells = await self._validate(
            caller,
            request.base_id,
            table,
            [record.fields for record in request.records],
            request.typecast,
        )
        scope = Scope(caller.tenant_id, request.base_id, table.id)
        async with self._runtime.db.transaction() as session:
            plan = await self._targets(session, scope, request, merge_on, cells)
            updates = [(record_id, values) for record_id, values in plan if record_id]
            creates = [values for record_id, values in plan if not record_id]
            if creates:
                await self._quota.require_room(request.base_id, len(creates))
            log = ChangeLog()
            rows = await self._update(session, caller, scope, table, updates, request.replace, log)
            created = await self._insert(session, caller, scope, table, creates, log)
            await log.write(session, scope, caller.user_id, utcnow())
        await self._after_commit(scope)
        # The answer follows the request's order; new records fill the slots left for them.
        by_id = {row.id: row for row in rows}
        made = iter(created)
        ordered = [by_id[record_id] if record_id else next(made) for record_id, _ in plan]
        spec = OutputSpec(request.return_fields_by_field_id)
        answer = pb.UpdateRecordsResponse(
            records=await self._renderer.records(caller, request.base_id, table, ordered, spec)
        )
        if upsert:
            answer.created_record_ids.extend(row.id for row in created)
            answer.updated_record_ids.extend(dict.fromkeys(row.id for row in rows))
        return answer

    async def delete(
        self, caller: Caller, request: pb.DeleteRecordsRequest
    ) -> pb.DeleteRecordsResponse:
        check_count(len(request.record_ids), "record_ids")
        table = await self._schemas.get(caller, request.base_id, request.table)
        scope = Scope(caller.tenant_id, request.base_id, table.id)
        ids = list(dict.fromkeys(request.record_ids))
        now = utcnow()
        log = ChangeLog()
        async with self._runtime.db.transaction() as session:
            rows = await rows_by_id(session, scope, ids, for_update=True)
            for record_id in ids:
                if record_id not in rows:
                    raise record_not_found(record_id)
            changes = [Change(row.id, row.cells, {}) for row in rows.values()]
            edits = await sync_links(session, caller, scope, table, changes, now)
            await delete_rows(session, scope, ids)
            for record_id in ids:
                event = events_pb2.RecordDeleted(
                    tenant_id=scope.tenant_id,
                    base_id=scope.base_id,
                    table_id=scope.table_id,
                    record_id=record_id,
                    actor_id=caller.user_id,
                )
                add_event(session, event, tenant_id=scope.tenant_id, source=SOURCE)
                log.add(scope.table_id, record_id, DELETED, [])
            _linked_events(session, caller, edits, log)
            await log.write(session, scope, caller.user_id, now)
        await self._after_commit(scope)
        return pb.DeleteRecordsResponse(deleted_record_ids=ids)

    async def _after_commit(self, scope: Scope) -> None:
        # Before the call answers, so that the writer's next read of the base sees the write.
        await self._versions.changed([records_scope(scope.tenant_id, scope.base_id)])
        self._runtime.outbox.notify()
        await prune_if_due(self._runtime.db, self._versions)

    async def _validate(
        self,
        caller: Caller,
        base_id: str,
        table: TableSchema,
        records: Sequence[struct_pb2.Struct],
        typecast: bool,
    ) -> tuple[TableSchema, list[dict[str, Any]]]:
        """The cells in stored form keyed by field id (None clears), from schema-service, and
        the table as it is after the check (typecast may add select choices)."""
        request = schema_pb2.ValidateCellsRequest(
            base_id=base_id, table_id=table.id, records=records, typecast=typecast
        )
        try:
            answer = await self._stub.ValidateCells(request)
        except grpc.aio.AioRpcError as err:
            raise _relayed("schema", err) from None
        await self._schemas.remember(caller, base_id, answer.table)
        return TableSchema(answer.table), [from_struct(record) for record in answer.records]

    async def _targets(
        self,
        session: AsyncSession,
        scope: Scope,
        request: pb.UpdateRecordsRequest,
        merge_on: Sequence[str],
        cells: list[dict[str, Any]],
    ) -> list[tuple[str, dict[str, Any]]]:
        """The record each update goes to, in order; "" for an upserted record that is new."""
        plan: list[tuple[str, dict[str, Any]]] = []
        dialect = session.get_bind().dialect.name
        for number, (record, values) in enumerate(zip(request.records, cells, strict=True)):
            if record.id or not merge_on:
                plan.append((record.id, values))
                continue
            if any(is_empty(values.get(field_id)) for field_id in merge_on):
                # An empty merge value matches no record, as at Airtable: it is created.
                plan.append(("", values))
                continue
            conditions = [cell_equals(dialect, field_id, values[field_id]) for field_id in merge_on]
            matches = await ids_matching(session, scope, conditions, limit=2)
            if len(matches) > 1:
                raise InvalidArgument(
                    "more than one record matches the fields to merge on",
                    fields={f"records[{number}]": "matches several records"},
                    reason="INVALID_VALUE_FOR_COLUMN",
                )
            plan.append((matches[0] if matches else "", values))
        return plan

    async def _insert(
        self,
        session: AsyncSession,
        caller: Caller,
        scope: Scope,
        table: TableSchema,
        cells: Sequence[dict[str, Any]],
        log: ChangeLog,
    ) -> list[Row]:
        if not cells:
            return []
        now = utcnow()
        numbers = await take_numbers(session, scope, len(cells))
        rows = [
            Row(
                id=new_id("rec"),
                cells={key: value for key, value in values.items() if not is_empty(value)},
                auto_number=number,
                created_time=now,
                last_modified_time=now,
                created_by=caller.user_id,
                last_modified_by=caller.user_id,
            )
            for number, values in zip(numbers, cells, strict=True)
        ]
        # Inserted first so that records created together may link to each other.
        await insert_rows(session, scope, rows)
        changes = [Change(row.id, {}, row.cells) for row in rows]
        edits = await sync_links(session, caller, scope, table, changes, now)
        for row in rows:
            event = events_pb2.RecordCreated(
                tenant_id=scope.tenant_id,
                base_id=scope.base_id,
                table_id=scope.table_id,
                record_id=row.id,
                fields=to_struct(row.cells),
                actor_id=caller.user_id,
            )
            add_event(session, event, tenant_id=scope.tenant_id, source=SOURCE)
            log.add(scope.table_id, row.id, CREATED, list(row.cells))
        _linked_events(session, caller, edits, log)
        return rows

    async def _update(
        self,
        session: AsyncSession,
        caller: Caller,
        scope: Scope,
        table: TableSchema,
        updates: Sequence[tuple[str, dict[str, Any]]],
        replace: bool,
        log: ChangeLog,
    ) -> list[Row]:
        if not updates:
            return []
        now = utcnow()
        rows = await rows_by_id(
            session, scope, [record_id for record_id, _ in updates], for_update=True
        )
        changes: list[Change] = []
        for record_id, values in updates:
            row = rows.get(record_id)
            if row is None:
                raise record_not_found(record_id)
            merged = dict(values) if replace else {**row.cells, **values}
            after = {key: value for key, value in merged.items() if not is_empty(value)}
            changes.append(Change(record_id, dict(row.cells), after))
            row.cells = after
        edits = await sync_links(session, caller, scope, table, changes, now)
        for change in changes:
            changed = sorted(
                key
                for key in {*change.before, *change.after}
                if change.before.get(key) != change.after.get(key)
            )
            if not changed:
                continue
            row = rows[change.record_id]
            row.last_modified_time = now
            row.last_modified_by = caller.user_id
            await save_cells(session, scope, row)
            _updated_event(session, caller, scope, row.id, changed, change.before, change.after)
            log.add(scope.table_id, row.id, UPDATED, changed)
        _linked_events(session, caller, edits, log)
        return [rows[record_id] for record_id, _ in updates]


def _updated_event(
    session: AsyncSession,
    caller: Caller,
    scope: Scope,
    record_id: str,
    changed: list[str],
    before: dict[str, Any],
    after: dict[str, Any],
) -> None:
    event = events_pb2.RecordUpdated(
        tenant_id=scope.tenant_id,
        base_id=scope.base_id,
        table_id=scope.table_id,
        record_id=record_id,
        changed_field_ids=changed,
        fields=to_struct({key: after[key] for key in changed if key in after}),
        previous_fields=to_struct({key: before[key] for key in changed if key in before}),
        actor_id=caller.user_id,
    )
    add_event(session, event, tenant_id=scope.tenant_id, source=SOURCE)


def _linked_events(
    session: AsyncSession, caller: Caller, edits: Sequence[LinkedEdit], log: ChangeLog
) -> None:
    """Events and change log entries of the linked records whose inverse cells changed."""
    for edit in edits:
        log.add(edit.scope.table_id, edit.row.id, UPDATED, list(edit.previous))
        before = {**edit.row.cells, **edit.previous}
        before = {key: value for key, value in before.items() if not is_empty(value)}
        _updated_event(
            session, caller, edit.scope, edit.row.id, sorted(edit.previous), before, edit.row.cells
        )


def _relayed(service: str, err: grpc.aio.AioRpcError) -> Exception:
    """An INVALID_ARGUMENT from another service passed on with its field details."""
    if err.code() is not grpc.StatusCode.INVALID_ARGUMENT:
        return translate(service, err)
    found = error_details(err)
    return InvalidArgument(
        err.details() or "invalid cells", fields=dict(found.violations), reason=found.reason
    )
