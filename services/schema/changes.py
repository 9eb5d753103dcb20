"""How every RPC reaches a base's schema: the caller's right is checked, only rows of their
tenant are read, and a change happens in one transaction that locks the base's tables, bumps
the version of each table it touches and emits its events; once it commits, the base's schema
token (services.shared.versions) is replaced."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass

from pyat.events.v1 import events_pb2
from pyat.permission.v1 import permission_pb2
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from services.schema import inputs
from services.schema.storage import BaseSchema, FieldRow, TableRow, ViewRow, load_schema
from services.shared.base_access import Action, BaseAccess
from services.shared.errors import AlreadyExists, NotFound
from services.shared.identity import Caller
from services.shared.ids import looks_like
from services.shared.outbox import add_event
from services.shared.runtime import Runtime
from services.shared.versions import Versions, schema_scope

SOURCE = "schema-service"
READ = permission_pb2.ACTION_READ
EDIT_SCHEMA = permission_pb2.ACTION_EDIT_SCHEMA


def table_not_found(ref: str) -> NotFound:
    return NotFound(f"table {ref!r} was not found in this base", reason="TABLE_NOT_FOUND")


def find_table(schema: BaseSchema, ref: str) -> TableRow:
    """A table by id, else by name (exactly, then regardless of case)."""
    inputs.required(ref, "table")
    key = inputs.key(ref)
    for match in ("id", "name", "name_key"):
        wanted = key if match == "name_key" else ref
        found = next((t for t in schema.tables if getattr(t, match) == wanted), None)
        if found is not None:
            return found
    raise table_not_found(ref)


@dataclass(frozen=True)
class ChoiceChanges:
    """What a change did to a select field's choices: old name to new, and names removed."""

    renamed: dict[str, str]
    removed: list[str]


class Change:
    """One schema change of a base, on its locked rows."""

    def __init__(
        self, session: AsyncSession, caller: Caller, base_id: str, schema: BaseSchema
    ) -> None:
        self.session = session
        self.caller = caller
        self.base_id = base_id
        self.schema = schema
        self._touched: dict[str, TableRow] = {}
        self._deleted: set[str] = set()
        # Positions promised to fields not added yet, by table id (see `next_position`).
        self.reserved: dict[str, int] = {}

    def table(self, ref: str) -> TableRow:
        return find_table(self.schema, ref)

    def field(self, table: TableRow, field_id: str) -> FieldRow:
        found = next((f for f in self.schema.fields_of(table.id) if f.id == field_id), None)
        if found is None:
            raise NotFound(f"field {field_id!r} was not found", reason="FIELD_NOT_FOUND")
        return found

    def next_position(self, table_id: str) -> int:
        """The position of a field added at the end of a table."""
        taken = [f.position for f in self.schema.fields_of(table_id)]
        return max([*taken, self.reserved.get(table_id, 0) - 1]) + 1

    def add_table(self, table: TableRow) -> None:
        self.schema.tables.append(table)
        self.session.add(table)
        self._event(events_pb2.TableChanged(table_id=table.id, change="created"))
        self.touch(table)

    def add_field(self, table: TableRow, field: FieldRow) -> None:
        self.schema.fields_of(table.id).append(field)
        self.session.add(field)
        self.field_changed(table, field, "created")

    def add_view(self, table: TableRow, view: ViewRow) -> None:
        self.schema.views_of(table.id).append(view)
        self.session.add(view)
        self.touch(table)

    async def delete_table(self, table: TableRow) -> None:
        self.schema.tables.remove(table)
        self._deleted.add(table.id)
        await self.session.delete(table)  # its fields and views go with it (ON DELETE CASCADE)
        self._event(events_pb2.TableChanged(table_id=table.id, change="deleted"))

    async def delete_field(self, table: TableRow, field: FieldRow) -> None:
        self.schema.fields_of(table.id).remove(field)
        await self.session.delete(field)
        self.field_changed(table, field, "deleted")

    async def delete_view(self, table: TableRow, view: ViewRow) -> None:
        self.schema.views_of(table.id).remove(view)
        await self.session.delete(view)
        self.touch(table)

    def table_changed(self, table: TableRow) -> None:
        self._event(events_pb2.TableChanged(table_id=table.id, change="updated"))
        self.touch(table)

    def field_changed(
        self,
        table: TableRow,
        field: FieldRow,
        change: str,
        choices: ChoiceChanges | None = None,
        previous_type: str = "",
    ) -> None:
        """FieldChanged; with `previous_type` when the change retyped the field, so that
        airtable-gateway converts the stored cells."""
        event = events_pb2.FieldChanged(table_id=table.id, field_id=field.id, change=change)
        if previous_type:
            event.previous_type, event.type = previous_type, field.type
        if choices is not None:
            event.renamed_choices.update(choices.renamed)
            event.removed_choices.extend(choices.removed)
        self._event(event)
        self.touch(table)

    def touch(self, table: TableRow) -> None:
        """The table's schema changed: its version grows once for this change."""
        self._touched[table.id] = table

    def _event(self, payload: events_pb2.TableChanged | events_pb2.FieldChanged) -> None:
        payload.tenant_id = self.caller.tenant_id
        payload.base_id = self.base_id
        payload.actor_id = self.caller.user_id
        add_event(self.session, payload, tenant_id=self.caller.tenant_id, source=SOURCE)

    async def finish(self) -> None:
        for table_id, table in self._touched.items():
            if table_id not in self._deleted:
                table.version += 1
        await self.session.flush()


class SchemaStore:
    """Reads and changes of a base's schema, on behalf of a caller."""

    def __init__(self, runtime: Runtime) -> None:
        self.runtime = runtime
        self.access = BaseAccess(runtime)
        self.versions = Versions(runtime.cache)

    async def read(
        self, caller: Caller, base_id: str, table_ref: str = "", action: Action = READ
    ) -> BaseSchema:
        """The base's schema, or only the table `table_ref` names when it is a table id."""
        await self.access.require(caller, inputs.required(base_id, "base_id"), action)
        table_id = table_ref if looks_like(table_ref, "tbl") else None
        async with self.runtime.db.read() as session:
            return await load_schema(session, caller.tenant_id, base_id, table_id=table_id)

    @asynccontextmanager
    async def change(
        self, caller: Caller, base_id: str, action: Action = EDIT_SCHEMA
    ) -> AsyncIterator[Change]:
        await self.access.require(caller, inputs.required(base_id, "base_id"), action)
        try:
            async with self.runtime.db.transaction() as session:
                schema = await load_schema(session, caller.tenant_id, base_id, for_update=True)
                change = Change(session, caller, base_id, schema)
                yield change
                await change.finish()
        except IntegrityError:
            # Another change took the name between our check and our write.
            raise AlreadyExists(
                "a table, field or view with this name already exists", reason="DUPLICATE_NAME"
            ) from None
        # Committed, and before the call answers: what others keep of the base's schema (web-bff)
        # is not current, so the caller's next screen shows the change.
        await self.versions.changed([schema_scope(caller.tenant_id, base_id)])
        self.runtime.outbox.notify()
