"""Our record RPCs as requests to Airtable's Web API, and Airtable's answers in our shape.

Requests are checked here first, so bad input gets a clear INVALID_ARGUMENT without spending
one of the base's 5 requests a second.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from google.protobuf import json_format, struct_pb2, timestamp_pb2
from pyat.airtable.v1 import airtable_gateway_pb2 as pb

from services.airtable_gateway.connected.airtable import (
    MAX_URL_LENGTH,
    AirtableClient,
    Query,
    Target,
)
from services.shared.errors import FailedPrecondition, InvalidArgument
from services.shared.ids import looks_like

MAX_BATCH = 10
MAX_PAGE_SIZE = 100
MAX_MERGE_FIELDS = 3
_DIRECTIONS = ("", "asc", "desc")


class Forwarder:
    def __init__(self, client: AirtableClient) -> None:
        self._client = client

    async def list_records(
        self, target: Target, request: pb.ListRecordsRequest
    ) -> pb.ListRecordsResponse:
        _check_table(request.table)
        if request.start or request.count_total:
            # Airtable's API pages by offset only and never counts a listing.
            raise FailedPrecondition(
                "start and count_total are for native bases only: page a connected base by offset",
                reason="NOT_NATIVE",
            )
        _check_list(request)
        options = _list_options(request)
        # Airtable takes time zone and locale only in the query, even when listing by POST.
        locale = _locale_query(request.output)
        url = target.url(request.table, query=[*_list_query(options), *locale])
        if len(url) <= MAX_URL_LENGTH:
            answer = await self._client.call(target, "GET", url)
        else:
            post_url = target.url(request.table, "listRecords", query=locale)
            answer = await self._client.call(target, "POST", post_url, options)
        return pb.ListRecordsResponse(
            records=_records_of(answer.get("records")), offset=str(answer.get("offset") or "")
        )

    async def get_record(
        self, target: Target, request: pb.GetRecordRequest
    ) -> pb.GetRecordResponse:
        _check_table(request.table)
        _check_record_ids([request.record_id], "record_id")
        output = request.output
        query = [*_list_query(_output_options(output)), *_locale_query(output)]
        url = target.url(request.table, request.record_id, query=query)
        return pb.GetRecordResponse(record=_record_of(await self._client.call(target, "GET", url)))

    async def create_records(
        self, target: Target, request: pb.CreateRecordsRequest
    ) -> pb.CreateRecordsResponse:
        _check_table(request.table)
        _check_batch(len(request.records))
        body = {
            "records": [{"fields": _dict_of(cells)} for cells in request.records],
            "typecast": request.typecast,
            "returnFieldsByFieldId": request.return_fields_by_field_id,
        }
        answer = await self._client.call(target, "POST", target.url(request.table), body)
        return pb.CreateRecordsResponse(records=_records_of(answer.get("records")))

    async def update_records(
        self, target: Target, request: pb.UpdateRecordsRequest
    ) -> pb.UpdateRecordsResponse:
        _check_table(request.table)
        _check_update(request)
        records: list[dict[str, Any]] = []
        for update in request.records:
            record: dict[str, Any] = {"fields": _dict_of(update.fields)}
            if update.id:
                record["id"] = update.id
            records.append(record)
        body: dict[str, Any] = {
            "records": records,
            "typecast": request.typecast,
            "returnFieldsByFieldId": request.return_fields_by_field_id,
        }
        if request.fields_to_merge_on:
            body["performUpsert"] = {"fieldsToMergeOn": list(request.fields_to_merge_on)}
        method = "PUT" if request.replace else "PATCH"
        answer = await self._client.call(target, method, target.url(request.table), body)
        return pb.UpdateRecordsResponse(
            records=_records_of(answer.get("records")),
            created_record_ids=_strings(answer.get("createdRecords")),
            updated_record_ids=_strings(answer.get("updatedRecords")),
        )

    async def delete_records(
        self, target: Target, request: pb.DeleteRecordsRequest
    ) -> pb.DeleteRecordsResponse:
        _check_table(request.table)
        _check_batch(len(request.record_ids))
        _check_record_ids(request.record_ids, "record_ids")
        query = [("records[]", record_id) for record_id in request.record_ids]
        answer = await self._client.call(target, "DELETE", target.url(request.table, query=query))
        return pb.DeleteRecordsResponse(deleted_record_ids=_deleted_ids(answer.get("records")))


def _check_table(table: str) -> None:
    if not table.strip():
        raise InvalidArgument("table is required", fields={"table": "give a table id or name"})


def _check_list(request: pb.ListRecordsRequest) -> None:
    bad: dict[str, str] = {}
    if not 0 <= request.page_size <= MAX_PAGE_SIZE:
        bad["page_size"] = f"must be 1 to {MAX_PAGE_SIZE}"
    if request.max_records < 0:
        bad["max_records"] = "must not be negative"
    for index, sort in enumerate(request.sorts):
        if not sort.field:
            bad[f"sorts[{index}].field"] = "give a field name or id"
        if sort.direction not in _DIRECTIONS:
            bad[f"sorts[{index}].direction"] = "must be 'asc' or 'desc'"
    if bad:
        raise InvalidArgument("the list request is not valid", fields=bad)


def _check_batch(count: int) -> None:
    if not 1 <= count <= MAX_BATCH:
        raise InvalidArgument(
            f"give 1 to {MAX_BATCH} records, not {count}",
            fields={"records": f"1 to {MAX_BATCH} records"},
        )


def _check_record_ids(record_ids: Iterable[str], name: str) -> None:
    for record_id in record_ids:
        if not looks_like(record_id, "rec"):
            raise InvalidArgument(
                f"{record_id!r} is not a record id",
                fields={name: "record ids are 'rec' followed by 14 letters or digits"},
            )


def _check_update(request: pb.UpdateRecordsRequest) -> None:
    _check_batch(len(request.records))
    if len(request.fields_to_merge_on) > MAX_MERGE_FIELDS:
        raise InvalidArgument(
            f"upsert on 1 to {MAX_MERGE_FIELDS} fields",
            fields={"fields_to_merge_on": f"1 to {MAX_MERGE_FIELDS} field names or ids"},
        )
    ids = [update.id for update in request.records if update.id]
    if not request.fields_to_merge_on and len(ids) < len(request.records):
        raise InvalidArgument(
            "every record needs an id unless upserting",
            fields={"records.id": "required without fields_to_merge_on"},
        )
    _check_record_ids(ids, "records.id")


def _list_options(request: pb.ListRecordsRequest) -> dict[str, Any]:
    """The list request as the JSON body of POST .../listRecords."""
    options: dict[str, Any] = {}
    if request.page_size:
        options["pageSize"] = request.page_size
    if request.offset:
        options["offset"] = request.offset
    if request.max_records:
        options["maxRecords"] = request.max_records
    if request.fields:
        options["fields"] = list(request.fields)
    if request.sorts:
        options["sort"] = [
            {"field": sort.field, "direction": sort.direction or "asc"} for sort in request.sorts
        ]
    if request.view:
        options["view"] = request.view
    if request.filter_by_formula:
        options["filterByFormula"] = request.filter_by_formula
    return options | _output_options(request.output)


def _list_query(options: dict[str, Any]) -> Query:
    """The same options as the query of GET /v0/{base}/{table}."""
    query: list[tuple[str, str]] = []
    for name, value in options.items():
        if name == "fields":
            query += [("fields[]", field) for field in value]
        elif name == "sort":
            for index, sort in enumerate(value):
                query += [(f"sort[{index}][{key}]", sort[key]) for key in ("field", "direction")]
        elif value is True:
            query.append((name, "true"))
        else:
            query.append((name, str(value)))
    return query


def _output_options(output: pb.Output) -> dict[str, Any]:
    options: dict[str, Any] = {}
    if output.cell_format == pb.CELL_FORMAT_STRING:
        options["cellFormat"] = "string"
    if output.return_fields_by_field_id:
        options["returnFieldsByFieldId"] = True
    return options


def _locale_query(output: pb.Output) -> Query:
    return [
        (name, value)
        for name, value in (("timeZone", output.time_zone), ("userLocale", output.user_locale))
        if value
    ]


def _dict_of(cells: struct_pb2.Struct) -> dict[str, Any]:
    values: dict[str, Any] = json_format.MessageToDict(cells)
    return values


def _records_of(records: object) -> list[pb.Record]:
    if not isinstance(records, list):
        return []
    return [_record_of(item) for item in records if isinstance(item, dict)]


def _record_of(data: dict[str, Any]) -> pb.Record:
    record = pb.Record(id=str(data.get("id", "")))
    created = data.get("createdTime")
    if isinstance(created, str):
        stamp = timestamp_pb2.Timestamp()
        stamp.FromJsonString(created)
        record.created_time.CopyFrom(stamp)
    fields = data.get("fields")
    if isinstance(fields, dict):
        record.fields.update(fields)
    return record


def _deleted_ids(records: object) -> list[str]:
    if not isinstance(records, list):
        return []
    return [
        str(item["id"])
        for item in records
        if isinstance(item, dict) and item.get("deleted") and "id" in item
    ]


def _strings(values: object) -> list[str]:
    return [str(value) for value in values] if isinstance(values, list) else []
