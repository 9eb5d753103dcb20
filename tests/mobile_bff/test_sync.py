"""SyncTable over real gRPC as real users: what changed since a listing (upserts as the records
are now, deletions), pages of changes, changes made while the pages were read, tenancy, and an
expired cursor passed through as FAILED_PRECONDITION."""

from __future__ import annotations

from typing import Any

import grpc
import pytest
from google.protobuf import json_format
from google.rpc import error_details_pb2
from grpc_status import rpc_status
from pyat.airtable.v1 import airtable_gateway_pb2 as gw
from pyat.mobilebff.v1 import mobile_bff_pb2 as pb
from pyat.mobilebff.v1 import mobile_bff_pb2_grpc

from services.airtable_gateway.native import changes
from services.shared.db import utcnow
from services.shared.structs import plain
from tests.airtable_gateway.helpers import Base, Fabric, fails, new_base, spec
from tests.contract.test_auth import field_violations
from tests.fixtures.fabric import StartHost

INVALID = grpc.StatusCode.INVALID_ARGUMENT
HIDDEN = {grpc.StatusCode.NOT_FOUND, grpc.StatusCode.PERMISSION_DENIED}


class Synced:
    """One table of a fresh base, and MobileBffService as its owner."""

    def __init__(self, base: Base, table_id: str, channel: grpc.aio.Channel) -> None:
        self.base = base
        self.table_id = table_id
        self.mobile = mobile_bff_pb2_grpc.MobileBffServiceStub(channel)

    @classmethod
    async def start(cls, fabric: Fabric) -> Synced:
        base = await new_base(fabric.host, fabric.channel)
        table = await base.table(
            "Items", spec("Name", "singleLineText"), spec("Count", "number", precision=0)
        )
        return cls(base, table.id, fabric.channel)

    async def cursor(self) -> str:
        """A new listing's sync cursor."""
        answer = await self.mobile.ListRecords(
            pb.ListRecordsRequest(base_id=self.base.base_id, table_id=self.table_id),
            metadata=self.base.owner.md,
        )
        return answer.sync_cursor

    async def sync(self, since: str, limit: int = 0) -> pb.SyncTableResponse:
        answer: pb.SyncTableResponse = await self.mobile.SyncTable(
            pb.SyncTableRequest(
                base_id=self.base.base_id, table_id=self.table_id, since=since, limit=limit
            ),
            metadata=self.base.owner.md,
        )
        return answer

    async def create(self, *names: str) -> list[str]:
        made = await self.base.create("Items", *({"Name": name} for name in names))
        return [record.id for record in made]

    async def delete(self, *record_ids: str) -> None:
        await self.base.records.DeleteRecords(
            gw.DeleteRecordsRequest(
                base_id=self.base.base_id, table="Items", record_ids=list(record_ids)
            ),
            metadata=self.base.owner.md,
        )


def cells_by_id(answer: pb.SyncTableResponse) -> dict[str, dict[str, Any]]:
    return {record.id: plain(json_format.MessageToDict(record.cells)) for record in answer.upserted}


@pytest.fixture
async def items(sqlite_fabric: Fabric) -> Synced:
    return await Synced.start(sqlite_fabric)


async def test_sync_folds_creates_updates_and_deletes(items: Synced) -> None:
    kept, changed, removed = await items.create("kept", "changed", "removed")
    since = await items.cursor()
    assert since
    nothing = await items.sync(since)
    assert (list(nothing.upserted), list(nothing.deleted_ids)) == ([], [])
    assert nothing.sync_cursor == since and not nothing.has_more

    [added] = await items.create("added")
    await items.base.update("Items", (changed, {"Name": "changed twice", "Count": 2}))
    await items.base.update("Items", (changed, {"Count": 3}))
    await items.delete(removed)
    [brief] = await items.create("brief")
    await items.delete(brief)

    answer = await items.sync(since)
    name_id, count_id = (f.id for f in (await items.base.get_table(items.table_id)).fields)
    upserted = cells_by_id(answer)
    assert set(upserted) == {added, changed}
    # Each as it is now, by field id, without its empty cells.
    assert upserted[added] == {name_id: "added"}
    assert upserted[changed] == {name_id: "changed twice", count_id: 3}
    # A record created and deleted within the window shows only as deleted.
    assert set(answer.deleted_ids) == {removed, brief}
    assert kept not in upserted and kept not in answer.deleted_ids
    assert not answer.has_more
    assert answer.sync_cursor != since

    # From the new cursor nothing is left, and the cursor stays put.
    after = await items.sync(answer.sync_cursor)
    assert (list(after.upserted), list(after.deleted_ids), after.has_more) == ([], [], False)
    assert after.sync_cursor == answer.sync_cursor


