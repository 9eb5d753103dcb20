"""Tools beyond Airtable's API: search by meaning, formulas evaluated on records, and
aggregates computed in the database."""

from __future__ import annotations

import asyncio
from typing import Any

import grpc
from google.protobuf import json_format
from pyat.airtable.v1 import airtable_gateway_pb2 as at
from pyat.formula.v1 import formula_pb2
from pyat.search.v1 import search_pb2

from services.mcp.tools.base import (
    BASE_ID,
    FILTER,
    RECORD_ID,
    RECORDS_READ,
    SCHEMA_READ,
    TABLE_ID,
    Args,
    Stubs,
    Tool,
    ToolError,
    get_table,
    params,
    record,
)
from services.mcp.tools.records import formula_string
from services.shared import structs
from services.shared.identity import CALLER_HEADER, caller

# Records a formula is evaluated on in one call.
MAX_EVALUATED = 100
DEFAULT_EVALUATED = 10
FUNCTIONS = {
    "count": at.AGGREGATE_FUNCTION_COUNT,
    "sum": at.AGGREGATE_FUNCTION_SUM,
    "average": at.AGGREGATE_FUNCTION_AVERAGE,
    "min": at.AGGREGATE_FUNCTION_MIN,
    "max": at.AGGREGATE_FUNCTION_MAX,
}


async def semantic_search(stubs: Stubs, args: Args) -> Any:
    if args.get("filterByFormula") and not args.get("tableId"):
        raise ToolError("filterByFormula needs a tableId")
    answer = await stubs.search.Search(
        search_pb2.SearchRequest(
            base_id=args["baseId"],
            query=args["query"],
            table=args.get("tableId", ""),
            k=args.get("maxRecords", 10),
            filter_by_formula=args.get("filterByFormula", ""),
        )
    )
    found = await asyncio.gather(*(_hit(stubs, args["baseId"], hit) for hit in answer.hits))
    return {"records": [hit for hit in found if hit is not None]}


async def _hit(stubs: Stubs, base_id: str, hit: search_pb2.SearchHit) -> dict[str, Any] | None:
    """A hit with the record's cells, so a model needs no second call to read it."""
    try:
        answer = await stubs.records.GetRecord(
            at.GetRecordRequest(base_id=base_id, table=hit.table_id, record_id=hit.record_id)
        )
    except grpc.aio.AioRpcError as err:
        if err.code() is grpc.StatusCode.NOT_FOUND:
            return None  # deleted since it was indexed
        raise
    return {"tableId": hit.table_id, "score": round(hit.score, 4), **record(answer.record)}


async def evaluate_formula(stubs: Stubs, args: Args) -> Any:
    base_id = args["baseId"]
    table = await get_table(stubs, base_id, args["tableId"])
    ids = args.get("recordIds") or ([args["recordId"]] if "recordId" in args else [])
    wanted = len(ids) or args.get("maxRecords", DEFAULT_EVALUATED)
    selected = f"OR({', '.join(f'RECORD_ID() = {formula_string(i)}' for i in ids)})" if ids else ""
    listed = await stubs.records.ListRecords(
        at.ListRecordsRequest(
            base_id=base_id,
            table=table.id,
            page_size=wanted,
            max_records=wanted,
            filter_by_formula=selected,
            output=at.Output(return_fields_by_field_id=True),
        )
    )
    missing = set(ids) - {r.id for r in listed.records}
    if missing:
        raise ToolError(f"unknown record {sorted(missing)[0]} in table {table.name!r}")
    records = [
        formula_pb2.Record(id=r.id, cells=r.fields, created_time=r.created_time)
        for r in listed.records
    ]
    # EvaluateRecords is internal: mcp-server asks on the caller's behalf, having read the
    # records as the caller.
    on_behalf = stubs.assertions.for_caller(caller().on_behalf("mcp"))
    answer = await stubs.formula.EvaluateRecords(
        formula_pb2.EvaluateRecordsRequest(
            formulas=[args["formula"]], table=table, records=records
        ),
        metadata=((CALLER_HEADER, on_behalf),),
    )
    return {
        "results": [
            {"id": r.id, "value": structs.plain(json_format.MessageToDict(values.values[0]))}
            for r, values in zip(records, answer.records, strict=True)
        ]
    }


