"""The data plane's seeded table: a base with one table of many records, made through the API.

Everything goes through the real services, as a client would: the tenant moves to the
enterprise plan (500,000 records per base), a workspace, a base and a table are created,
then the records arrive ten at a time from several callers at once. A personal access token
with read scope on the base lets the REST scenarios go through Envoy like pyairtable does.
"""

from __future__ import annotations

import concurrent.futures
import functools
import random
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

import grpc
from google.protobuf import struct_pb2
from pyat.airtable.v1 import airtable_gateway_pb2 as at
from pyat.airtable.v1 import airtable_gateway_pb2_grpc
from pyat.auth.v1 import auth_pb2, auth_pb2_grpc
from pyat.schema.v1 import schema_pb2, schema_pb2_grpc
from pyat.tenant.v1 import tenant_pb2, tenant_pb2_grpc
from pyat.workspace.v1 import workspace_pb2, workspace_pb2_grpc

from benchmarks.callers import caller_metadata

STATUSES = ("Todo", "Open", "Done", "Blocked")
# Filtered, sorted page: about a quarter of the table passes, ordered by a number.
FILTER = "AND({Amount} > 250, {Status} = 'Open')"
SORT_FIELD = "Amount"
SEED_CALLERS = 8
BATCH = 10


@dataclass(frozen=True)
class DataTable:
    """The seeded table and what the scenarios need to call it."""

    base_id: str
    table_id: str
    record_ids: tuple[str, ...]  # a sample, for GetRecord
    headers: tuple[tuple[str, str], ...]  # identity, as the edge would set it
    pat: str  # for REST through Envoy


def _struct(values: dict[str, Any]) -> struct_pb2.Struct:
    message = struct_pb2.Struct()
    message.update(values)
    return message


def record(n: int, rng: random.Random) -> struct_pb2.Struct:
    return _struct(
        {
            "Name": f"Item {n:06d}",
            "Amount": rng.randint(0, 1000),
            "Status": rng.choice(STATUSES),
            "Due": f"2026-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}",
            "Notes": "x" * rng.randint(0, 40),
        }
    )


def table_spec(name: str = "Items") -> schema_pb2.TableSpec:
    """Five fields: a name, a number, a single select, a date and long text."""
    choices = {"choices": [{"name": s} for s in STATUSES]}
    return schema_pb2.TableSpec(
        name=name,
        fields=[
            schema_pb2.FieldSpec(name="Name", type="singleLineText"),
            schema_pb2.FieldSpec(name="Amount", type="number", options=_struct({"precision": 0})),
            schema_pb2.FieldSpec(name="Status", type="singleSelect", options=_struct(choices)),
            schema_pb2.FieldSpec(
                name="Due",
                type="date",
                options=_struct({"dateFormat": {"name": "iso", "format": "YYYY-MM-DD"}}),
            ),
            schema_pb2.FieldSpec(name="Notes", type="multilineText"),
        ],
    )


@functools.cache
def seeded(address: str, tenant_id: str, user_id: str, records: int) -> DataTable:
    """Create the base and table, and fill it with `records` records (once per run)."""
    headers = caller_metadata(tenant_id, user_id)
    with grpc.insecure_channel(address) as channel:
        tenant_pb2_grpc.TenantServiceStub(channel).UpdateTenant(
            tenant_pb2.UpdateTenantRequest(plan=tenant_pb2.PLAN_ENTERPRISE),
            metadata=headers,
            timeout=30,
        )
        workspaces = workspace_pb2_grpc.WorkspaceServiceStub(channel)
        wsp = workspaces.CreateWorkspace(
            workspace_pb2.CreateWorkspaceRequest(name="Data plane"), metadata=headers, timeout=30
        ).workspace
        base = workspaces.CreateBase(
            workspace_pb2.CreateBaseRequest(workspace_id=wsp.id, name="Items"),
            metadata=headers,
            timeout=30,
        ).base
        table = (
            schema_pb2_grpc.SchemaServiceStub(channel)
            .CreateTables(
                schema_pb2.CreateTablesRequest(base_id=base.id, tables=[table_spec()]),
                metadata=headers,
                timeout=30,
            )
            .tables[0]
        )
        pat = (
            auth_pb2_grpc.AuthServiceStub(channel)
            .CreatePersonalAccessToken(
                auth_pb2.CreatePersonalAccessTokenRequest(
                    name="bench", scopes=["data.records:read"], base_ids=[base.id]
                ),
                metadata=headers,
                timeout=30,
            )
            .token
        )
        ids = fill(channel, base.id, table.id, headers, records)
    sample = tuple(random.Random(7).sample(ids, min(len(ids), 1000)))
    return DataTable(base.id, table.id, sample, headers, pat)


def fill(
    channel: grpc.Channel,
    base_id: str,
    table_id: str,
    headers: tuple[tuple[str, str], ...],
    records: int,
) -> list[str]:
    """CreateRecords ten at a time from SEED_CALLERS threads; returns the new ids."""
    stub = airtable_gateway_pb2_grpc.AirtableGatewayServiceStub(channel)

    def create(first: int) -> list[str]:
        rng = random.Random(first)
        batch = [record(n, rng) for n in range(first, min(first + BATCH, records))]
        request = at.CreateRecordsRequest(base_id=base_id, table=table_id, records=batch)
        answer = stub.CreateRecords(request, metadata=headers, timeout=60)
        return [r.id for r in answer.records]

    with concurrent.futures.ThreadPoolExecutor(SEED_CALLERS) as pool:
        batches = pool.map(create, range(0, records, BATCH))
        return [record_id for batch in batches for record_id in batch]


def list_page(table: DataTable) -> at.ListRecordsRequest:
    """The filtered, sorted page the list scenarios ask for."""
    return at.ListRecordsRequest(
        base_id=table.base_id,
        table=table.table_id,
        page_size=100,
        filter_by_formula=FILTER,
        sorts=[at.Sort(field=SORT_FIELD, direction="desc")],
    )


def rest_list_path(table: DataTable) -> str:
    """The same page as Airtable's REST API asks for it."""
    query = urlencode(
        {
            "pageSize": 100,
            "filterByFormula": FILTER,
            "sort[0][field]": SORT_FIELD,
            "sort[0][direction]": "desc",
        }
    )
    return f"/v0/{table.base_id}/{table.table_id}?{query}"
