"""What a tool is: a name and description a model reads, a JSON schema of its arguments, the
scopes a personal access token needs for it, and the function that does its work through the
services' generated stubs."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from pyat.airtable.v1 import airtable_gateway_pb2 as at
from pyat.airtable.v1 import airtable_gateway_pb2_grpc
from pyat.formula.v1 import formula_pb2_grpc
from pyat.schema.v1 import schema_pb2, schema_pb2_grpc
from pyat.search.v1 import search_pb2_grpc
from pyat.workspace.v1 import workspace_pb2_grpc

from services.shared import structs
from services.shared.clients import Clients
from services.shared.identity import Assertions
from services.shared.ids import looks_like

if TYPE_CHECKING:  # the async stub types exist only in the generated .pyi
    from pyat.airtable.v1.airtable_gateway_pb2_grpc import AirtableGatewayServiceAsyncStub
    from pyat.formula.v1.formula_pb2_grpc import FormulaServiceAsyncStub
    from pyat.schema.v1.schema_pb2_grpc import SchemaServiceAsyncStub
    from pyat.search.v1.search_pb2_grpc import SearchServiceAsyncStub
    from pyat.workspace.v1.workspace_pb2_grpc import WorkspaceServiceAsyncStub

Args = dict[str, Any]

RECORDS_READ = "data.records:read"
RECORDS_WRITE = "data.records:write"
SCHEMA_READ = "schema.bases:read"
SCHEMA_WRITE = "schema.bases:write"
# Airtable takes at most this many records in one write call.
MAX_WRITE_RECORDS = 10


class ToolError(Exception):
    """A failure the model can act on; it becomes the tool's error result, never a crash."""


@dataclass(frozen=True)
class Stubs:
    """The services tools call, as the caller. `assertions` signs the caller on mcp-server's
    behalf for the one internal method a tool uses (formula evaluation)."""

    records: AirtableGatewayServiceAsyncStub
    schema: SchemaServiceAsyncStub
    workspace: WorkspaceServiceAsyncStub
    search: SearchServiceAsyncStub
    formula: FormulaServiceAsyncStub
    assertions: Assertions

    @classmethod
    def of(cls, clients: Clients) -> Stubs:
        return cls(
            records=airtable_gateway_pb2_grpc.AirtableGatewayServiceStub(
                clients.channel("airtable-gateway")
            ),
            schema=schema_pb2_grpc.SchemaServiceStub(clients.channel("schema")),
            workspace=workspace_pb2_grpc.WorkspaceServiceStub(clients.channel("workspace")),
            search=search_pb2_grpc.SearchServiceStub(clients.channel("search")),
            formula=formula_pb2_grpc.FormulaServiceStub(clients.channel("formula")),
            assertions=clients.assertions,
        )


Run = Callable[[Stubs, Args], Awaitable[Any]]


@dataclass(frozen=True)
class Tool:
    name: str
    description: str
    # The JSON schema of the arguments (an object schema, with a description per property).
    schema: dict[str, Any]
    read_only: bool
    # What a personal access token needs to use it (sessions may use every tool).
    scopes: tuple[str, ...]
    run: Run


# Argument schemas, named as the popular Airtable MCP server names them.
BASE_ID = {"type": "string", "description": "The base's id (starts with 'app')."}
TABLE_ID = {"type": "string", "description": "The table's id (starts with 'tbl') or its name."}
RECORD_ID = {"type": "string", "description": "The record's id (starts with 'rec')."}
FILTER = {
    "type": "string",
    "description": "An Airtable formula; only records for which it is truthy, e.g. "
    "\"AND({Status} = 'Done', {Points} > 3)\".",
}
FIELDS_OBJECT = {
    "type": "object",
    "description": "Cell values keyed by field name (or field id), as Airtable's API takes them.",
}


def params(required: list[str], **properties: dict[str, Any]) -> dict[str, Any]:
    """An object schema of `properties`; no other property is accepted."""
    return {
        "type": "object",
        "properties": properties,
        "required": required,
        "additionalProperties": False,
    }


def record(message: at.Record) -> dict[str, Any]:
    """A record as a model reads it: its id and non-empty cells."""
    return {"id": message.id, "fields": structs.from_struct(message.fields)}


def field_shape(message: schema_pb2.Field) -> dict[str, Any]:
    shown: dict[str, Any] = {"id": message.id, "name": message.name, "type": message.type}
    if message.description:
        shown["description"] = message.description
    if message.options.fields:
        shown["options"] = structs.from_struct(message.options)
    return shown


def table_shape(message: schema_pb2.Table) -> dict[str, Any]:
    """A table's whole schema: fields with types and options, and views."""
    shown: dict[str, Any] = {"id": message.id, "name": message.name}
    if message.description:
        shown["description"] = message.description
    shown["primaryFieldId"] = message.primary_field_id
    shown["fields"] = [field_shape(f) for f in message.fields]
    shown["views"] = [{"id": v.id, "name": v.name, "type": v.type} for v in message.views]
    return shown


async def get_table(stubs: Stubs, base_id: str, table: str) -> schema_pb2.Table:
    answer = await stubs.schema.GetTable(schema_pb2.GetTableRequest(base_id=base_id, table=table))
    return answer.table


async def table_id_of(stubs: Stubs, base_id: str, table: str) -> str:
    """Schema changes take a table's id; a model may name the table instead."""
    if looks_like(table, "tbl"):
        return table
    return (await get_table(stubs, base_id, table)).id


def to_struct(values: Args, what: str) -> Any:
    try:
        return structs.to_struct(values)
    except (ValueError, TypeError) as err:
        raise ToolError(f"invalid {what}: {err}") from None


def at_most(items: list[Any], what: str) -> None:
    if len(items) > MAX_WRITE_RECORDS:
        raise ToolError(
            f"{len(items)} {what} given, but one call takes at most {MAX_WRITE_RECORDS}: "
            f"split them into calls of {MAX_WRITE_RECORDS} or fewer"
        )
