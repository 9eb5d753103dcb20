"""Fields: created with checked options, renamed without breaking what uses them, retyped and
deleted only when nothing is computed from them. A link field and its inverse come and go
together."""

from __future__ import annotations

from collections.abc import Set
from typing import Any

from google.protobuf import json_format
from pyat.schema.v1 import schema_pb2

from services.schema import inputs, messages
from services.schema.changes import Change, ChoiceChanges, SchemaStore
from services.schema.field_types import COMPUTED_TYPES, SELECT_TYPES, require_known
from services.schema.formulas import referenced_ids
from services.schema.relations import Relations, dependants
from services.schema.storage import FieldRow, TableRow
from services.shared.errors import AlreadyExists, FailedPrecondition, InvalidArgument
from services.shared.identity import Caller
from services.shared.ids import new_id

# Types that cannot be a table's primary field, as in Airtable.
_NOT_PRIMARY = frozenset({"multipleRecordLinks", "multipleAttachments", "checkbox", "button"})
# Computed types whose values airtable-gateway can keep when the field becomes editable: they
# come from the record itself. Other computed values are gone once the field is retyped.
_KEPT_ON_RETYPE = frozenset(
    {"autoNumber", "createdTime", "lastModifiedTime", "createdBy", "lastModifiedBy"}
)


def field_name(table_fields: list[FieldRow], value: str, where: str, *, own_id: str = "") -> str:
    """A field name that no other field of the table has, whatever the case."""
    name = inputs.name(value, where, reason="DUPLICATE_OR_EMPTY_FIELD_NAME")
    if any(f.name_key == inputs.key(name) and f.id != own_id for f in table_fields):
        raise AlreadyExists(
            f"a field named {name!r} already exists in this table",
            reason="DUPLICATE_OR_EMPTY_FIELD_NAME",
        )
    return name


def unique_name(table_fields: list[FieldRow], wanted: str) -> str:
    """`wanted`, or `wanted 2`, `wanted 3`... whichever the table does not have yet."""
    taken = {f.name_key for f in table_fields}
    name, n = wanted, 1
    while inputs.key(name) in taken:
        n += 1
        name = f"{wanted} {n}"
    return name


def field_message(change: Change, table: TableRow, field: FieldRow) -> schema_pb2.Field:
    return messages.field(field, {f.id: f.name for f in change.schema.fields_of(table.id)})


class Fields:
    def __init__(self, store: SchemaStore, relations: Relations) -> None:
        self.store = store
        self.relations = relations

    async def create(
        self, caller: Caller, base_id: str, table_id: str, spec: schema_pb2.FieldSpec
    ) -> tuple[schema_pb2.Field, schema_pb2.Table]:
        async with self.store.change(caller, base_id) as change:
            table = change.table(table_id)
            field = await self.add(change, table, spec, "field", position=None)
        return field_message(change, table, field), messages.table_in(change.schema, table)

    async def add(
        self,
        change: Change,
        table: TableRow,
        spec: schema_pb2.FieldSpec,
        path: str,
        *,
        position: int | None,
        field_id: str = "",
    ) -> FieldRow:
        """Add a field to `table` in `change`; a link also gets its inverse."""
        fields = change.schema.fields_of(table.id)
        field = FieldRow(
            id=field_id or new_id("fld"),
            tenant_id=change.caller.tenant_id,
            table_id=table.id,
            name=field_name(fields, spec.name, f"{path}.name"),
            type=spec.type,
            description=spec.description,
            position=change.next_position(table.id) if position is None else position,
        )
        field.name_key = inputs.key(field.name)
        require_known(spec.type, path, field.name)
        raw = json_format.MessageToDict(spec.options)
        field.options = await self.relations.options(change, table, field, raw, path, None)
        change.add_field(table, field)
        if field.type == "multipleRecordLinks" and field.options["linkedTableId"] != table.id:
            self._add_inverse(change, table, field)
        return field

    def _add_inverse(self, change: Change, table: TableRow, link: FieldRow) -> None:
        """The link field that shows, in the linked table, the records linking to it."""
        linked = change.table(link.options["linkedTableId"])
        inverse = FieldRow(
            id=new_id("fld"),
            tenant_id=change.caller.tenant_id,
            table_id=linked.id,
            name=unique_name(change.schema.fields_of(linked.id), table.name),
            type="multipleRecordLinks",
            description="",
            options={
                "linkedTableId": table.id,
                "isReversed": False,
                "prefersSingleRecordLink": False,
                "inverseLinkFieldId": link.id,
            },
            position=change.next_position(linked.id),
        )
        inverse.name_key = inputs.key(inverse.name)
        change.add_field(linked, inverse)
        link.options = link.options | {"inverseLinkFieldId": inverse.id}

    async def update(
        self, caller: Caller, base_id: str, request: schema_pb2.UpdateFieldRequest
    ) -> tuple[schema_pb2.Field, schema_pb2.Table]:
        async with self.store.change(caller, base_id) as change:
            table = change.table(request.table_id)
            field = change.field(table, inputs.required(request.field_id, "field_id"))
            if request.HasField("name"):
                fields = change.schema.fields_of(table.id)
                field.name = field_name(fields, request.name, "name", own_id=field.id)
                field.name_key = inputs.key(field.name)
            if request.HasField("description"):
                field.description = request.description
            before = field.options
            if request.HasField("type") and request.type != field.type:
                previous = field.type
                await self._retype(change, table, field, request)
                # Choices carried over count only between select types.
                between_selects = {previous, field.type} <= SELECT_TYPES
                choices = choices_of(before, field.options) if between_selects else None
                change.field_changed(table, field, "updated", choices, previous_type=previous)
            else:
                if request.HasField("options"):
                    raw = json_format.MessageToDict(request.options)
                    field.options = await self.relations.options(
                        change, table, field, raw, "field", field.options
                    )
                change.field_changed(table, field, "updated", choices_of(before, field.options))
        return field_message(change, table, field), messages.table_in(change.schema, table)

    async def _retype(
        self,
        change: Change,
        table: TableRow,
        field: FieldRow,
        request: schema_pb2.UpdateFieldRequest,
    ) -> None:
        """Give `field` the request's type and that type's options; airtable-gateway converts
        the stored cells when it hears of it."""
        require_known(request.type, "field", field.name)
        _require_retypable(change, table, field, request.type)
        raw = json_format.MessageToDict(request.options) if request.HasField("options") else {}
        # Select to select keeps the choices (and their ids) unless others are given.
        current = field.options if {field.type, request.type} <= SELECT_TYPES else None
        if current is not None and not request.HasField("options"):
            raw = {"choices": current.get("choices", [])}
        old_type, old_options = field.type, field.options
        field.type = request.type
        field.options = await self.relations.options(change, table, field, raw, "field", current)
        if old_type == "multipleRecordLinks" and old_options.get("inverseLinkFieldId"):
            linked = change.table(old_options["linkedTableId"])
            await delete_fields(
                change, [(linked, change.field(linked, old_options["inverseLinkFieldId"]))]
            )
        if field.type == "multipleRecordLinks" and field.options["linkedTableId"] != table.id:
            self._add_inverse(change, table, field)

    async def delete(self, caller: Caller, base_id: str, table_id: str, field_id: str) -> None:
        async with self.store.change(caller, base_id) as change:
            table = change.table(table_id)
            field = change.field(table, inputs.required(field_id, "field_id"))
            if field.id == table.primary_field_id:
                raise FailedPrecondition(
                    "the primary field cannot be deleted", reason="CANNOT_DELETE_PRIMARY_FIELD"
                )
            doomed = [(table, field)]
            inverse_id = field.options.get("inverseLinkFieldId")
            if field.type == "multipleRecordLinks" and inverse_id:
                linked = change.table(field.options["linkedTableId"])
                doomed.append((linked, change.field(linked, inverse_id)))
            await delete_fields(change, doomed)


