"""A tenant's base with a table, and web-bff's stub, all on a real fabric."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import grpc
from pyat.airtable.v1 import airtable_gateway_pb2 as records_pb2
from pyat.schema.v1 import schema_pb2
from pyat.webbff.v1 import web_bff_pb2 as pb
from pyat.webbff.v1 import web_bff_pb2_grpc

from services.shared.server import Host
from tests.airtable_gateway.helpers import Base, new_base, spec
from tests.contract.test_workspace import Person


@dataclass
class Board:
    """A base with a "Tasks" table (Title, Points) and web-bff's stub on the same channel."""

    base: Base
    tasks: schema_pb2.Table
    bff: web_bff_pb2_grpc.WebBffServiceStub
    host: Host
    channel: grpc.aio.Channel

    @property
    def owner(self) -> Person:
        return self.base.owner

    @property
    def title_id(self) -> str:
        return self.tasks.fields[0].id

    async def add(self, *titles: str) -> list[records_pb2.Record]:
        return await self.base.create(self.tasks.id, *({"Title": t} for t in titles))

    async def grid(self, person: Person | None = None, **request: Any) -> pb.GetGridResponse:
        fields = {"base_id": self.base.base_id, "table_id": self.tasks.id, **request}
        answer: pb.GetGridResponse = await self.bff.GetGrid(
            pb.GetGridRequest(**fields), metadata=(person or self.owner).md
        )
        return answer

    def watch_request(self, cursor: str = "") -> pb.WatchTableRequest:
        return pb.WatchTableRequest(
            base_id=self.base.base_id, table_id=self.tasks.id, cursor=cursor
        )

    def watch(
        self, cursor: str = "", person: Person | None = None
    ) -> grpc.aio.UnaryStreamCall[pb.WatchTableRequest, pb.WatchTableResponse]:
        return self.bff.WatchTable(self.watch_request(cursor), metadata=(person or self.owner).md)


async def new_board(host: Host, channel: grpc.aio.Channel) -> Board:
    base = await new_base(host, channel)
    tasks = await base.table("Tasks", spec("Title", "singleLineText"), spec("Points", "number"))
    return Board(base, tasks, web_bff_pb2_grpc.WebBffServiceStub(channel), host, channel)


async def changes_of(
    stream: grpc.aio.UnaryStreamCall[pb.WatchTableRequest, pb.WatchTableResponse], count: int
) -> list[pb.WatchTableResponse]:
    """The next `count` changes of a watch (heartbeats skipped)."""
    found: list[pb.WatchTableResponse] = []
    while len(found) < count:
        message = await stream.read()
        assert message is not grpc.aio.EOF, "the stream ended"
        if message.HasField("change"):
            found.append(message)
    return found


async def started(
    stream: grpc.aio.UnaryStreamCall[pb.WatchTableRequest, pb.WatchTableResponse],
) -> str:
    """Wait for a watch's first message (sent once it follows the table); its cursor."""
    first = await stream.read()
    assert first is not grpc.aio.EOF, "the stream ended"
    assert isinstance(first, pb.WatchTableResponse)
    return first.cursor
