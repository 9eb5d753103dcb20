"""Tools on records: list, search by words, get, count, create, update and delete."""

from __future__ import annotations

from typing import Any

from pyat.airtable.v1 import airtable_gateway_pb2 as at
from pyat.schema.v1 import schema_pb2

from services.mcp.tools.base import (
    BASE_ID,
    FIELDS_OBJECT,
    FILTER,
    MAX_WRITE_RECORDS,
    RECORD_ID,
    RECORDS_READ,
    RECORDS_WRITE,
    SCHEMA_READ,
    TABLE_ID,
    Args,
    Stubs,
    Tool,
    ToolError,
    at_most,
    get_table,
    params,
    record,
    to_struct,
)

# A listing returns at most this many records, so an answer stays readable.
MAX_LIST = 1000
DEFAULT_LIST = 100
PAGE = 100
# The types whose cells are words a search may find.
TEXT_TYPES = frozenset(
    {
        "singleLineText",
        "multilineText",
        "richText",
        "email",
        "url",
        "phoneNumber",
        "singleSelect",
        "multipleSelects",
    }
)
MAX_RECORDS = {
    "type": "integer",
    "minimum": 1,
    "maximum": MAX_LIST,
    "description": f"At most this many records (default {DEFAULT_LIST}, at most {MAX_LIST}).",
}
VIEW = {"type": "string", "description": "A view's name or id: its filter and order apply."}
SORT = {
    "type": "array",
    "description": "The order, first key first.",
    "items": params(
        ["field"],
        field={"type": "string", "description": "A field name or id."},
        direction={"type": "string", "enum": ["asc", "desc"], "description": "Default asc."},
    ),
}
TYPECAST = {
    "type": "boolean",
    "description": "Convert strings to the fields' types (and add select options) as needed.",
}


async def _listing(stubs: Stubs, args: Args, request: at.ListRecordsRequest) -> Any:
    """Every page of a listing up to maxRecords."""
    wanted = args.get("maxRecords", DEFAULT_LIST)
    request.max_records = wanted
    request.page_size = min(wanted, PAGE)
    records: list[dict[str, Any]] = []
    while True:
        page = await stubs.records.ListRecords(request)
        records += [record(r) for r in page.records]
        if not page.offset or len(records) >= wanted:
            return {"records": records[:wanted]}
        request.offset = page.offset


async def list_records(stubs: Stubs, args: Args) -> Any:
    return await _listing(
        stubs,
        args,
        at.ListRecordsRequest(
            base_id=args["baseId"],
            table=args["tableId"],
            fields=args.get("fields", []),
            sorts=[
                at.Sort(field=s["field"], direction=s.get("direction", "asc"))
                for s in args.get("sort", [])
            ],
            view=args.get("view", ""),
            filter_by_formula=args.get("filterByFormula", ""),
        ),
    )


def _searched_fields(table: schema_pb2.Table, asked: list[str]) -> list[schema_pb2.Field]:
    if not asked:
        return [f for f in table.fields if f.type in TEXT_TYPES]
    by_key = {key: f for f in table.fields for key in (f.id, f.name)}
    unknown = [name for name in asked if name not in by_key]
    if unknown:
        raise ToolError(f"unknown field {unknown[0]!r} in table {table.name!r} ({table.id})")
    return [by_key[name] for name in asked]


def formula_string(text: str) -> str:
    """`text` as a formula's string literal."""
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def search_formula(term: str, fields: list[schema_pb2.Field]) -> str:
    """True where any of `fields` holds `term`, ignoring case (fields by id: names may hold
    any character)."""
    quoted = formula_string(term.lower())
    tests = [f'FIND({quoted}, LOWER({{{f.id}}} & ""))' for f in fields]
    return f"OR({', '.join(tests)})"


async def search_records(stubs: Stubs, args: Args) -> Any:
    table = await get_table(stubs, args["baseId"], args["tableId"])
    fields = _searched_fields(table, args.get("fieldIds", []))
    if not fields:
        raise ToolError(
            f"table {table.name!r} has no text fields to search; name fields with fieldIds"
        )
    return await _listing(
        stubs,
        args,
        at.ListRecordsRequest(
            base_id=args["baseId"],
            table=table.id,
            view=args.get("view", ""),
            filter_by_formula=search_formula(args["searchTerm"], fields),
        ),
    )


async def get_record(stubs: Stubs, args: Args) -> Any:
    answer = await stubs.records.GetRecord(
        at.GetRecordRequest(
            base_id=args["baseId"], table=args["tableId"], record_id=args["recordId"]
        )
    )
    return record(answer.record)


async def count_records(stubs: Stubs, args: Args) -> Any:
    answer = await stubs.records.ListRecords(
        at.ListRecordsRequest(
            base_id=args["baseId"],
            table=args["tableId"],
            page_size=1,
            view=args.get("view", ""),
            filter_by_formula=args.get("filterByFormula", ""),
            count_total=True,
        )
    )
    return {"count": answer.total}


