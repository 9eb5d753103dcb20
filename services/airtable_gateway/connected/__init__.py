"""Connected Airtable bases: a tenant's own Airtable base, served through our API.

The records of such a base stay at Airtable; every record call is forwarded there with the
tenant's token. The servicer (the caller already admitted) checks the base permission, then
hands the call here whenever `lookup()` finds a connection.
"""

from __future__ import annotations

from pyat.airtable.v1 import airtable_gateway_pb2 as pb

from services.airtable_gateway.connected.airtable import AirtableClient
from services.airtable_gateway.connected.connections import Connection, Connections
from services.airtable_gateway.connected.forwarding import Forwarder
from services.shared.identity import Caller
from services.shared.runtime import Runtime

__all__ = ["ConnectedBases", "Connection"]


class ConnectedBases:
    def __init__(self, runtime: Runtime) -> None:
        client = AirtableClient(runtime.cache)
        runtime.on_close(client.close)
        self._connections = Connections(runtime, client)
        self._forward = Forwarder(client)

    async def lookup(self, caller: Caller, base_id: str) -> Connection | None:
        """The base's connection, or None for a native base. Cached: cheap on every call."""
        return await self._connections.lookup(caller, base_id)

    async def list_records(
        self, conn: Connection, request: pb.ListRecordsRequest
    ) -> pb.ListRecordsResponse:
        return await self._forward.list_records(conn.target, request)

    async def get_record(
        self, conn: Connection, request: pb.GetRecordRequest
    ) -> pb.GetRecordResponse:
        return await self._forward.get_record(conn.target, request)

    async def create_records(
        self, conn: Connection, request: pb.CreateRecordsRequest
    ) -> pb.CreateRecordsResponse:
        return await self._forward.create_records(conn.target, request)

    async def update_records(
        self, conn: Connection, request: pb.UpdateRecordsRequest
    ) -> pb.UpdateRecordsResponse:
        return await self._forward.update_records(conn.target, request)

    async def delete_records(
        self, conn: Connection, request: pb.DeleteRecordsRequest
    ) -> pb.DeleteRecordsResponse:
        return await self._forward.delete_records(conn.target, request)

    async def connect(self, caller: Caller, request: pb.ConnectBaseRequest) -> pb.Connection:
        return await self._connections.connect(caller, request)

    async def list(self, caller: Caller) -> list[pb.Connection]:
        return await self._connections.of_caller(caller)

    async def disconnect(self, caller: Caller, base_id: str) -> None:
        await self._connections.disconnect(caller, base_id)
