"""A table's records for the app: compact pages with opaque cursors, and delta sync folded
from airtable-gateway's change feed."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import grpc
from pyat.airtable.v1 import airtable_gateway_pb2 as gw
from pyat.airtable.v1 import airtable_gateway_pb2_grpc
from pyat.mobilebff.v1 import mobile_bff_pb2 as pb

from services.mobile_bff.pages import Page, PageTokens, page_key
from services.mobile_bff.upstream import reason_of, relayed
from services.shared.errors import InvalidArgument
from services.shared.identity import Caller
from services.shared.runtime import Runtime
from services.shared.structs import from_struct, to_struct

MAX_PAGE_SIZE = 100
DEFAULT_SYNC_LIMIT = 500
MAX_SYNC_LIMIT = 1000
_GATEWAY = "airtable-gateway"
# airtable-gateway's reason for "this base's changes are not kept" (a connected base).
_NOT_NATIVE = "NOT_NATIVE"


def is_empty(value: Any) -> bool:
    """What the app never needs sent: a cell with nothing in it."""
    return value is None or value is False or value == "" or value == [] or value == {}


def compact(record: gw.Record) -> pb.CompactRecord:
    """A record with only its non-empty cells, keyed by field id as the gateway gave them."""
    cells = {key: value for key, value in from_struct(record.fields).items() if not is_empty(value)}
    compacted = pb.CompactRecord(id=record.id, cells=to_struct(cells))
    if record.HasField("created_time"):
        compacted.created_time.CopyFrom(record.created_time)
    return compacted


def fold(changes: Iterable[gw.RecordChange]) -> tuple[list[gw.Record], list[str]]:
    """Changes, oldest first, as the records to upsert (each once, as it is now) and the ids to
    delete. A record that no longer exists is a deletion whatever else happened to it, so one
    created and deleted within the window is only deleted (the app ignores unknown ids)."""
    upserted: dict[str, gw.Record] = {}
    deleted: dict[str, None] = {}
    for change in changes:
        record_id = change.record_id
        if change.kind == gw.CHANGE_KIND_DELETED or not change.HasField("record"):
            upserted.pop(record_id, None)
            deleted[record_id] = None
        else:
            # Latest last: the record moves to where its newest change puts it.
            upserted.pop(record_id, None)
            deleted.pop(record_id, None)
            upserted[record_id] = change.record
    return list(upserted.values()), list(deleted)


def _required(request: Any, *names: str) -> None:
    missing = {name: "is required" for name in names if not getattr(request, name)}
    if missing:
        raise InvalidArgument(f"{', '.join(missing)} required", fields=missing)


def _bounded(value: int, name: str, default: int, maximum: int) -> int:
    if not 0 <= value <= maximum:
        raise InvalidArgument(
            f"invalid {name}", fields={name: f"must be 1 to {maximum} (0 for {default})"}
        )
    return value or default


class Records:
    def __init__(self, runtime: Runtime) -> None:
        self._gateway = airtable_gateway_pb2_grpc.AirtableGatewayServiceStub(
            runtime.clients.channel("airtable-gateway")
        )
        self._pages = PageTokens(page_key(runtime.settings))

    async def list_page(
        self, caller: Caller, request: pb.ListRecordsRequest
    ) -> pb.ListRecordsResponse:
        _required(request, "base_id", "table_id")
        size = _bounded(request.page_size, "page_size", MAX_PAGE_SIZE, MAX_PAGE_SIZE)
        base_id, table_id = request.base_id, request.table_id
        if request.page:
            page = self._pages.open(request.page, caller.tenant_id, base_id, table_id)
        else:
            # Taken before the first page is read, so that no change made while the app reads
            # the pages falls between the listing and its first sync.
            page = Page(offset="", sync_cursor=await self._cursor_now(base_id, table_id))
        try:
            answer = await self._gateway.ListRecords(
                gw.ListRecordsRequest(
                    base_id=base_id,
                    table=table_id,
                    page_size=size,
                    offset=page.offset,
                    output=gw.Output(return_fields_by_field_id=True),
                )
            )
        except grpc.aio.AioRpcError as err:
            raise relayed(_GATEWAY, err) from None
        next_page = ""
        if answer.offset:
            next_page = self._pages.seal(
                caller.tenant_id, base_id, table_id, Page(answer.offset, page.sync_cursor)
            )
        return pb.ListRecordsResponse(
            records=[compact(record) for record in answer.records],
            next_page=next_page,
            sync_cursor=page.sync_cursor,
        )

    async def sync(self, caller: Caller, request: pb.SyncTableRequest) -> pb.SyncTableResponse:
        _required(request, "base_id", "table_id", "since")
        limit = _bounded(request.limit, "limit", DEFAULT_SYNC_LIMIT, MAX_SYNC_LIMIT)
        try:
            answer = await self._gateway.ListRecordChanges(
                gw.ListRecordChangesRequest(
                    base_id=request.base_id,
                    table=request.table_id,
                    after=request.since,
                    page_size=limit,
                )
            )
        except grpc.aio.AioRpcError as err:
            # CURSOR_EXPIRED stays FAILED_PRECONDITION with its reason: the app lists afresh.
            raise relayed(_GATEWAY, err) from None
        upserted, deleted_ids = fold(answer.changes)
        return pb.SyncTableResponse(
            upserted=[compact(record) for record in upserted],
            deleted_ids=deleted_ids,
            sync_cursor=answer.cursor,
            has_more=answer.has_more,
        )

    async def _cursor_now(self, base_id: str, table_id: str) -> str:
        """The change feed's position now; empty for a base whose changes are not kept (a
        connected one: Airtable keeps no change log we can read), which the app can't sync
        and lists afresh instead."""
        try:
            answer = await self._gateway.ListRecordChanges(
                gw.ListRecordChangesRequest(base_id=base_id, table=table_id, after="", page_size=1)
            )
        except grpc.aio.AioRpcError as err:
            if err.code() is grpc.StatusCode.FAILED_PRECONDITION and reason_of(err) == _NOT_NATIVE:
                return ""
            raise relayed(_GATEWAY, err) from None
        return answer.cursor