async def test_sync_pages_with_has_more_and_the_cursor(items: Synced) -> None:
    since = await items.cursor()
    created = await items.create(*(f"item {n}" for n in range(5)))
    seen: list[str] = []
    cursor = since
    pages = 0
    for _ in range(10):  # bounded: more pages than changes means the cursor never moved
        answer = await items.sync(cursor, limit=2)
        pages += 1
        seen += [record.id for record in answer.upserted]
        cursor = answer.sync_cursor
        if not answer.has_more:
            break
    assert seen == created
    assert pages == 3


async def test_changes_made_while_paging_reach_the_first_sync(items: Synced) -> None:
    await items.create(*(f"item {n}" for n in range(3)))
    first = await items.mobile.ListRecords(
        pb.ListRecordsRequest(base_id=items.base.base_id, table_id=items.table_id, page_size=2),
        metadata=items.base.owner.md,
    )
    [late] = await items.create("late")
    rest = await items.mobile.ListRecords(
        pb.ListRecordsRequest(
            base_id=items.base.base_id, table_id=items.table_id, page=first.next_page
        ),
        metadata=items.base.owner.md,
    )
    assert rest.sync_cursor == first.sync_cursor
    synced = await items.sync(first.sync_cursor)
    assert [record.id for record in synced.upserted] == [late]


async def test_other_tables_changes_are_not_synced(items: Synced) -> None:
    since = await items.cursor()
    await items.base.table("Other", spec("Name", "singleLineText"))
    await items.base.create("Other", {"Name": "elsewhere"})
    [mine] = await items.create("mine")
    answer = await items.sync(since)
    assert [record.id for record in answer.upserted] == [mine]


async def test_another_tenant_cannot_sync_my_table(items: Synced, sqlite_fabric: Fabric) -> None:
    since = await items.cursor()
    await items.create("private")
    stranger = await new_base(sqlite_fabric.host, sqlite_fabric.channel)
    for who in (stranger.owner, await items.base.api.colleague(items.base.owner)):
        with pytest.raises(grpc.aio.AioRpcError) as caught:
            await items.mobile.SyncTable(
                pb.SyncTableRequest(
                    base_id=items.base.base_id, table_id=items.table_id, since=since
                ),
                metadata=who.md,
            )
        assert caught.value.code() in HIDDEN
    # My cursor on their base is no cursor of theirs.
    their_table = await stranger.table("Items", spec("Name", "singleLineText"))
    await fails(
        items.mobile.SyncTable(
            pb.SyncTableRequest(base_id=stranger.base_id, table_id=their_table.id, since=since),
            metadata=stranger.owner.md,
        ),
        INVALID,
    )


async def test_bad_sync_requests_are_invalid_arguments(items: Synced) -> None:
    err = await fails(
        items.mobile.SyncTable(pb.SyncTableRequest(), metadata=items.base.owner.md), INVALID
    )
    assert set(field_violations(err)) == {"base_id", "table_id", "since"}
    since = await items.cursor()
    for limit in (-1, 1001):
        err = await fails(items.sync(since, limit=limit), INVALID)
        assert set(field_violations(err)) == {"limit"}
    await fails(items.sync("not-a-cursor"), INVALID)
    # The largest limit is allowed.
    assert not (await items.sync(since, limit=1000)).has_more


async def test_an_expired_cursor_is_failed_precondition(start_host: StartHost) -> None:
    # A host of its own: pruning the change log must not expire other tests' cursors.
    host = await start_host()
    async with grpc.aio.insecure_channel(host.address) as channel:
        items = await Synced.start(Fabric(host, channel))
        since = await items.cursor()
        await items.create("old news")
        assert host.runtime is not None
        assert await changes.prune(host.runtime.db, utcnow()) >= 1
        err = await fails(items.sync(since), grpc.StatusCode.FAILED_PRECONDITION)
        status = rpc_status.from_call(err)
        assert status is not None
        reasons = []
        for detail in status.details:
            info = error_details_pb2.ErrorInfo()
            if detail.Unpack(info):
                reasons.append(info.reason)
        assert reasons == ["CURSOR_EXPIRED"]
        # A new listing gives a cursor that syncs again.
        assert list((await items.sync(await items.cursor())).upserted) == []