async def aggregate_records(stubs: Stubs, args: Args) -> Any:
    asked = args["aggregations"]
    answer = await stubs.records.AggregateRecords(
        at.AggregateRecordsRequest(
            base_id=args["baseId"],
            table=args["tableId"],
            aggregations=[
                at.Aggregation(function=FUNCTIONS[a["function"]], field=a.get("field", ""))
                for a in asked
            ],
            group_by=args.get("groupBy", ""),
            filter_by_formula=args.get("filterByFormula", ""),
            max_groups=args.get("maxGroups", 0),
        )
    )
    names = [f"{a['function']}({a.get('field', '')})" for a in asked]
    groups = []
    for group in answer.groups:
        values = [structs.plain(json_format.MessageToDict(v)) for v in group.values]
        shown: dict[str, Any] = {
            "records": group.records,
            "values": dict(zip(names, values, strict=True)),
        }
        if args.get("groupBy"):
            shown = {"key": structs.plain(json_format.MessageToDict(group.key)), **shown}
        groups.append(shown)
    return {"groups": groups, "truncated": answer.truncated}


TOOLS = [
    Tool(
        "semantic_search",
        "Find records by meaning, not only by exact words (e.g. 'someone who fixes cars' "
        "finds an 'auto mechanic'): the best matches first, with their cells and a score.",
        params(
            ["baseId", "query"],
            baseId=BASE_ID,
            query={
                "type": "string",
                "minLength": 1,
                "maxLength": 1000,
                "description": "What to look for, in plain words.",
            },
            tableId={
                **TABLE_ID,
                "description": "Only this table (id or name); the whole base when absent.",
            },
            filterByFormula={**FILTER, "description": FILTER["description"] + " Needs tableId."},
            maxRecords={
                "type": "integer",
                "minimum": 1,
                "maximum": 100,
                "description": "How many records (default 10).",
            },
        ),
        read_only=True,
        scopes=(RECORDS_READ,),
        run=semantic_search,
    ),
    Tool(
        "evaluate_formula",
        "Evaluate an Airtable formula on one record, on some records, or on the first records "
        "of a table, without changing anything: to test a formula before using it in a filter "
        "or a formula field.",
        params(
            ["baseId", "tableId", "formula"],
            baseId=BASE_ID,
            tableId=TABLE_ID,
            formula={
                "type": "string",
                "minLength": 1,
                "description": 'The formula, e.g. "{Points} * 2".',
            },
            recordId=RECORD_ID,
            recordIds={
                "type": "array",
                "minItems": 1,
                "maxItems": MAX_EVALUATED,
                "items": {"type": "string"},
                "description": "The records to evaluate it on.",
            },
            maxRecords={
                "type": "integer",
                "minimum": 1,
                "maximum": MAX_EVALUATED,
                "description": "Without record ids: the first this many records "
                f"(default {DEFAULT_EVALUATED}).",
            },
        ),
        read_only=True,
        scopes=(RECORDS_READ, SCHEMA_READ),
        run=evaluate_formula,
    ),
    Tool(
        "aggregate_records",
        "Count, sum, average, minimum and maximum of fields over a table's records (or those "
        "a formula selects), computed in the database, optionally grouped by a field.",
        params(
            ["baseId", "tableId", "aggregations"],
            baseId=BASE_ID,
            tableId=TABLE_ID,
            aggregations={
                "type": "array",
                "minItems": 1,
                "maxItems": 20,
                "description": 'What to compute, e.g. [{"function": "sum", "field": "Points"}].',
                "items": params(
                    ["function"],
                    function={
                        "type": "string",
                        "enum": list(FUNCTIONS),
                        "description": "count, sum, average, min or max.",
                    },
                    field={
                        "type": "string",
                        "description": "A field name or id (count may omit it: every record).",
                    },
                ),
            },
            groupBy={
                "type": "string",
                "description": "One group per distinct value of this field.",
            },
            filterByFormula=FILTER,
            maxGroups={
                "type": "integer",
                "minimum": 1,
                "maximum": 1000,
                "description": "At most this many groups, the largest first (default 100).",
            },
        ),
        read_only=True,
        scopes=(RECORDS_READ,),
        run=aggregate_records,
    ),
]
