"""Which method each route serves, so the front judges a token by that method's declared
access before it reads the request, as Airtable judges a token before its body."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import TypeVar

from aiohttp import web

SERVES = "pyat_serves"
_RECORDS = "/pyat.airtable.v1.AirtableGatewayService/"
_SCHEMA = "/pyat.schema.v1.SchemaService/"
_WORKSPACE = "/pyat.workspace.v1.WorkspaceService/"

LIST_RECORDS = _RECORDS + "ListRecords"
GET_RECORD = _RECORDS + "GetRecord"
CREATE_RECORDS = _RECORDS + "CreateRecords"
UPDATE_RECORDS = _RECORDS + "UpdateRecords"
DELETE_RECORDS = _RECORDS + "DeleteRecords"
LIST_BASES = _WORKSPACE + "ListBases"
GET_BASE = _WORKSPACE + "GetBase"
GET_WORKSPACE = _WORKSPACE + "GetWorkspace"
CREATE_BASE = _WORKSPACE + "CreateBase"
LIST_TABLES = _SCHEMA + "ListTables"
CREATE_TABLES = _SCHEMA + "CreateTables"
UPDATE_TABLE = _SCHEMA + "UpdateTable"
CREATE_FIELD = _SCHEMA + "CreateField"
UPDATE_FIELD = _SCHEMA + "UpdateField"

Handler = TypeVar("Handler", bound=Callable[[web.Request], Awaitable[web.StreamResponse]])


def serves(grpc_path: str) -> Callable[[Handler], Handler]:
    """Mark a route handler as serving `grpc_path` ("/pkg.Service/Method")."""

    def mark(handler: Handler) -> Handler:
        setattr(handler, SERVES, grpc_path)
        return handler

    return mark
