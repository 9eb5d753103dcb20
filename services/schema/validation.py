"""ValidateCells: records' cells checked against a table's fields and returned in their stored
form, keyed by field id. On the write path of every record, so: one read of the table's schema,
one lookup per distinct collaborator, and a write only when typecast adds select choices."""

from __future__ import annotations

import asyncio
from collections.abc import Iterable
from typing import Any

import grpc
from google.protobuf import json_format, struct_pb2
from pyat.permission.v1 import permission_pb2
from pyat.schema.v1 import schema_pb2
from pyat.user.v1 import user_pb2, user_pb2_grpc

from services.schema import messages
from services.schema.cells import BadCell, CellContext, UserRef, stored, user_refs
from services.schema.changes import SchemaStore, find_table
from services.schema.field_types import COMPUTED_TYPES, next_color
from services.schema.storage import FieldRow
from services.shared.clients import translate
from services.shared.errors import InvalidArgument
from services.shared.identity import Caller
from services.shared.ids import new_id
from services.shared.runtime import Runtime
from services.shared.structs import to_struct

EDIT_RECORDS = permission_pb2.ACTION_EDIT_RECORDS
_COLLABORATORS = frozenset({"singleCollaborator", "multipleCollaborators"})


def _bad(where: str, message: str, reason: str) -> InvalidArgument:
    return InvalidArgument(message, fields={where: message}, reason=reason)


def _cell_error(index: int, row: FieldRow, value: Any, bad: BadCell) -> InvalidArgument:
    message = f"field {row.name!r} cannot accept {value!r}: {bad.problem}"
    return _bad(f"records[{index}].{row.name}", message, bad.reason)


class CellValidator:
    def __init__(self, runtime: Runtime, store: SchemaStore) -> None:
        self.store = store
        self.users = user_pb2_grpc.UserServiceStub(runtime.clients.channel("user"))

    async def validate(
        self, caller: Caller, request: schema_pb2.ValidateCellsRequest
    ) -> tuple[list[struct_pb2.Struct], schema_pb2.Table]:
        schema = await self.store.read(caller, request.base_id, request.table_id, EDIT_RECORDS)
        table = find_table(schema, request.table_id)
        fields = schema.fields_of(table.id)
        records = [self._keyed(fields, i, r) for i, r in enumerate(request.records)]
        ctx = CellContext(typecast=request.typecast)
        ctx.users = await self._collaborators(
            ref
            for i, record in enumerate(records)
            for row, value in record.values()
            if row.type in _COLLABORATORS
            for ref in self._refs(i, row, value, ctx)
        )
        out = []
        for i, record in enumerate(records):
            cells: dict[str, Any] = {}
            for row, value in record.values():
                try:
                    cells[row.id] = stored(row, value, ctx)
                except BadCell as bad:
                    raise _cell_error(i, row, value, bad) from None
            out.append(to_struct(cells))
        if not ctx.new_choices:
            return out, messages.table_in(schema, table)
        return out, await self._add_choices(caller, request.base_id, table.id, ctx.new_choices)

    def _keyed(
        self, fields: list[FieldRow], index: int, record: struct_pb2.Struct
    ) -> dict[str, tuple[FieldRow, Any]]:
        """A record's cells by field id, each with its field; keys may be names or ids."""
        by_key = {f.id: f for f in fields} | {f.name: f for f in fields}
        keyed: dict[str, tuple[FieldRow, Any]] = {}
        for key, value in json_format.MessageToDict(record).items():
            row = by_key.get(key)
            where = f"records[{index}].{key}"
            if row is None:
                raise _bad(where, f"Unknown field name: {key!r}", "UNKNOWN_FIELD_NAME")
            if row.type in COMPUTED_TYPES:
                message = f"field {row.name!r} cannot accept a value because the field is computed"
                raise _bad(where, message, "INVALID_VALUE_FOR_COLUMN")
            if row.id in keyed:
                raise _bad(where, f"field {row.name!r} is given twice", "INVALID_VALUE_FOR_COLUMN")
            keyed[row.id] = (row, value)
        return keyed

    @staticmethod
    def _refs(index: int, row: FieldRow, value: Any, ctx: CellContext) -> list[UserRef]:
        try:
            return user_refs(row, value, ctx.typecast)
        except BadCell as bad:
            raise _cell_error(index, row, value, bad) from None

    async def _collaborators(self, refs: Iterable[UserRef]) -> dict[UserRef, dict[str, str]]:
        """The users of the caller's tenant that cells name, each looked up once."""
        wanted = list(dict.fromkeys(refs))
        found = await asyncio.gather(*(self._user(ref) for ref in wanted))
        return {ref: user for ref, user in zip(wanted, found, strict=True) if user is not None}

    async def _user(self, ref: UserRef) -> dict[str, str] | None:
        kind, value = ref
        try:
            if kind == "id":
                user = (await self.users.GetUser(user_pb2.GetUserRequest(user_id=value))).user
            else:
                listed = await self.users.ListUsers(user_pb2.ListUsersRequest(email=value))
                if not listed.users:
                    return None
                user = listed.users[0]
        except grpc.aio.AioRpcError as err:
            if err.code() in (grpc.StatusCode.NOT_FOUND, grpc.StatusCode.INVALID_ARGUMENT):
                return None
            raise translate("user", err) from None
        return {"id": user.id, "email": user.email, "name": user.name}

    async def _add_choices(
        self, caller: Caller, base_id: str, table_id: str, new_choices: dict[str, list[str]]
    ) -> schema_pb2.Table:
        """Typecast named choices that a select field lacks: add them, as Airtable does."""
        async with self.store.change(caller, base_id, EDIT_RECORDS) as change:
            table = change.table(table_id)
            for row in change.schema.fields_of(table.id):
                choices = list(row.options.get("choices", []))
                names = {c["name"] for c in choices}
                adding = [n for n in new_choices.get(row.id, []) if n not in names]
                for name in adding:
                    choices.append(
                        {"id": new_id("sel"), "name": name, "color": next_color(len(choices))}
                    )
                if adding:
                    row.options = row.options | {"choices": choices}
                    change.field_changed(table, row, "updated")
        return messages.table_in(change.schema, table)
