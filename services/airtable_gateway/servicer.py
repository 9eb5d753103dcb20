"""airtable-gateway's gRPC surface: the caller, the base checked, hand connected bases over,
and delegate native ones to the domain modules."""

from __future__ import annotations

from pyat.airtable.v1 import airtable_gateway_pb2 as pb
from pyat.airtable.v1 import airtable_gateway_pb2_grpc
from pyat.permission.v1 import permission_pb2

from services.airtable_gateway.connected import ConnectedBases
from services.airtable_gateway.native.aggregate import Aggregates
from services.airtable_gateway.native.changes import Changes
from services.airtable_gateway.native.collaborators import Collaborators
from services.airtable_gateway.native.computed import Computed
from services.airtable_gateway.native.formulas import Formulas
from services.airtable_gateway.native.listing import Listing
from services.airtable_gateway.native.offsets import Offsets
from services.airtable_gateway.native.output import Renderer, output_spec
from services.airtable_gateway.native.quota import RecordQuota
from services.airtable_gateway.native.sort_indexes import SortIndexes
from services.airtable_gateway.native.storage import Scope, rows_by_id
from services.airtable_gateway.native.tables import Schemas
from services.airtable_gateway.native.writes import Writes, record_not_found
from services.shared import identity
from services.shared.base_access import Action, BaseAccess
from services.shared.errors import FailedPrecondition, InvalidArgument
from services.shared.identity import Caller
from services.shared.runtime import Context, Runtime
from services.shared.secret_key import platform_secret

READ = permission_pb2.ACTION_READ
EDIT = permission_pb2.ACTION_EDIT_RECORDS


class AirtableGatewayServicer(airtable_gateway_pb2_grpc.AirtableGatewayServiceServicer):
    def __init__(self, runtime: Runtime) -> None:
        self.runtime = runtime
        self.access = BaseAccess(runtime)
        self.connected = ConnectedBases(runtime)
        self.schemas = Schemas(runtime)
        self.formulas = Formulas(runtime)
        computed = Computed(runtime.db, self.schemas, self.formulas, Collaborators(runtime))
        self.renderer = Renderer(computed)
        offsets = Offsets(platform_secret(runtime.settings, "offsets_secret"))
        self.sort_indexes = SortIndexes(runtime.db)
        self.listing = Listing(
            runtime.db,
            self.schemas,
            self.formulas,
            computed,
            self.renderer,
            offsets,
            self.sort_indexes,
        )
        self.writes = Writes(runtime, self.schemas, self.renderer, RecordQuota(runtime))
        self.changes = Changes(runtime.db, self.schemas, self.renderer)
        self.aggregates = Aggregates(runtime.db, self.schemas, self.formulas)

    async def _caller(self, context: Context, base_id: str, action: Action) -> Caller:
        caller = identity.caller()
        if not base_id:
            raise InvalidArgument("base_id is required", fields={"base_id": "required"})
        await self.access.require(caller, base_id, action)
        return caller

    async def ListRecords(
        self, request: pb.ListRecordsRequest, context: Context
    ) -> pb.ListRecordsResponse:
        caller = await self._caller(context, request.base_id, READ)
        conn = await self.connected.lookup(caller, request.base_id)
        if conn is not None:
            return await self.connected.list_records(conn, request)
        return await self.listing.page(caller, request)

    async def GetRecord(
        self, request: pb.GetRecordRequest, context: Context
    ) -> pb.GetRecordResponse:
        caller = await self._caller(context, request.base_id, READ)
        conn = await self.connected.lookup(caller, request.base_id)
        if conn is not None:
            return await self.connected.get_record(conn, request)
        spec = output_spec(request.output)
        table = await self.schemas.get(caller, request.base_id, request.table)
        scope = Scope(caller.tenant_id, request.base_id, table.id)
        async with self.runtime.db.read() as session:
            row = (await rows_by_id(session, scope, [request.record_id])).get(request.record_id)
        if row is None:
            raise record_not_found(request.record_id)
        records = await self.renderer.records(caller, request.base_id, table, [row], spec)
        return pb.GetRecordResponse(record=records[0])

    async def CreateRecords(
        self, request: pb.CreateRecordsRequest, context: Context
    ) -> pb.CreateRecordsResponse:
        caller = await self._caller(context, request.base_id, EDIT)
        conn = await self.connected.lookup(caller, request.base_id)
        if conn is not None:
            return await self.connected.create_records(conn, request)
        return await self.writes.create(caller, request)

    async def UpdateRecords(
        self, request: pb.UpdateRecordsRequest, context: Context
    ) -> pb.UpdateRecordsResponse:
        caller = await self._caller(context, request.base_id, EDIT)
        conn = await self.connected.lookup(caller, request.base_id)
        if conn is not None:
            return await self.connected.update_records(conn, request)
        return await self.writes.update(caller, request)

    async def DeleteRecords(
        self, request: pb.DeleteRecordsRequest, context: Context
    ) -> pb.DeleteRecordsResponse:
        caller = await self._caller(context, request.base_id, EDIT)
        conn = await self.connected.lookup(caller, request.base_id)
        if conn is not None:
            return await self.connected.delete_records(conn, request)
        return await self.writes.delete(caller, request)

    async def ListRecordChanges(
        self, request: pb.ListRecordChangesRequest, context: Context
    ) -> pb.ListRecordChangesResponse:
        caller = await self._caller(context, request.base_id, READ)
        if await self.connected.lookup(caller, request.base_id) is not None:
            # Airtable keeps no change log that we could read for a connected base.
            raise FailedPrecondition(
                "record changes are kept for native bases only", reason="NOT_NATIVE"
            )
        return await self.changes.page(caller, request)

    async def AggregateRecords(
        self, request: pb.AggregateRecordsRequest, context: Context
    ) -> pb.AggregateRecordsResponse:
        caller = await self._caller(context, request.base_id, READ)
        if await self.connected.lookup(caller, request.base_id) is not None:
            # Airtable's API has no aggregation, and reading a whole base through it is no
            # answer to give within one call.
            raise FailedPrecondition(
                "aggregations are computed for native bases only", reason="NOT_NATIVE"
            )
        return await self.aggregates.compute(caller, request)

    async def ConnectBase(
        self, request: pb.ConnectBaseRequest, context: Context
    ) -> pb.ConnectBaseResponse:
        caller = identity.caller()
        return pb.ConnectBaseResponse(connection=await self.connected.connect(caller, request))

    async def ListConnections(
        self, request: pb.ListConnectionsRequest, context: Context
    ) -> pb.ListConnectionsResponse:
        caller = identity.caller()
        return pb.ListConnectionsResponse(connections=await self.connected.list(caller))

    async def DisconnectBase(
        self, request: pb.DisconnectBaseRequest, context: Context
    ) -> pb.DisconnectBaseResponse:
        caller = identity.caller()
        await self.connected.disconnect(caller, request.base_id)
        return pb.DisconnectBaseResponse()
