"""Each table's schema as an MCP resource, `pyat://bases/{baseId}/tables/{tableId}/schema`, so
a client can attach it to a conversation as context."""

from __future__ import annotations

import asyncio
import json
import re

import grpc
import mcp.types as types
from pyat.schema.v1 import schema_pb2
from pyat.workspace.v1 import workspace_pb2

from services.mcp.tools import Stubs, ToolError
from services.mcp.tools.base import SCHEMA_READ, get_table, table_shape
from services.shared.identity import Caller

_URI = re.compile(r"pyat://bases/(?P<base>app\w+)/tables/(?P<table>tbl\w+)/schema")
JSON = "application/json"


def schema_uri(base_id: str, table_id: str) -> str:
    return f"pyat://bases/{base_id}/tables/{table_id}/schema"


def _may_read_schemas(who: Caller) -> bool:
    return not who.personal or SCHEMA_READ in who.scopes


async def list_schemas(stubs: Stubs, who: Caller) -> list[types.Resource]:
    """The schema resource of every table the caller can read (none without the scope)."""
    if not _may_read_schemas(who):
        return []
    bases = (await stubs.workspace.ListBases(workspace_pb2.ListBasesRequest())).bases
    readable = [b for b in bases if not who.token_bases or b.id in who.token_bases]
    listed = await asyncio.gather(
        *(stubs.schema.ListTables(schema_pb2.ListTablesRequest(base_id=b.id)) for b in readable)
    )
    return [
        types.Resource(
            uri=schema_uri(base.id, table.id),
            name=f"{base.name} / {table.name}",
            description=f"The schema of table {table.name!r} of base {base.name!r}: its fields "
            "(ids, names, types, options) and views.",
            mime_type=JSON,
        )
        for base, answer in zip(readable, listed, strict=True)
        for table in answer.tables
    ]


async def read_schema(stubs: Stubs, who: Caller, uri: str) -> str:
    """The table's schema as JSON; ToolError for a URI that names no table the caller sees."""
    match = _URI.fullmatch(uri)
    if match is None:
        raise ToolError(
            f"unknown resource {uri}: schemas are {schema_uri('{baseId}', '{tableId}')}"
        )
    if not _may_read_schemas(who):
        raise ToolError(f"this token lacks the scope {SCHEMA_READ}, which reading a schema needs")
    base_id = match["base"]
    if who.token_bases and base_id not in who.token_bases:
        raise ToolError(f"unknown resource {uri}")
    try:
        table = await get_table(stubs, base_id, match["table"])
    except grpc.aio.AioRpcError as err:
        if err.code() in (grpc.StatusCode.NOT_FOUND, grpc.StatusCode.PERMISSION_DENIED):
            raise ToolError(f"unknown resource {uri}") from None
        raise
    return json.dumps({"baseId": base_id, **table_shape(table)}, separators=(",", ":"))
