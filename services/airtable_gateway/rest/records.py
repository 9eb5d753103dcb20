"""Airtable's record routes (/v0/{baseId}/{tableIdOrName}...) as AirtableGatewayService calls."""

from __future__ import annotations

import re
from typing import Any

from aiohttp import web
from google.protobuf import struct_pb2
from multidict import MultiMapping
from pyat.airtable.v1 import airtable_gateway_pb2 as at

from services.airtable_gateway.rest import methods, shapes
from services.airtable_gateway.rest.errors import invalid_request
from services.airtable_gateway.rest.inputs import (
    MAX_RECORDS,
    JsonObject,
    an_object,
    boolean,
    integer,
    json_body,
    objects,
    only,
    query_bool,
    query_int,
    query_value,
    string,
    strings,
)
from services.airtable_gateway.rest.stubs import stubs_of

_CELL_FORMATS = {"json": at.CELL_FORMAT_JSON, "string": at.CELL_FORMAT_STRING}
_STRING_OPTIONS = ("offset", "view", "filterByFormula", "cellFormat", "timeZone", "userLocale")
_INT_OPTIONS = ("pageSize", "maxRecords")
# Airtable.js lists with the HTTP method it chose among the options ("method": "post"), which
# Airtable ignores.
_IGNORED_OPTIONS = ("method",)
_LIST_OPTIONS = (
    *_STRING_OPTIONS,
    *_INT_OPTIONS,
    *_IGNORED_OPTIONS,
    "fields",
    "sort",
    "returnFieldsByFieldId",
)
# Query keys Airtable's clients send for the sort: sort[0][field], sort[0][direction], ...
_SORT_KEY = re.compile(r"sort\[(\d+)\]\[(field|direction)\]")
_WRITE_OPTIONS = ("typecast", "returnFieldsByFieldId")


def routes() -> list[web.RouteDef]:
    # Base ids start with "app"; anything else (such as "meta") is no record route.
    table = "/v0/{base:app[^/]+}/{table}"
    one = table + "/{record}"
    # Airtable.js creates and updates records at the table's path with a "/" after it, and
    # Airtable answers there as without it.
    tables = (table, table + "/")
    return [
        *(web.get(path, list_records) for path in tables),
        web.post(table + "/listRecords", list_records_by_post),
        web.get(one, get_record),
        *(web.post(path, create_records) for path in tables),
        *(web.patch(path, update_records) for path in tables),
        *(web.put(path, update_records) for path in tables),
        web.patch(one, update_record),
        web.put(one, update_record),
        *(web.delete(path, delete_records) for path in tables),
        web.delete(one, delete_record),
    ]


@methods.serves(methods.LIST_RECORDS)
async def list_records(request: web.Request) -> web.Response:
    return await _list(request, _options_of_query(request.query))


@methods.serves(methods.LIST_RECORDS)
async def list_records_by_post(request: web.Request) -> web.Response:
    """Airtable's listRecords: the options in the body (time zone and locale may stay in the
    query), for formulas too long for a URL."""
    options = {**_options_of_query(request.query), **await json_body(request)}
    return await _list(request, options)


async def _list(request: web.Request, options: JsonObject) -> web.Response:
    only(options, _LIST_OPTIONS, "the list options")
    answer = await stubs_of(request).records.ListRecords(
        at.ListRecordsRequest(
            base_id=request.match_info["base"],
            table=request.match_info["table"],
            page_size=integer(options, "pageSize"),
            offset=string(options, "offset"),
            max_records=integer(options, "maxRecords"),
            fields=strings(options, "fields"),
            sorts=_sorts(options.get("sort")),
            view=string(options, "view"),
            filter_by_formula=string(options, "filterByFormula"),
            output=_output(options),
        )
    )
    body: JsonObject = {"records": [shapes.record(r) for r in answer.records]}
    if answer.offset:
        body["offset"] = answer.offset
    return web.json_response(body)


def _options_of_query(query: MultiMapping[str]) -> JsonObject:
    """The list options of a query string, in the shape of listRecords' JSON body."""
    options: JsonObject = {}
    sorts: dict[int, dict[str, str]] = {}
    for key in dict.fromkeys(query):
        if key in ("fields[]", "fields"):
            options["fields"] = [*options.get("fields", []), *query.getall(key)]
        elif sort_key := _SORT_KEY.fullmatch(key):
            sorts.setdefault(int(sort_key[1]), {})[sort_key[2]] = query_value(query, key)
        elif key in _STRING_OPTIONS or key in _IGNORED_OPTIONS:
            options[key] = query_value(query, key)
        elif key in _INT_OPTIONS:
            options[key] = query_int(query, key)
        elif key == "returnFieldsByFieldId":
            options[key] = query_bool(query, key)
        else:
            raise invalid_request(f"Unknown query parameter {key!r}.")
    if sorts:
        options["sort"] = [sorts[index] for index in sorted(sorts)]
    return options


def _sorts(value: Any) -> list[at.Sort]:
    if value is None:
        return []
    if not isinstance(value, list):
        raise invalid_request("Invalid 'sort': it must be an array of {field, direction}.")
    sorts = []
    for item in value:
        key = an_object(item, "item of 'sort'")
        only(key, ("field", "direction"), "an item of 'sort'")
        direction = string(key, "direction") or "asc"
        if direction not in ("asc", "desc"):
            raise invalid_request("Invalid sort direction: it must be 'asc' or 'desc'.")
        sorts.append(at.Sort(field=string(key, "field", required=True), direction=direction))
    return sorts


