"""The grid and record screens: each asks its services in parallel where it can.

Access is what the services say: workspace-service answers NOT_FOUND for a base the caller
can't see (another tenant's), and permission-service's Check gives the caller's role on the
table, or PERMISSION_DENIED when it allows no reading. Bases are kept a few seconds (Lookups),
tables and the base's change cursor while their version tokens stay (kept.py), and grid pages
by that cursor (caches.PageCache), but read access is checked on every call (the Check's
answer is kept only while the caller's grants are unchanged) and nothing is served before it
is granted.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from dataclasses import dataclass
from time import monotonic
from typing import Any, TypeVar

import grpc
from pyat.airtable.v1 import airtable_gateway_pb2 as records_pb2
from pyat.permission.v1 import permission_pb2
from pyat.schema.v1 import schema_pb2
from pyat.webbff.v1 import web_bff_pb2 as pb
from pyat.workspace.v1 import workspace_pb2

from services.shared import identity
from services.shared.errors import DomainError, InvalidArgument, PermissionDenied
from services.shared.ids import looks_like
from services.shared.structs import from_struct
from services.web_bff.caches import GRID_CACHE_HITS, GRID_CACHE_MISSES, PageCache, PageKey, Recent
from services.web_bff.upstream import GATEWAY, Upstream, why

MAX_PAGE_SIZE = 100
LINK_TYPE = "multipleRecordLinks"
# Linked records named per link field; a cell may hold thousands, the screen shows the first.
MAX_LINKS_PER_FIELD = 100
# Record ids per filterByFormula, which keeps each formula short.
_IDS_PER_LOOKUP = 50

T = TypeVar("T")


@dataclass(frozen=True)
class TableAccess:
    base: workspace_pb2.Base
    table: schema_pb2.Table
    role: permission_pb2.Role


def require(**ids: str) -> None:
    """Every id given; INVALID_ARGUMENT naming the first that is empty."""
    for name, value in ids.items():
        if not value:
            raise InvalidArgument(f"{name} is required", fields={name: "required"})


async def strictly(*calls: Any) -> list[Any]:
    """All answers of calls made at once, or the first failure in the order given (so the
    base's NOT_FOUND wins over what follows from it), after all have ended."""
    results = await asyncio.gather(*calls, return_exceptions=True)
    for result in results:
        if isinstance(result, BaseException):
            raise result
    return list(results)


# How long a base and a table, as the caller was last shown them, answer again without being
# asked (as airtable-gateway keeps schemas). Access is checked afresh on every call.
LOOKUP_TTL_S = 2.0
# How long airtable-gateway may render a table with the schema before its newest (its cache).
SCHEMA_SETTLE_S = 2.0


class Lookups:
    """Bases recently read, and the ids of tables asked by name, so that a screen asks only what
    may have changed: the caller's read access, every time. A base's workspace is kept longer:
    a base never moves."""

    def __init__(self, limit: int = 4096, ttl_s: float = LOOKUP_TTL_S) -> None:
        # By tenant and user: a base carries the caller's own role.
        self.bases: Recent[tuple[str, str, str], workspace_pb2.Base] = Recent(limit, ttl_s)
        # A table's id by tenant and the table as asked, id or name.
        self.table_ids: Recent[tuple[str, str, str], str] = Recent(limit, ttl_s)
        self.workspaces: Recent[tuple[str, str], str] = Recent(limit)
        # Each table's schema version and since when it has been seen.
        self._versions: Recent[tuple[str, str], tuple[int, float]] = Recent(limit)

    def settled(self, tenant_id: str, table_id: str, version: int) -> bool:
        """Whether the table's schema version has been the one seen for SCHEMA_SETTLE_S: until
        then airtable-gateway may still render pages with the schema before it."""
        key, now = (tenant_id, table_id), monotonic()
        seen = self._versions.get(key)
        if seen is None:  # no earlier version seen to be stale with
            self._versions.put(key, (version, now - SCHEMA_SETTLE_S))
            return True
        seen_version, since = seen
        if seen_version != version:
            self._versions.put(key, (version, now))
            return False
        return now - since >= SCHEMA_SETTLE_S


async def _given(value: T) -> T:
    return value


async def table_access(upstream: Upstream, base_id: str, table: str, known: Lookups) -> TableAccess:
    """The base and table as the caller sees them, and the caller's role on the table."""
    caller = identity.caller()
    base_key = (caller.tenant_id, caller.user_id, base_id)
    table_key = (caller.tenant_id, base_id, table)
    known_base = known.bases.get(base_key)
    # The schema is kept only under the base's schema token (upstream.table), so a field
    # just added shows; what was read before only tells the table's id, so the access check
    # can go out at once.
    known_table_id = known.table_ids.get(table_key)
    workspace_id = (
        known_base.workspace_id if known_base else known.workspaces.get((caller.tenant_id, base_id))
    )
    table_id = known_table_id or (table if looks_like(table, "tbl") else "")
    base_call = _given(known_base) if known_base else upstream.base(base_id)
    checked = None
    if workspace_id and table_id:
        # All at once; the base's NOT_FOUND still wins over what follows from it.
        base, found, checked = await strictly(
            base_call,
            upstream.table(base_id, table),
            upstream.check_read(workspace_id, base_id, table_id),
        )
        if (base.workspace_id, found.id) != (workspace_id, table_id):
            checked = None  # asked of another resource than the one found: ask again
    else:
        base, found = await strictly(base_call, upstream.table(base_id, table))
    # Kept from when they were read, not from when they were last used.
    if known_base is None:
        known.bases.put(base_key, base)
        known.workspaces.put((caller.tenant_id, base_id), base.workspace_id)
    if known_table_id is None:
        known.table_ids.put(table_key, found.id)
    decision = (
        checked
        if checked is not None
        else await upstream.check_read(base.workspace_id, base.id, found.id)
    )
    if not decision.allowed:
        raise PermissionDenied("you may not read this table", reason="INSUFFICIENT_ROLE")
    return TableAccess(base, found, decision.role)


def checked_page_size(asked: int) -> int:
    """A page's size: MAX_PAGE_SIZE when not given, INVALID_ARGUMENT outside 1 to it."""
    page_size = asked or MAX_PAGE_SIZE
    if not 1 <= page_size <= MAX_PAGE_SIZE:
        raise InvalidArgument(
            f"page_size must be 1 to {MAX_PAGE_SIZE}", fields={"page_size": "1 to 100"}
        )
    return page_size


async def grid(
    upstream: Upstream,
    request: pb.GetGridRequest,
    pages: PageCache,
    known: Lookups,
) -> pb.GetGridResponse:
    require(base_id=request.base_id, table_id=request.table_id)
    page_size = checked_page_size(request.page_size)
    page_request = records_pb2.ListRecordsRequest(
        base_id=request.base_id,
        table=request.table_id,
        page_size=page_size,
        view=request.view,
        output=records_pb2.Output(return_fields_by_field_id=True),
        count_total=True,
    )

    async def first_page() -> tuple[str, BaseException | None, Any]:
        """The cursor first: following changes from it then misses none the page lacks. The
        page too when it can't be cached; a cacheable one waits for the table's version."""
        cursor = ""
        failure: DomainError | None = None
        try:
            # The cursor is base-wide, whichever table is named.
            cursor = await upstream.cursor(request.base_id)
        except DomainError as error:
            failure = error
        if cursor:
            return cursor, failure, None
        if failure is not None and failure.code is grpc.StatusCode.FAILED_PRECONDITION:
            # A base without a change log is a connected one, whose listings Airtable never
            # counts: its total stays 0 (unknown).
            uncounted = records_pb2.ListRecordsRequest()
            uncounted.CopyFrom(page_request)
            uncounted.count_total = False
            return cursor, failure, await upstream.list_records(uncounted)
        return cursor, failure, await upstream.list_records(page_request)

    access, (cursor, cursor_failure, page) = await strictly(
        table_access(upstream, request.base_id, request.table_id, known), first_page()
    )
    if page is None:
        # Only now, with the caller's read access checked, may a cached page be served. A page
        # read after the table is at least as new as the version it is filed under.
        key = PageKey(
            identity.caller().tenant_id,
            request.base_id,
            request.table_id,
            request.view,
            page_size,
            cursor,
        )
        table_id, version = access.table.id, access.table.version
        page = pages.get(key, table_id, version)
        if page is not None:
            GRID_CACHE_HITS.inc()
        else:
            reading = pages.reading(key, table_id, version)
            if reading is not None:  # another caller is reading this very page: share it
                GRID_CACHE_HITS.inc()
            else:
                GRID_CACHE_MISSES.inc()
                keep = known.settled(key.tenant_id, table_id, version)
                reading = pages.read(
                    key, table_id, version, upstream.list_records(page_request), keep
                )
            page = await asyncio.shield(reading)
    answer = pb.GetGridResponse(
        base=access.base,
        table=access.table,
        records=page.records,
        offset=page.offset,
        role=access.role,
        cursor=cursor,
        total=page.total,
    )
    if cursor_failure is not None:
        answer.partial.append(pb.Partial(section="cursor", reason=why(GATEWAY, cursor_failure)))
    return answer


async def grid_rows(
    upstream: Upstream, request: pb.GetGridRowsRequest, known: Lookups
) -> pb.GetGridRowsResponse:
    require(base_id=request.base_id, table_id=request.table_id)
    page_size = checked_page_size(request.page_size)
    if request.start < 0:
        raise InvalidArgument("start cannot be negative", fields={"start": "0 or more"})
    sorts = [
        records_pb2.Sort(field=entry.removeprefix("-"), direction="desc")
        if entry.startswith("-")
        else records_pb2.Sort(field=entry, direction="asc")
        for entry in request.sort
    ]
    # The window is asked at once with the access check, and served only once it is granted.
    access, window = await asyncio.gather(
        table_access(upstream, request.base_id, request.table_id, known),
        upstream.list_records(
            records_pb2.ListRecordsRequest(
                base_id=request.base_id,
                table=request.table_id,
                page_size=page_size,
                view=request.view,
                filter_by_formula=request.filter_by_formula,
                sorts=sorts,
                start=request.start,
                count_total=True,
                output=records_pb2.Output(return_fields_by_field_id=True),
            )
        ),
        return_exceptions=True,
    )
    if isinstance(access, BaseException):
        raise access
    # Named here: airtable-gateway would refuse it too, but without saying which.
    field_ids = {field.id for field in access.table.fields}
    for sort in sorts:
        if sort.field not in field_ids:
            raise InvalidArgument(
                f"sort: {sort.field!r} is no field id of this table",
                fields={"sort": f"unknown field {sort.field!r}"},
            )
    if isinstance(window, BaseException):
        raise window
    return pb.GetGridRowsResponse(records=window.records, total=window.total)


async def record(
    upstream: Upstream, request: pb.GetRecordRequest, known: Lookups
) -> pb.GetRecordResponse:
    require(base_id=request.base_id, table_id=request.table_id, record_id=request.record_id)
    access, found = await strictly(
        table_access(upstream, request.base_id, request.table_id, known),
        upstream.record(request.base_id, request.table_id, request.record_id),
    )
    answer = pb.GetRecordResponse(record=found, table=access.table, role=access.role)
    cells = from_struct(found.fields)
    wanted: dict[str, list[str]] = {}  # link field id -> record ids, in the cell's order
    by_table: dict[str, set[str]] = {}  # linked table id -> record ids to name
    for field in access.table.fields:
        if field.type != LINK_TYPE:
            continue
        linked_table = from_struct(field.options).get("linkedTableId")
        ids = [
            value
            for value in cells.get(field.id) or []
            if isinstance(value, str) and looks_like(value, "rec")
        ][:MAX_LINKS_PER_FIELD]
        if not isinstance(linked_table, str) or not ids:
            continue
        wanted[field.id] = ids
        by_table.setdefault(linked_table, set()).update(ids)
    if not wanted:
        return answer
    lookups = await asyncio.gather(
        *(
            primary_values(upstream, request.base_id, table_id, sorted(ids))
            for table_id, ids in by_table.items()
        ),
        return_exceptions=True,
    )
    names: dict[str, str] = {}
    failure: BaseException | None = None
    for lookup in lookups:
        if isinstance(lookup, BaseException):
            failure = failure or lookup
        else:
            names.update(lookup)
    for field_id, ids in wanted.items():
        answer.linked[field_id].records.extend(
            pb.LinkedRecord(id=rid, name=names[rid]) for rid in ids if rid in names
        )
    if failure is not None:
        if not isinstance(failure, DomainError):
            raise failure
        answer.partial.append(pb.Partial(section="linked", reason=why(GATEWAY, failure)))
    return answer


async def primary_values(
    upstream: Upstream, base_id: str, table_id: str, record_ids: Sequence[str]
) -> dict[str, str]:
    """The primary value, as the UI shows it, of each of `record_ids` that exists."""
    table = await upstream.table(base_id, table_id)
    chunks = [
        record_ids[i : i + _IDS_PER_LOOKUP] for i in range(0, len(record_ids), _IDS_PER_LOOKUP)
    ]
    pages = await strictly(
        *(
            upstream.list_records(
                records_pb2.ListRecordsRequest(
                    base_id=base_id,
                    table=table.id,
                    page_size=MAX_PAGE_SIZE,
                    fields=[table.primary_field_id],
                    # Ids are checked to be record ids, so they can't break out of the quotes.
                    filter_by_formula="OR("
                    + ",".join(f"RECORD_ID()='{rid}'" for rid in chunk)
                    + ")",
                    output=records_pb2.Output(
                        cell_format=records_pb2.CELL_FORMAT_STRING,
                        time_zone="UTC",
                        user_locale="en-us",
                        return_fields_by_field_id=True,
                    ),
                )
            )
            for chunk in chunks
        )
    )
    names: dict[str, str] = {}
    for page in pages:
        for found in page.records:
            value = from_struct(found.fields).get(table.primary_field_id)
            names[found.id] = (
                "" if value is None else value if isinstance(value, str) else str(value)
            )
    return names
