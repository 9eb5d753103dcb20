"""Tables: created with their fields and a grid view, renamed, listed, and deleted together with
the link fields that point at them."""

from __future__ import annotations

from collections.abc import Sequence

from pyat.schema.v1 import schema_pb2

from services.schema import inputs, messages
from services.schema.changes import Change, SchemaStore, find_table
from services.schema.field_types import RELATIONAL_TYPES
from services.schema.fields import Fields, delete_fields, require_primary_type
from services.schema.storage import BaseSchema, TableRow
from services.schema.views import add_view
from services.shared.errors import AlreadyExists, FailedPrecondition, InvalidArgument
from services.shared.identity import Caller
from services.shared.ids import new_id


def _phase(field_type: str) -> int:
    """Fields are made in phases, so that they can use the fields of any table made in the
    same call: plain fields, then links, then what reads through links, then formulas."""
    if field_type not in RELATIONAL_TYPES:
        return 0
    return {"multipleRecordLinks": 1, "formula": 3}.get(field_type, 2)


def table_name(schema: BaseSchema, value: str, where: str, *, own_id: str = "") -> str:
    name = inputs.name(value, where)
    if any(t.name_key == inputs.key(name) and t.id != own_id for t in schema.tables):
        raise AlreadyExists(
            f"a table named {name!r} already exists in this base", reason="DUPLICATE_TABLE_NAME"
        )
    return name


class Tables:
    def __init__(self, store: SchemaStore, fields: Fields) -> None:
        self.store = store
        self.fields = fields

    async def create(
        self, caller: Caller, base_id: str, specs: Sequence[schema_pb2.TableSpec]
    ) -> list[schema_pb2.Table]:
        if not specs:
            raise InvalidArgument("tables is required", fields={"tables": "is required"})
        async with self.store.change(caller, base_id) as change:
            made = [self._add_table(change, spec, f"tables[{i}]") for i, spec in enumerate(specs)]
            # The field ids are known up front so that the primary field can be set at once.
            plans = [
                (table, spec.fields[j], f"tables[{i}].fields[{j}]", j, new_id("fld"))
                for i, (table, spec) in enumerate(zip(made, specs, strict=True))
                for j in range(len(spec.fields))
            ]
            for table, spec in zip(made, specs, strict=True):
                change.reserved[table.id] = len(spec.fields)
            for table, _, _, j, field_id in plans:
                if j == 0:
                    table.primary_field_id = field_id
            await change.session.flush()  # the tables exist before their fields
            for table, field_spec, path, j, field_id in sorted(
                plans, key=lambda p: _phase(p[1].type)
            ):
                field = await self.fields.add(
                    change, table, field_spec, path, position=j, field_id=field_id
                )
                if j == 0:
                    require_primary_type(field, f"{path}.type")
            for table in made:
                change.schema.fields_of(table.id).sort(key=lambda f: f.position)
        return [messages.table_in(change.schema, table) for table in made]

    def _add_table(self, change: Change, spec: schema_pb2.TableSpec, path: str) -> TableRow:
        name = table_name(change.schema, spec.name, f"{path}.name")
        if not spec.fields:
            problem = "must have at least one field (the first is the primary field)"
            raise InvalidArgument(f"{path}.fields {problem}", fields={f"{path}.fields": problem})
        table = TableRow(
            id=new_id("tbl"),
            tenant_id=change.caller.tenant_id,
            base_id=change.base_id,
            name=name,
            name_key=inputs.key(name),
            description=spec.description,
            primary_field_id="",
            position=max((t.position for t in change.schema.tables), default=-1) + 1,
            version=0,
        )
        change.add_table(table)
        add_view(change, table, "Grid view")
        return table

    async def list(self, caller: Caller, base_id: str) -> list[schema_pb2.Table]:
        schema = await self.store.read(caller, base_id)
        return [messages.table_in(schema, t) for t in schema.tables]

    async def get(self, caller: Caller, base_id: str, ref: str) -> schema_pb2.Table:
        schema = await self.store.read(caller, base_id, ref)
        return messages.table_in(schema, find_table(schema, ref))

    async def update(
        self, caller: Caller, base_id: str, request: schema_pb2.UpdateTableRequest
    ) -> schema_pb2.Table:
        async with self.store.change(caller, base_id) as change:
            table = change.table(request.table_id)
            if request.HasField("name"):
                table.name = table_name(change.schema, request.name, "name", own_id=table.id)
                table.name_key = inputs.key(table.name)
            if request.HasField("description"):
                table.description = request.description
            change.table_changed(table)
        return messages.table_in(change.schema, table)

    async def delete(self, caller: Caller, base_id: str, table_id: str) -> None:
        async with self.store.change(caller, base_id) as change:
            table = change.table(table_id)
            if len(change.schema.tables) == 1:
                raise FailedPrecondition(
                    "the last table of a base cannot be deleted", reason="LAST_TABLE"
                )
            # Links from other tables go with it; so would anything computed from its fields.
            own = [(table, f) for f in change.schema.fields_of(table.id)]
            pointing = [
                (other, f)
                for other in change.schema.tables
                if other.id != table.id
                for f in change.schema.fields_of(other.id)
                if f.type == "multipleRecordLinks" and f.options["linkedTableId"] == table.id
            ]
            await delete_fields(change, pointing, also_going={f.id for _, f in own})
            await change.delete_table(table)
