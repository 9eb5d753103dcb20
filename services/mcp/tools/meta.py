"""Tools on bases, tables and fields: what is there, and changes to the schema."""

from __future__ import annotations

from typing import Any

from pyat.schema.v1 import schema_pb2
from pyat.workspace.v1 import workspace_pb2

from services.mcp.tools.base import (
    BASE_ID,
    SCHEMA_READ,
    SCHEMA_WRITE,
    TABLE_ID,
    Args,
    Stubs,
    Tool,
    ToolError,
    field_shape,
    get_table,
    params,
    table_id_of,
    table_shape,
    to_struct,
)
from services.shared.identity import caller

DETAIL_LEVEL = {
    "type": "string",
    "enum": ["tableIdentifiersOnly", "identifiersOnly", "full"],
    "description": "How much to return: table ids and names only; also field and view ids "
    "and names; or everything (field types and options). Default: full.",
}
FIELD_SPEC = params(
    ["name", "type"],
    name={"type": "string", "description": "The field's name."},
    type={
        "type": "string",
        "description": "Airtable's field type: singleLineText, multilineText, number, "
        "checkbox, singleSelect, multipleSelects, date, email, url, currency, percent, "
        "formula, multipleRecordLinks, ...",
    },
    description={"type": "string", "description": "What the field holds."},
    options={
        "type": "object",
        "description": "The type's options as Airtable's API takes them, e.g. "
        '{"precision": 0} for a number, {"choices": [{"name": "Done"}]} for a select.',
    },
)


def _detailed(table: schema_pb2.Table, level: str) -> dict[str, Any]:
    if level == "tableIdentifiersOnly":
        return {"id": table.id, "name": table.name}
    if level == "identifiersOnly":
        return {
            "id": table.id,
            "name": table.name,
            "fields": [{"id": f.id, "name": f.name} for f in table.fields],
            "views": [{"id": v.id, "name": v.name} for v in table.views],
        }
    return table_shape(table)


async def list_bases(stubs: Stubs, args: Args) -> Any:
    answer = await stubs.workspace.ListBases(workspace_pb2.ListBasesRequest())
    limited = caller().token_bases
    return {
        "bases": [
            {"id": b.id, "name": b.name, "workspaceId": b.workspace_id}
            for b in answer.bases
            if not limited or b.id in limited
        ]
    }


async def list_tables(stubs: Stubs, args: Args) -> Any:
    answer = await stubs.schema.ListTables(schema_pb2.ListTablesRequest(base_id=args["baseId"]))
    level = args.get("detailLevel", "full")
    return {"tables": [_detailed(t, level) for t in answer.tables]}


async def describe_table(stubs: Stubs, args: Args) -> Any:
    table = await get_table(stubs, args["baseId"], args["tableId"])
    return _detailed(table, args.get("detailLevel", "full"))


def _field_spec(spec: Args) -> schema_pb2.FieldSpec:
    options = spec.get("options")
    return schema_pb2.FieldSpec(
        name=spec["name"],
        type=spec["type"],
        description=spec.get("description", ""),
        options=None if options is None else to_struct(options, "field options"),
    )


async def create_table(stubs: Stubs, args: Args) -> Any:
    spec = schema_pb2.TableSpec(
        name=args["name"],
        description=args.get("description", ""),
        fields=[_field_spec(f) for f in args["fields"]],
    )
    answer = await stubs.schema.CreateTables(
        schema_pb2.CreateTablesRequest(base_id=args["baseId"], tables=[spec])
    )
    return table_shape(answer.tables[0])


async def update_table(stubs: Stubs, args: Args) -> Any:
    if "name" not in args and "description" not in args:
        raise ToolError("update_table needs a new name or description (or both)")
    base_id = args["baseId"]
    answer = await stubs.schema.UpdateTable(
        schema_pb2.UpdateTableRequest(
            base_id=base_id,
            table_id=await table_id_of(stubs, base_id, args["tableId"]),
            name=args.get("name"),
            description=args.get("description"),
        )
    )
    return table_shape(answer.table)


async def create_field(stubs: Stubs, args: Args) -> Any:
    base_id = args["baseId"]
    answer = await stubs.schema.CreateField(
        schema_pb2.CreateFieldRequest(
            base_id=base_id,
            table_id=await table_id_of(stubs, base_id, args["tableId"]),
            field=_field_spec(args["field"]),
        )
    )
    return field_shape(answer.field)


async def update_field(stubs: Stubs, args: Args) -> Any:
    if not {"name", "description", "options"} & set(args):
        raise ToolError("update_field needs a new name, description or options")
    base_id = args["baseId"]
    options = args.get("options")
    answer = await stubs.schema.UpdateField(
        schema_pb2.UpdateFieldRequest(
            base_id=base_id,
            table_id=await table_id_of(stubs, base_id, args["tableId"]),
            field_id=args["fieldId"],
            name=args.get("name"),
            description=args.get("description"),
            options=None if options is None else to_struct(options, "field options"),
        )
    )
    return field_shape(answer.field)


TOOLS = [
    Tool(
        "list_bases",
        "List the bases you can read: their ids and names. Start here to find a baseId.",
        params([]),
        read_only=True,
        scopes=(SCHEMA_READ,),
        run=list_bases,
    ),
    Tool(
        "list_tables",
        "List the tables of a base with their fields and views (ids, names, types, options).",
        params(["baseId"], baseId=BASE_ID, detailLevel=DETAIL_LEVEL),
        read_only=True,
        scopes=(SCHEMA_READ,),
        run=list_tables,
    ),
    Tool(
        "describe_table",
        "Describe one table: its fields (id, name, type, options), primary field and views.",
        params(["baseId", "tableId"], baseId=BASE_ID, tableId=TABLE_ID, detailLevel=DETAIL_LEVEL),
        read_only=True,
        scopes=(SCHEMA_READ,),
        run=describe_table,
    ),
    Tool(
        "create_table",
        "Create a table in a base. The first field is the primary field.",
        params(
            ["baseId", "name", "fields"],
            baseId=BASE_ID,
            name={"type": "string", "description": "The table's name."},
            description={"type": "string", "description": "What the table holds."},
            fields={
                "type": "array",
                "minItems": 1,
                "items": FIELD_SPEC,
                "description": "The table's fields; the first is the primary field.",
            },
        ),
        read_only=False,
        scopes=(SCHEMA_WRITE,),
        run=create_table,
    ),
    Tool(
        "update_table",
        "Rename a table or change its description.",
        params(
            ["baseId", "tableId"],
            baseId=BASE_ID,
            tableId=TABLE_ID,
            name={"type": "string", "description": "The new name."},
            description={"type": "string", "description": "The new description."},
        ),
        read_only=False,
        scopes=(SCHEMA_WRITE,),
        run=update_table,
    ),
    Tool(
        "create_field",
        "Add a field (a column) to a table.",
        params(["baseId", "tableId", "field"], baseId=BASE_ID, tableId=TABLE_ID, field=FIELD_SPEC),
        read_only=False,
        scopes=(SCHEMA_WRITE,),
        run=create_field,
    ),
    Tool(
        "update_field",
        "Rename a field, or change its description or options.",
        params(
            ["baseId", "tableId", "fieldId"],
            baseId=BASE_ID,
            tableId=TABLE_ID,
            fieldId={"type": "string", "description": "The field's id (starts with 'fld')."},
            name={"type": "string", "description": "The new name."},
            description={"type": "string", "description": "The new description."},
            options={"type": "object", "description": "The new options of its type."},
        ),
        read_only=False,
        scopes=(SCHEMA_WRITE,),
        run=update_field,
    ),
]
