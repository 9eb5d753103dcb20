"""WebBffService: one call per screen of the web app, answered from the services that own
the data, asked in parallel as the caller."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator

import grpc
from pyat.webbff.v1 import web_bff_pb2 as pb
from pyat.webbff.v1 import web_bff_pb2_grpc

from services.shared import identity
from services.shared.errors import DomainError
from services.shared.runtime import Context, Runtime
from services.web_bff.caches import PageCache
from services.web_bff.home import home
from services.web_bff.screens import Lookups, grid, grid_rows, record, require, table_access
from services.web_bff.upstream import Upstream
from services.web_bff.watch import Hub, Watcher, access_lost

HEARTBEAT_S = 15.0
# How often a watcher's read access is asked again (permission-service caches the answer).
RECHECK_S = 10.0


class WebBffServicer(web_bff_pb2_grpc.WebBffServiceServicer):
    def __init__(self, runtime: Runtime) -> None:
        self.runtime = runtime
        self.upstream = Upstream(runtime.clients, runtime.cache)
        self.pages = PageCache()
        self.known = Lookups()
        self.hub = Hub(self.upstream, runtime.bus)
        self.heartbeat_s = HEARTBEAT_S
        self.recheck_s = RECHECK_S
        runtime.on_close(self.hub.close)

    async def GetHome(self, request: pb.GetHomeRequest, context: Context) -> pb.GetHomeResponse:
        return await home(self.upstream)

    async def GetGrid(self, request: pb.GetGridRequest, context: Context) -> pb.GetGridResponse:
        return await grid(self.upstream, request, self.pages, self.known)

    async def GetGridRows(
        self, request: pb.GetGridRowsRequest, context: Context
    ) -> pb.GetGridRowsResponse:
        return await grid_rows(self.upstream, request, self.known)

    async def GetRecord(
        self, request: pb.GetRecordRequest, context: Context
    ) -> pb.GetRecordResponse:
        return await record(self.upstream, request, self.known)

    async def WatchTable(
        self, request: pb.WatchTableRequest, context: Context
    ) -> AsyncIterator[pb.WatchTableResponse]:
        require(base_id=request.base_id, table_id=request.table_id)
        access = await table_access(self.upstream, request.base_id, request.table_id, self.known)
        caller = identity.caller()
        key = (caller.tenant_id, access.base.id, access.table.id)
        self.hub.admit(caller)
        watcher: Watcher | None = None
        try:
            start = request.cursor
            if not start:
                now = await self.upstream.changes(access.base.id, access.table.id, after="")
                start = now.cursor
            watcher = await self.hub.join(key, caller, start)
            # At once, so the client holds its resume cursor before any change arrives.
            yield pb.WatchTableResponse(cursor=start)
            async for message in self._follow(watcher, access.base.workspace_id, key):
                yield message
        finally:
            if watcher is not None:
                self.hub.leave(key, watcher)
            self.hub.release(caller)

    async def _follow(
        self, watcher: Watcher, workspace_id: str, key: tuple[str, str, str]
    ) -> AsyncIterator[pb.WatchTableResponse]:
        _, base_id, table_id = key
        cursor = watcher.cursor
        next_beat = time.monotonic() + self.heartbeat_s
        next_check = time.monotonic() + self.recheck_s
        while True:
            if watcher.ended is not None:
                raise watcher.ended
            if not watcher.queue.empty():
                change = watcher.queue.get_nowait()
                cursor = change.cursor
                next_beat = time.monotonic() + self.heartbeat_s
                yield pb.WatchTableResponse(change=change, cursor=cursor)
                continue
            now = time.monotonic()
            if now >= next_check:
                next_check = now + self.recheck_s
                await self._still_readable(workspace_id, base_id, table_id)
                continue
            if now >= next_beat:
                next_beat = now + self.heartbeat_s
                yield pb.WatchTableResponse(cursor=cursor)
                continue
            watcher.ready.clear()
            if watcher.queue.empty() and watcher.ended is None:
                try:
                    await asyncio.wait_for(
                        watcher.ready.wait(), timeout=min(next_beat, next_check) - now
                    )
                except TimeoutError:
                    pass

    async def _still_readable(self, workspace_id: str, base_id: str, table_id: str) -> None:
        """PERMISSION_DENIED once the caller may no longer read the table; a permission-service
        that does not answer leaves the stream as it is until the next check."""
        try:
            decision = await self.upstream.check_read(workspace_id, base_id, table_id)
        except DomainError as error:
            if error.code in (grpc.StatusCode.PERMISSION_DENIED, grpc.StatusCode.NOT_FOUND):
                raise access_lost() from None
            return
        if not decision.allowed:
            raise access_lost()
