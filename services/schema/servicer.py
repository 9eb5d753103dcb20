"""schema-service's gRPC surface: authenticate, hand over to the domain, wrap the answer."""

from __future__ import annotations

from pyat.schema.v1 import schema_pb2 as pb
from pyat.schema.v1 import schema_pb2_grpc

from services.schema.changes import SchemaStore
from services.schema.fields import Fields
from services.schema.formulas import FormulaChecker
from services.schema.relations import Relations
from services.schema.tables import Tables
from services.schema.validation import CellValidator
from services.schema.views import Views
from services.shared.identity import authenticate
from services.shared.runtime import Context, Runtime


class SchemaServicer(schema_pb2_grpc.SchemaServiceServicer):
    def __init__(self, runtime: Runtime) -> None:
        self.runtime = runtime
        store = SchemaStore(runtime)
        checker = FormulaChecker(runtime)
        self.fields = Fields(store, Relations(checker))
        self.tables = Tables(store, self.fields)
        self.views = Views(store, checker)
        self.cells = CellValidator(runtime, store)

    async def CreateTables(
        self, request: pb.CreateTablesRequest, context: Context
    ) -> pb.CreateTablesResponse:
        caller = await authenticate(context, self.runtime.clients)
        tables = await self.tables.create(caller, request.base_id, request.tables)
        return pb.CreateTablesResponse(tables=tables)

    async def ListTables(
        self, request: pb.ListTablesRequest, context: Context
    ) -> pb.ListTablesResponse:
        caller = await authenticate(context, self.runtime.clients)
        return pb.ListTablesResponse(tables=await self.tables.list(caller, request.base_id))

    async def GetTable(self, request: pb.GetTableRequest, context: Context) -> pb.GetTableResponse:
        caller = await authenticate(context, self.runtime.clients)
        table = await self.tables.get(caller, request.base_id, request.table)
        return pb.GetTableResponse(table=table)

    async def UpdateTable(
        self, request: pb.UpdateTableRequest, context: Context
    ) -> pb.UpdateTableResponse:
        caller = await authenticate(context, self.runtime.clients)
        table = await self.tables.update(caller, request.base_id, request)
        return pb.UpdateTableResponse(table=table)

    async def DeleteTable(
        self, request: pb.DeleteTableRequest, context: Context
    ) -> pb.DeleteTableResponse:
        caller = await authenticate(context, self.runtime.clients)
        await self.tables.delete(caller, request.base_id, request.table_id)
        return pb.DeleteTableResponse()

    async def CreateField(
        self, request: pb.CreateFieldRequest, context: Context
    ) -> pb.CreateFieldResponse:
        caller = await authenticate(context, self.runtime.clients)
        field, table = await self.fields.create(
            caller, request.base_id, request.table_id, request.field
        )
        return pb.CreateFieldResponse(field=field, table=table)

    async def UpdateField(
        self, request: pb.UpdateFieldRequest, context: Context
    ) -> pb.UpdateFieldResponse:
        caller = await authenticate(context, self.runtime.clients)
        field, table = await self.fields.update(caller, request.base_id, request)
        return pb.UpdateFieldResponse(field=field, table=table)

    async def DeleteField(
        self, request: pb.DeleteFieldRequest, context: Context
    ) -> pb.DeleteFieldResponse:
        caller = await authenticate(context, self.runtime.clients)
        await self.fields.delete(caller, request.base_id, request.table_id, request.field_id)
        return pb.DeleteFieldResponse()

    async def CreateView(
        self, request: pb.CreateViewRequest, context: Context
    ) -> pb.CreateViewResponse:
        caller = await authenticate(context, self.runtime.clients)
        return pb.CreateViewResponse(view=await self.views.create(caller, request))

    async def DeleteView(
        self, request: pb.DeleteViewRequest, context: Context
    ) -> pb.DeleteViewResponse:
        caller = await authenticate(context, self.runtime.clients)
        await self.views.delete(caller, request)
        return pb.DeleteViewResponse()

    async def ValidateCells(
        self, request: pb.ValidateCellsRequest, context: Context
    ) -> pb.ValidateCellsResponse:
        caller = await authenticate(context, self.runtime.clients)
        records, table = await self.cells.validate(caller, request)
        return pb.ValidateCellsResponse(records=records, table=table)
