"""Airtable's Metadata API (/v0/meta/bases...) as WorkspaceService and SchemaService calls."""

from __future__ import annotations

import contextlib
import logging

import grpc
from aiohttp import web
from pyat.schema.v1 import schema_pb2
from pyat.workspace.v1 import workspace_pb2

from services.airtable_gateway.rest import methods, shapes
from services.airtable_gateway.rest.errors import invalid_request
from services.airtable_gateway.rest.inputs import (
    JsonObject,
    json_body,
    objects,
    only,
    optional_string,
    query_value,
    string,
)
from services.airtable_gateway.rest.stubs import stubs_of
from services.shared.ids import looks_like

log = logging.getLogger("pyat.airtable_gateway.rest")

# Airtable lists bases 1000 to a page.
BASES_PAGE = 1000
_FIELD_KEYS = ("name", "type", "description", "options")
_TABLE_KEYS = ("name", "description", "fields")


def routes() -> list[web.RouteDef]:
    bases = "/v0/meta/bases"
    tables = bases + "/{base}/tables"
    fields = tables + "/{table}/fields"
    return [
        web.get(bases, list_bases),
        web.post(bases, create_base),
        web.get(tables, list_tables),
        web.post(tables, create_table),
        web.patch(tables + "/{table}", update_table),
        web.post(fields, create_field),
        web.patch(fields + "/{field}", update_field),
    ]


@methods.serves(methods.LIST_BASES)
async def list_bases(request: web.Request) -> web.Response:
    only(request.query, ("offset",), "the query")
    start = 0
    if "offset" in request.query:
        offset = query_value(request.query, "offset")
        if not offset.isdigit():
            raise invalid_request("Invalid 'offset': pass the one the previous page gave.")
        start = int(offset)
    # No workspace: every base the caller can read (those a token is limited to, if it is).
    answer = await stubs_of(request).workspace.ListBases(workspace_pb2.ListBasesRequest())
    bases = list(answer.bases)
    page = bases[start : start + BASES_PAGE]
    body: JsonObject = {
        "bases": [
            {"id": b.id, "name": b.name, "permissionLevel": shapes.permission_level(b.my_role)}
            for b in page
        ]
    }
    if start + BASES_PAGE < len(bases):
        body["offset"] = str(start + BASES_PAGE)
    return web.json_response(body)


@methods.serves(methods.CREATE_BASE)
async def create_base(request: web.Request) -> web.Response:
    """A base in a workspace, with its first tables. A base whose tables are refused is
    removed again, so a bad request leaves nothing behind."""
    body = await json_body(request)
    only(body, ("name", "workspaceId", "tables"), "the request body")
    name = string(body, "name", required=True)
    workspace_id = string(body, "workspaceId", required=True)
    specs = [_table_spec(t) for t in objects(body, "tables")]
    stubs = stubs_of(request)
    created = await stubs.workspace.CreateBase(
        workspace_pb2.CreateBaseRequest(workspace_id=workspace_id, name=name)
    )
    base_id = created.base.id
    try:
        answer = await stubs.schema.CreateTables(
            schema_pb2.CreateTablesRequest(base_id=base_id, tables=specs)
        )
    except grpc.aio.AioRpcError:
        with contextlib.suppress(grpc.aio.AioRpcError):
            await stubs.workspace.DeleteBase(workspace_pb2.DeleteBaseRequest(base_id=base_id))
        raise
    return web.json_response({"id": base_id, "tables": [shapes.table(t) for t in answer.tables]})


@methods.serves(methods.LIST_TABLES)
async def list_tables(request: web.Request) -> web.Response:
    only(request.query, ("include", "include[]"), "the query")
    include = [*request.query.getall("include", []), *request.query.getall("include[]", [])]
    if set(include) - {"visibleFieldIds"}:
        raise invalid_request("Invalid 'include': only 'visibleFieldIds' can be included.")
    answer = await stubs_of(request).schema.ListTables(
        schema_pb2.ListTablesRequest(base_id=request.match_info["base"])
    )
    visible = bool(include)
    return web.json_response(
        {"tables": [shapes.table(t, visible_field_ids=visible) for t in answer.tables]}
    )


@methods.serves(methods.CREATE_TABLES)
async def create_table(request: web.Request) -> web.Response:
    spec = _table_spec(await json_body(request))
    answer = await stubs_of(request).schema.CreateTables(
        schema_pb2.CreateTablesRequest(base_id=request.match_info["base"], tables=[spec])
    )
    return web.json_response(shapes.table(answer.tables[0]))


@methods.serves(methods.UPDATE_TABLE)
async def update_table(request: web.Request) -> web.Response:
    body = await json_body(request)
    only(body, ("name", "description"), "the request body")
    base_id, table_id = await _table_of(request)
    answer = await stubs_of(request).schema.UpdateTable(
        schema_pb2.UpdateTableRequest(
            base_id=base_id,
            table_id=table_id,
            name=optional_string(body, "name"),
            description=optional_string(body, "description"),
        )
    )
    return web.json_response(shapes.table(answer.table))


@methods.serves(methods.CREATE_FIELD)
async def create_field(request: web.Request) -> web.Response:
    spec = _field_spec(await json_body(request))
    base_id, table_id = await _table_of(request)
    answer = await stubs_of(request).schema.CreateField(
        schema_pb2.CreateFieldRequest(base_id=base_id, table_id=table_id, field=spec)
    )
    return web.json_response(shapes.field(answer.field))


@methods.serves(methods.UPDATE_FIELD)
async def update_field(request: web.Request) -> web.Response:
    body = await json_body(request)
    only(body, ("name", "description", "options"), "the request body")
    base_id, table_id = await _table_of(request)
    answer = await stubs_of(request).schema.UpdateField(
        schema_pb2.UpdateFieldRequest(
            base_id=base_id,
            table_id=table_id,
            field_id=request.match_info["field"],
            name=optional_string(body, "name"),
            description=optional_string(body, "description"),
            options=shapes.options(body),
        )
    )
    return web.json_response(shapes.field(answer.field))


async def _table_of(request: web.Request) -> tuple[str, str]:
    """The base and table ids of the path. Airtable's clients name a table by id or by name;
    schema changes take its id."""
    base_id, table = request.match_info["base"], request.match_info["table"]
    if looks_like(table, "tbl"):
        return base_id, table
    answer = await stubs_of(request).schema.GetTable(
        schema_pb2.GetTableRequest(base_id=base_id, table=table)
    )
    return base_id, answer.table.id


def _table_spec(body: JsonObject) -> schema_pb2.TableSpec:
    only(body, _TABLE_KEYS, "a table")
    return schema_pb2.TableSpec(
        name=string(body, "name", required=True),
        description=string(body, "description"),
        fields=[_field_spec(f) for f in objects(body, "fields")],
    )


def _field_spec(body: JsonObject) -> schema_pb2.FieldSpec:
    only(body, _FIELD_KEYS, "a field")
    return schema_pb2.FieldSpec(
        name=string(body, "name", required=True),
        type=string(body, "type", required=True),
        description=string(body, "description"),
        options=shapes.options(body),
    )