async def create_record(stubs: Stubs, args: Args) -> Any:
    answer = await stubs.records.CreateRecords(
        at.CreateRecordsRequest(
            base_id=args["baseId"],
            table=args["tableId"],
            records=[to_struct(args["fields"], "fields")],
            typecast=args.get("typecast", False),
        )
    )
    return record(answer.records[0])


async def update_records(stubs: Stubs, args: Args) -> Any:
    at_most(args["records"], "records")
    answer = await stubs.records.UpdateRecords(
        at.UpdateRecordsRequest(
            base_id=args["baseId"],
            table=args["tableId"],
            records=[
                at.RecordUpdate(id=r["id"], fields=to_struct(r["fields"], "fields"))
                for r in args["records"]
            ],
            typecast=args.get("typecast", False),
        )
    )
    return {"records": [record(r) for r in answer.records]}


async def delete_records(stubs: Stubs, args: Args) -> Any:
    at_most(args["recordIds"], "recordIds")
    answer = await stubs.records.DeleteRecords(
        at.DeleteRecordsRequest(
            base_id=args["baseId"], table=args["tableId"], record_ids=args["recordIds"]
        )
    )
    return {"deleted": list(answer.deleted_record_ids)}


TOOLS = [
    Tool(
        "list_records",
        "List a table's records as {id, fields}, optionally filtered by a formula, sorted, "
        "limited to some fields or seen through a view.",
        params(
            ["baseId", "tableId"],
            baseId=BASE_ID,
            tableId=TABLE_ID,
            filterByFormula=FILTER,
            sort=SORT,
            fields={
                "type": "array",
                "items": {"type": "string"},
                "description": "Only these fields (names or ids); all when absent.",
            },
            view=VIEW,
            maxRecords=MAX_RECORDS,
        ),
        read_only=True,
        scopes=(RECORDS_READ,),
        run=list_records,
    ),
    Tool(
        "search_records",
        "Find the records whose text fields contain a word or phrase (ignoring case).",
        params(
            ["baseId", "tableId", "searchTerm"],
            baseId=BASE_ID,
            tableId=TABLE_ID,
            searchTerm={"type": "string", "minLength": 1, "description": "The text to find."},
            fieldIds={
                "type": "array",
                "items": {"type": "string"},
                "description": "Search only these fields (ids or names); all text fields "
                "when absent.",
            },
            view=VIEW,
            maxRecords=MAX_RECORDS,
        ),
        read_only=True,
        scopes=(RECORDS_READ, SCHEMA_READ),
        run=search_records,
    ),
    Tool(
        "get_record",
        "Get one record by its id.",
        params(
            ["baseId", "tableId", "recordId"], baseId=BASE_ID, tableId=TABLE_ID, recordId=RECORD_ID
        ),
        read_only=True,
        scopes=(RECORDS_READ,),
        run=get_record,
    ),
    Tool(
        "count_records",
        "Count a table's records, or those a formula selects.",
        params(
            ["baseId", "tableId"],
            baseId=BASE_ID,
            tableId=TABLE_ID,
            filterByFormula=FILTER,
            view=VIEW,
        ),
        read_only=True,
        scopes=(RECORDS_READ,),
        run=count_records,
    ),
    Tool(
        "create_record",
        "Create one record with the given cell values.",
        params(
            ["baseId", "tableId", "fields"],
            baseId=BASE_ID,
            tableId=TABLE_ID,
            fields=FIELDS_OBJECT,
            typecast=TYPECAST,
        ),
        read_only=False,
        scopes=(RECORDS_WRITE,),
        run=create_record,
    ),
    Tool(
        "update_records",
        f"Update up to {MAX_WRITE_RECORDS} records: the cells given change, the others stay.",
        params(
            ["baseId", "tableId", "records"],
            baseId=BASE_ID,
            tableId=TABLE_ID,
            records={
                "type": "array",
                "minItems": 1,
                "description": f"1 to {MAX_WRITE_RECORDS} records, each its id and new cells.",
                "items": params(["id", "fields"], id=RECORD_ID, fields=FIELDS_OBJECT),
            },
            typecast=TYPECAST,
        ),
        read_only=False,
        scopes=(RECORDS_WRITE,),
        run=update_records,
    ),
    Tool(
        "delete_records",
        f"Delete up to {MAX_WRITE_RECORDS} records by id.",
        params(
            ["baseId", "tableId", "recordIds"],
            baseId=BASE_ID,
            tableId=TABLE_ID,
            recordIds={
                "type": "array",
                "minItems": 1,
                "items": {"type": "string"},
                "description": f"1 to {MAX_WRITE_RECORDS} record ids.",
            },
        ),
        read_only=False,
        scopes=(RECORDS_WRITE,),
        run=delete_records,
    ),
]
