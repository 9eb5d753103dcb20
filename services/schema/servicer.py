"""schema-service's gRPC surface: the caller, handed over to the domain; the answer wrapped."""

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
from services.shared import identity
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
        caller = identity.caller()
        tables = await self.tables.create(caller, request.base_id, request.tables)
        return pb.CreateTablesResponse(tables=tables)

    async def ListTables(
        self, request: pb.ListTablesRequest, context: Context
    ) -> pb.ListTablesResponse:
        caller = identity.caller()
        return pb.ListTablesResponse(tables=await self.tables.list(caller, request.base_id))

    async def GetTable(self, request: pb.GetTableRequest, context: Context) -> pb.GetTableResponse:
        caller = identity.caller()
        table = await self.tables.get(caller, request.base_id, request.table)
        return pb.GetTableResponse(table=table)

    async def UpdateTable(
        self, request: pb.UpdateTableRequest, context: Context
    ) -> pb.UpdateTableResponse:
        caller = identity.caller()
        table = await self.tables.update(caller, request.base_id, request)
        return pb.UpdateTableResponse(table=table)

    async def DeleteTable(
        self, request: pb.DeleteTableRequest, context: Context
    ) -> pb.DeleteTableResponse:
        caller = identity.caller()
        await self.tables.delete(caller, request.base_id, request.table_id)
        return pb.DeleteTableResponse()

    async def CreateField(
        self, request: pb.CreateFieldRequest, context: Context
    ) -> pb.CreateFieldResponse:
        caller = identity.caller()
        field, table = await self.fields.create(
            caller, request.base_id, request.table_id, request.field
        )
        return pb.CreateFieldResponse(field=field, table=table)

    async def UpdateField(
        self, request: pb.UpdateFieldRequest, context: Context
    ) -> pb.UpdateFieldResponse:
        caller = identity.caller()
        field, table = await self.fields.update(caller, request.base_id, request)
        return pb.UpdateFieldResponse(field=field, table=table)

    async def DeleteField(
        self, request: pb.DeleteFieldRequest, context: Context
    ) -> pb.DeleteFieldResponse:
        caller = identity.caller()
        await self.fields.delete(caller, request.base_id, request.table_id, request.field_id)
        return pb.DeleteFieldResponse()

    async def CreateView(
        self, request: pb.CreateViewRequest, context: Context
    ) -> pb.CreateViewResponse:
        caller = identity.caller()
        return pb.CreateViewResponse(view=await self.views.create(caller, request))

    async def UpdateView(
        self, request: pb.UpdateViewRequest, context: Context
    ) -> pb.UpdateViewResponse:
        caller = identity.caller()
        return pb.UpdateViewResponse(view=await self.views.update(caller, request))

    async def DeleteView(
        self, request: pb.DeleteViewRequest, context: Context
    ) -> pb.DeleteViewResponse:
        caller = identity.caller()
        await self.views.delete(caller, request)
        return pb.DeleteViewResponse()

    async def ValidateCells(
        self, request: pb.ValidateCellsRequest, context: Context
    ) -> pb.ValidateCellsResponse:
        caller = identity.caller()
        records, table = await self.cells.validate(caller, request)
        return pb.ValidateCellsResponse(records=records, table=table)
