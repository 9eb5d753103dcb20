"""WatchTable over real gRPC: changes in order, resuming by cursor, tenancy, many watchers on
one table sharing one reader, slow watchers, limits and lost access."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator

import grpc
import pytest
from prometheus_client import REGISTRY
from pyat.airtable.v1 import airtable_gateway_pb2 as records_pb2
from pyat.permission.v1 import permission_pb2 as perm
from pyat.webbff.v1 import web_bff_pb2_grpc

from services.shared.errors import ResourceExhausted
from services.shared.identity import Caller
from services.shared.ids import new_id
from services.shared.server import Host
from services.web_bff.watch import MAX_WATCHERS_PER_CALLER, Watcher
from tests.airtable_gateway.helpers import Fabric
from tests.fixtures.callers import caller_metadata
from tests.web_bff.support import Board, changes_of, new_board, started

CREATED, UPDATED, DELETED = (
    records_pb2.CHANGE_KIND_CREATED,
    records_pb2.CHANGE_KIND_UPDATED,
    records_pb2.CHANGE_KIND_DELETED,
)
# Bounds for waits on background work: far above what it takes, so only a hang fails.
WAIT_S = 30.0


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def any_fabric(request: pytest.FixtureRequest) -> Fabric:
    """The fabric on SQLite (the embedded bus), then on PostgreSQL, Redis and NATS."""
    sqlite = request.param == "sqlite"
    host: Host = request.getfixturevalue("fabric" if sqlite else "pg_fabric")
    channel: grpc.aio.Channel = request.getfixturevalue("channel" if sqlite else "pg_channel")
    return Fabric(host, channel)


@pytest.fixture
async def board(any_fabric: Fabric) -> Board:
    return await new_board(any_fabric.host, any_fabric.channel)


def change_reads() -> float:
    """ListRecordChanges calls airtable-gateway has answered so far in this process."""
    return (
        REGISTRY.get_sample_value(
            "pyat_grpc_server_handled_total",
            {
                "grpc_service": "pyat.airtable.v1.AirtableGatewayService",
                "grpc_method": "ListRecordChanges",
                "grpc_code": "OK",
            },
        )
        or 0.0
    )


async def test_changes_arrive_in_order_from_the_grids_cursor(board: Board) -> None:
    grid = await board.grid()
    # Made before the watch starts: the cursor, taken with the grid, still covers it.
    [early] = await board.add("early")
    stream = board.watch(grid.cursor)
    try:
        await started(stream)
        [late] = await board.add("late")
        await board.base.update(board.tasks.id, (early.id, {"Points": 5}))
        await board.base.records.DeleteRecords(
            records_pb2.DeleteRecordsRequest(
                base_id=board.base.base_id, table=board.tasks.id, record_ids=[late.id]
            ),
            metadata=board.owner.md,
        )
        got = await asyncio.wait_for(changes_of(stream, 4), WAIT_S)
    finally:
        stream.cancel()
    assert [(m.change.record_id, m.change.kind) for m in got] == [
        (early.id, CREATED),
        (late.id, CREATED),
        (early.id, UPDATED),
        (late.id, DELETED),
    ]
    assert [m.cursor for m in got] == [m.change.cursor for m in got]
    assert got[2].change.record.fields[board.tasks.fields[1].id] == 5


async def test_a_watch_from_now_gets_only_later_changes(board: Board) -> None:
    await board.add("before")
    stream = board.watch()
    try:
        await started(stream)
        [after] = await board.add("after")
        [got] = await asyncio.wait_for(changes_of(stream, 1), WAIT_S)
    finally:
        stream.cancel()
    assert got.change.record_id == after.id


async def test_a_reconnect_with_the_last_cursor_misses_nothing(board: Board) -> None:
    grid = await board.grid()
    stream = board.watch(grid.cursor)
    try:
        await started(stream)
        [first] = await board.add("first")
        [got] = await asyncio.wait_for(changes_of(stream, 1), WAIT_S)
    finally:
        stream.cancel()
    assert got.change.record_id == first.id
    # Made while nobody watches.
    second, third = await board.add("second", "third")
    again = board.watch(got.cursor)
    try:
        await started(again)
        [fourth] = await board.add("fourth")
        resumed = await asyncio.wait_for(changes_of(again, 3), WAIT_S)
    finally:
        again.cancel()
    assert sorted(m.change.record_id for m in resumed[:2]) == sorted([second.id, third.id])
    assert resumed[2].change.record_id == fourth.id


async def test_another_tenants_watcher_gets_nothing(board: Board) -> None:
    other = await new_board(board.host, board.channel)
    stream = board.watch(person=other.owner)
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await stream.read()
    assert caught.value.code() in (grpc.StatusCode.NOT_FOUND, grpc.StatusCode.PERMISSION_DENIED)
    # And the owner's own watch of their own table sees nothing of the other tenant's writes.
    mine = board.watch()
    try:
        await started(mine)
        await other.add("theirs")
        [own] = await board.add("mine")
        [got] = await asyncio.wait_for(changes_of(mine, 1), WAIT_S)
    finally:
        mine.cancel()
    assert got.change.record_id == own.id


@contextlib.asynccontextmanager
async def channels(address: str, count: int) -> AsyncIterator[list[grpc.aio.Channel]]:
    opened = [grpc.aio.insecure_channel(address) for _ in range(count)]
    try:
        yield opened
    finally:
        for chan in opened:
            await chan.close()


async def test_two_hundred_watchers_each_get_every_change_from_one_reader(board: Board) -> None:
    grid = await board.grid()
    # The per-caller limit is per person: 200 watchers are 10 readers with 20 each (users
    # the edge vouches for, as a tenant's plan has fewer seats than that).
    readers = [new_id("usr") for _ in range(10)]
    for reader in readers:
        await board.base.api.permissions.Grant(
            perm.GrantRequest(
                subject_id=reader,
                resource=perm.Resource(workspace_id=board.base.workspace_id),
                role=perm.ROLE_READ_ONLY,
            ),
            metadata=board.owner.md,
        )
    people = [caller_metadata(board.owner.tenant_id, reader) for reader in readers]
    async with channels(board.host.address, 4) as chans:
        streams = [
            web_bff_pb2_grpc.WebBffServiceStub(chans[n % 4]).WatchTable(
                board.watch_request(grid.cursor),
                metadata=people[n % 10],
            )
            for n in range(200)
        ]
        try:
            await asyncio.wait_for(asyncio.gather(*(started(s) for s in streams)), WAIT_S)
            reads_before = change_reads()
            added = await board.add(*(f"task {n}" for n in range(5)))
            more = await board.add(*(f"more {n}" for n in range(5)))
            got = await asyncio.wait_for(
                asyncio.gather(*(changes_of(s, 10) for s in streams)), WAIT_S * 2
            )
            reads = change_reads() - reads_before
        finally:
            for stream in streams:
                stream.cancel()
    expected = [r.id for r in added + more]
    for changes in got:
        assert [m.change.record_id for m in changes] == expected
    # One tail reads for all 200 (plus polls and any other test's tails): far below 200.
    assert reads < 50, reads


async def test_a_watcher_that_never_reads_does_not_hold_up_the_others(board: Board) -> None:
    grid = await board.grid()
    slow, fast = board.watch(grid.cursor), board.watch(grid.cursor)
    try:
        await started(slow)
        await started(fast)
        added: list[records_pb2.Record] = []
        for batch in range(10):
            added += await board.add(*(f"t{batch}-{n}" for n in range(10)))
        got = await asyncio.wait_for(changes_of(fast, 100), WAIT_S)
    finally:
        slow.cancel()
        fast.cancel()
    assert [m.change.record_id for m in got] == [r.id for r in added]


async def test_a_watcher_whose_queue_overflows_is_ended_resource_exhausted() -> None:
    watcher = Watcher(Caller(user_id="usr1", tenant_id="ten1"), cursor="c0", queue_size=2)
    for n in range(3):
        watcher.offer(records_pb2.RecordChange(cursor=f"c{n + 1}"))
    assert isinstance(watcher.ended, ResourceExhausted)
    # What was not sent is dropped: the client resumes from the last cursor it received.
    assert watcher.queue.empty()
    watcher.offer(records_pb2.RecordChange(cursor="c4"))
    assert watcher.queue.empty()


async def test_one_caller_may_watch_only_so_many_streams_at_once(board: Board) -> None:
    grid = await board.grid()
    streams = [board.watch(grid.cursor) for _ in range(MAX_WATCHERS_PER_CALLER)]
    try:
        await asyncio.wait_for(asyncio.gather(*(started(s) for s in streams)), WAIT_S)
        extra = board.watch(grid.cursor)
        with pytest.raises(grpc.aio.AioRpcError) as caught:
            await extra.read()
        assert caught.value.code() is grpc.StatusCode.RESOURCE_EXHAUSTED
        # One closes, and there is room again (once the server has seen it go).
        streams[0].cancel()

        async def admitted() -> None:
            while True:
                retry = board.watch(grid.cursor)
                try:
                    await started(retry)
                    streams.append(retry)
                    return
                except grpc.aio.AioRpcError as err:
                    assert err.code() is grpc.StatusCode.RESOURCE_EXHAUSTED
                    await asyncio.sleep(0.05)

        await asyncio.wait_for(admitted(), WAIT_S)
    finally:
        for stream in streams:
            stream.cancel()


async def test_a_watcher_who_loses_access_is_ended_permission_denied(board: Board) -> None:
    api = board.base.api
    reader = await api.colleague(board.owner)
    await api.grant(board.owner, reader, perm.ROLE_READ_ONLY, workspace_id=board.base.workspace_id)
    stream = board.watch(person=reader)
    try:
        await started(stream)
        await api.permissions.Revoke(
            perm.RevokeRequest(
                subject_id=reader.user_id,
                resource=perm.Resource(workspace_id=board.base.workspace_id),
            ),
            metadata=board.owner.md,
        )

        async def until_ended() -> grpc.StatusCode:
            try:
                while await stream.read() is not grpc.aio.EOF:
                    pass
            except grpc.aio.AioRpcError as err:
                return err.code()
            return grpc.StatusCode.OK

        # Access is asked again every 10 s.
        code = await asyncio.wait_for(until_ended(), WAIT_S + 15)
    finally:
        stream.cancel()
    assert code is grpc.StatusCode.PERMISSION_DENIED


async def test_each_watcher_is_checked_again_and_quiet_streams_get_heartbeats(
    board: Board,
) -> None:
    api = board.base.api
    reader = await api.colleague(board.owner)
    await api.grant(board.owner, reader, perm.ROLE_READ_ONLY, workspace_id=board.base.workspace_id)
    grid = await board.grid()
    # The owner's watch comes first, so the table's reader reads as the owner: the reader's
    # loss of access shows in the periodic check, not in a failed read.
    owners = board.watch(grid.cursor)
    readers = board.watch(grid.cursor, person=reader)
    try:
        await started(owners)
        await started(readers)
        await api.permissions.Revoke(
            perm.RevokeRequest(
                subject_id=reader.user_id,
                resource=perm.Resource(workspace_id=board.base.workspace_id),
            ),
            metadata=board.owner.md,
        )
        with pytest.raises(grpc.aio.AioRpcError) as caught:
            # Checked every 10 s; a change would arrive before the end, none is made.
            await asyncio.wait_for(readers.read(), WAIT_S)
        assert caught.value.code() is grpc.StatusCode.PERMISSION_DENIED
        # Every 15 s a quiet stream says it is alive, with the cursor to resume from.
        beat = await asyncio.wait_for(owners.read(), WAIT_S)
        assert not beat.HasField("change")
        assert beat.cursor == grid.cursor
    finally:
        owners.cancel()
        readers.cancel()
