"""Table schemas from schema-service, cached briefly, with lookups of fields by name or id.

A client may create a field and use it at once, so a request naming a field the cached copy
does not know refetches the table once before calling the field unknown.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import grpc
from google.protobuf import json_format
from pyat.schema.v1 import schema_pb2, schema_pb2_grpc

from services.shared.clients import translate
from services.shared.errors import InvalidArgument, NotFound
from services.shared.identity import Caller
from services.shared.runtime import Runtime

_TTL_S = 2.0
# Types whose values are computed when read rather than stored in `cells`.
COMPUTED_TYPES = frozenset(
    {
        "formula",
        "rollup",
        "multipleLookupValues",
        "count",
        "autoNumber",
        "createdTime",
        "lastModifiedTime",
        "createdBy",
        "lastModifiedBy",
        "button",
    }
)
LINK = "multipleRecordLinks"


class TableSchema:
    """One table's schema with its fields indexed by id and by name."""

    def __init__(self, table: schema_pb2.Table) -> None:
        self.pb = table
        self.id = table.id
        self.fields = list(table.fields)
        self._by_id = {field.id: field for field in self.fields}
        self._by_name = {field.name: field for field in self.fields}
        self._options: dict[str, dict[str, Any]] = {}

    def field(self, name_or_id: str) -> schema_pb2.Field | None:
        return self._by_id.get(name_or_id) or self._by_name.get(name_or_id)

    def by_id(self, field_id: str) -> schema_pb2.Field | None:
        return self._by_id.get(field_id)

    def knows(self, names: Iterable[str], view: str = "") -> bool:
        known = all(self.field(name) is not None for name in names)
        return known and (not view or any(view in (v.id, v.name) for v in self.pb.views))

    def options(self, field: schema_pb2.Field) -> dict[str, Any]:
        """The field's options as plain Python values (parsed once per schema)."""
        cached = self._options.get(field.id)
        if cached is None:
            cached = json_format.MessageToDict(field.options)
            self._options[field.id] = cached
        return cached

    def fields_named(self, names: Iterable[str], argument: str) -> list[schema_pb2.Field]:
        """The fields for `names` (names or ids), or INVALID_ARGUMENT naming the request's
        `argument` for the first unknown one."""
        found = []
        for name in names:
            field = self.field(name)
            if field is None:
                raise InvalidArgument(
                    f"unknown field name: {name!r}",
                    fields={argument: f"no field {name!r} in this table"},
                    reason="UNKNOWN_FIELD_NAME",
                )
            found.append(field)
        return found

    def view(self, name_or_id: str) -> schema_pb2.View:
        for view in self.pb.views:
            if name_or_id in (view.id, view.name):
                return view
        raise InvalidArgument(
            f"view {name_or_id!r} was not found in this table",
            fields={"view": "no such view"},
            reason="VIEW_NAME_NOT_FOUND",
        )


class Schemas:
    """Fetches tables from schema-service, through a short-lived cache shared by processes."""

    def __init__(self, runtime: Runtime) -> None:
        self._cache = runtime.cache
        self._stub = schema_pb2_grpc.SchemaServiceStub(runtime.clients.channel("schema"))

    async def get(
        self, caller: Caller, base_id: str, table: str, names: Iterable[str] = (), view: str = ""
    ) -> TableSchema:
        """The table (by id or name); refetched once if it lacks any of `names` or `view`."""
        if not table:
            raise InvalidArgument("a table id or name is required", fields={"table": "required"})
        key = _key(caller, base_id, table)
        cached = await self._cache.get(key)
        if cached is not None:
            schema = TableSchema(schema_pb2.Table.FromString(cached))
            if schema.knows(names, view):
                return schema
        return await self.fetch(caller, base_id, table)

    async def fetch(self, caller: Caller, base_id: str, table: str) -> TableSchema:
        try:
            answer = await self._stub.GetTable(
                schema_pb2.GetTableRequest(base_id=base_id, table=table)
            )
        except grpc.aio.AioRpcError as err:
            if err.code() is grpc.StatusCode.NOT_FOUND:
                raise NotFound(f"table {table!r} was not found", reason="TABLE_NOT_FOUND") from None
            raise translate("schema", err) from None
        await self.remember(caller, base_id, answer.table, table)
        return TableSchema(answer.table)

    async def remember(
        self, caller: Caller, base_id: str, table: schema_pb2.Table, *names: str
    ) -> None:
        """Cache a table just fetched (or returned by a change) under its id and `names`."""
        data = table.SerializeToString()
        for name in {table.id, *names}:
            await self._cache.set(_key(caller, base_id, name), data, ttl_s=_TTL_S)


def _key(caller: Caller, base_id: str, table: str) -> str:
    return f"airtable-table:{caller.tenant_id}:{base_id}:{table}"