def _require_retypable(change: Change, table: TableRow, field: FieldRow, new_type: str) -> None:
    """Refuse the retypes that would break what the field is used for, or lose its values."""
    users = dependants(change, {field.id})
    if users:
        raise FailedPrecondition(
            f"field {users[0].name!r} is computed from the field being retyped: "
            "change or delete it first",
            reason="FIELD_IN_USE",
        )
    if field.id == table.primary_field_id and (
        new_type in _NOT_PRIMARY or new_type in COMPUTED_TYPES
    ):
        raise FailedPrecondition(
            f"the primary field cannot become a {new_type} field",
            reason="INVALID_PRIMARY_FIELD",
        )
    if field.type in COMPUTED_TYPES - _KEPT_ON_RETYPE and new_type not in COMPUTED_TYPES:
        raise FailedPrecondition(
            f"a {field.type} field has no stored values to keep as a {new_type} field: "
            "create a new field instead",
            reason="CANNOT_CONVERT_FIELD",
        )


def choices_of(before: dict[str, Any], after: dict[str, Any]) -> ChoiceChanges:
    """What an options change did to a select field's choices, matched by choice id."""
    old = {c["id"]: c["name"] for c in before.get("choices", [])}
    new = {c["id"]: c["name"] for c in after.get("choices", [])}
    renamed = {old[i]: new[i] for i in old.keys() & new.keys() if old[i] != new[i]}
    removed = [old[i] for i in old.keys() - new.keys()]
    return ChoiceChanges(renamed, removed)


async def delete_fields(
    change: Change, doomed: list[tuple[TableRow, FieldRow]], also_going: Set[str] = frozenset()
) -> None:
    """Delete fields, unless something that stays uses them; views stop showing them.
    `also_going` are fields that go another way (with their table)."""
    users = dependants(change, {f.id for _, f in doomed} | also_going)
    if users:
        raise FailedPrecondition(
            f"field {users[0].name!r} is computed from the field being deleted: "
            "change or delete it first",
            reason="FIELD_IN_USE",
        )
    for table, field in doomed:
        for view in change.schema.views_of(table.id):
            if field.id in referenced_ids(view.filter_by_formula):
                raise FailedPrecondition(
                    f"view {view.name!r} filters by the field being deleted: change it first",
                    reason="FIELD_IN_USE",
                )
            view.sorts = [s for s in view.sorts if s["field_id"] != field.id]
            view.visible_field_ids = [i for i in view.visible_field_ids if i != field.id]
        await change.delete_field(table, field)


def require_primary_type(field: FieldRow, where: str) -> None:
    if field.type in _NOT_PRIMARY:
        problem = f"a {field.type} field cannot be the primary field"
        raise InvalidArgument(problem, fields={where: problem}, reason="INVALID_PRIMARY_FIELD")