def _output(options: JsonObject) -> at.Output:
    cell_format = string(options, "cellFormat") or "json"
    if cell_format not in _CELL_FORMATS:
        raise invalid_request("Invalid 'cellFormat': it must be 'json' or 'string'.")
    return at.Output(
        cell_format=_CELL_FORMATS[cell_format],
        time_zone=string(options, "timeZone"),
        user_locale=string(options, "userLocale"),
        return_fields_by_field_id=boolean(options, "returnFieldsByFieldId"),
    )


@methods.serves(methods.GET_RECORD)
async def get_record(request: web.Request) -> web.Response:
    options = _options_of_query(request.query)
    only(options, ("cellFormat", "timeZone", "userLocale", "returnFieldsByFieldId"), "the query")
    answer = await stubs_of(request).records.GetRecord(
        at.GetRecordRequest(
            base_id=request.match_info["base"],
            table=request.match_info["table"],
            record_id=request.match_info["record"],
            output=_output(options),
        )
    )
    return web.json_response(shapes.record(answer.record))


@methods.serves(methods.CREATE_RECORDS)
async def create_records(request: web.Request) -> web.Response:
    """Either {"records": [{"fields": ...}, ...]} or a single {"fields": ...}."""
    body = await json_body(request)
    single = "records" not in body
    only(body, (*_WRITE_OPTIONS, "fields" if single else "records"), "the request body")
    items = [body] if single else objects(body, "records", limit=MAX_RECORDS)
    cells = []
    for item in items:
        if not single:
            only(item, ("fields",), "a record")
        cells.append(_fields(item))
    answer = await stubs_of(request).records.CreateRecords(
        at.CreateRecordsRequest(
            base_id=request.match_info["base"],
            table=request.match_info["table"],
            records=cells,
            typecast=boolean(body, "typecast"),
            return_fields_by_field_id=boolean(body, "returnFieldsByFieldId"),
        )
    )
    created = [shapes.record(r) for r in answer.records]
    return web.json_response(created[0] if single else {"records": created})


def _fields(item: JsonObject) -> struct_pb2.Struct:
    cells = an_object(item.get("fields", {}), "'fields'")
    return shapes.to_struct(cells, "'fields'")


@methods.serves(methods.UPDATE_RECORDS)
async def update_records(request: web.Request) -> web.Response:
    """PATCH merges the given cells, PUT replaces them all; performUpsert matches records on
    fields and creates those that match none."""
    body = await json_body(request)
    only(body, (*_WRITE_OPTIONS, "records", "performUpsert"), "the request body")
    upsert = body.get("performUpsert")
    merge_on = []
    if upsert is not None:
        upsert = an_object(upsert, "'performUpsert'")
        only(upsert, ("fieldsToMergeOn",), "'performUpsert'")
        merge_on = strings(upsert, "fieldsToMergeOn")
        if not merge_on:
            raise invalid_request("Invalid 'fieldsToMergeOn': name 1 to 3 fields to match on.")
    updates = []
    for item in objects(body, "records", limit=MAX_RECORDS):
        only(item, ("id", "fields"), "a record")
        record_id = string(item, "id", required=upsert is None)
        updates.append(at.RecordUpdate(id=record_id, fields=_fields(item)))
    answer = await _update(request, body, updates, merge_on)
    result: JsonObject = {"records": [shapes.record(r) for r in answer.records]}
    if upsert is not None:
        result["createdRecords"] = list(answer.created_record_ids)
        result["updatedRecords"] = list(answer.updated_record_ids)
    return web.json_response(result)


@methods.serves(methods.UPDATE_RECORDS)
async def update_record(request: web.Request) -> web.Response:
    body = await json_body(request)
    only(body, (*_WRITE_OPTIONS, "fields"), "the request body")
    update = at.RecordUpdate(id=request.match_info["record"], fields=_fields(body))
    answer = await _update(request, body, [update], [])
    return web.json_response(shapes.record(answer.records[0]))


async def _update(
    request: web.Request, body: JsonObject, updates: list[at.RecordUpdate], merge_on: list[str]
) -> at.UpdateRecordsResponse:
    answer: at.UpdateRecordsResponse = await stubs_of(request).records.UpdateRecords(
        at.UpdateRecordsRequest(
            base_id=request.match_info["base"],
            table=request.match_info["table"],
            records=updates,
            replace=request.method == "PUT",
            typecast=boolean(body, "typecast"),
            return_fields_by_field_id=boolean(body, "returnFieldsByFieldId"),
            fields_to_merge_on=merge_on,
        )
    )
    return answer


@methods.serves(methods.DELETE_RECORDS)
async def delete_records(request: web.Request) -> web.Response:
    only(request.query, ("records[]", "records"), "the query")
    record_ids = [*request.query.getall("records[]", []), *request.query.getall("records", [])]
    if not record_ids or len(record_ids) > MAX_RECORDS:
        raise invalid_request(f"Name 1 to {MAX_RECORDS} records to delete with 'records[]'.")
    deleted = await _delete(request, record_ids)
    return web.json_response({"records": [{"id": i, "deleted": True} for i in deleted]})


@methods.serves(methods.DELETE_RECORDS)
async def delete_record(request: web.Request) -> web.Response:
    only(request.query, (), "the query")
    deleted = await _delete(request, [request.match_info["record"]])
    return web.json_response({"id": deleted[0], "deleted": True})


async def _delete(request: web.Request, record_ids: list[str]) -> list[str]:
    answer = await stubs_of(request).records.DeleteRecords(
        at.DeleteRecordsRequest(
            base_id=request.match_info["base"],
            table=request.match_info["table"],
            record_ids=record_ids,
        )
    )
    return list(answer.deleted_record_ids)
