"""A base to work in, reached over real gRPC: a registered owner, a workspace, a base, and
stubs for schema-service and airtable-gateway acting as that owner."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import grpc
import pytest
from google.protobuf import json_format, struct_pb2
from prometheus_client import REGISTRY
from pyat.airtable.v1 import airtable_gateway_pb2 as pb
from pyat.airtable.v1 import airtable_gateway_pb2_grpc
from pyat.schema.v1 import schema_pb2, schema_pb2_grpc
from sqlalchemy import event
from sqlalchemy.engine import Connection

from services.shared.server import Host
from tests.contract.test_workspace import Api, Person, api_on


def struct(values: dict[str, Any]) -> struct_pb2.Struct:
    message = struct_pb2.Struct()
    message.update(values)
    return message


def cells(record: pb.Record) -> dict[str, Any]:
    """A record's fields as plain values, whole numbers as ints."""
    values: dict[str, Any] = json_format.MessageToDict(record.fields)
    return {key: _whole(value) for key, value in values.items()}


def _whole(value: Any) -> Any:
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, list):
        return [_whole(item) for item in value]
    return value


def records_scanned() -> float:
    """Records filtered or sorted in Python so far, from the gateway's Prometheus metric."""
    return REGISTRY.get_sample_value("pyat_airtable_records_scanned_total") or 0.0


async def fails(call: Awaitable[Any], code: grpc.StatusCode) -> grpc.aio.AioRpcError:
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await call
    assert caught.value.code() is code, caught.value.details()
    return caught.value


def spec(name: str, kind: str, **options: Any) -> schema_pb2.FieldSpec:
    return schema_pb2.FieldSpec(name=name, type=kind, options=struct(options))


@dataclass(frozen=True)
class Fabric:
    """A running fabric and a channel to it."""

    host: Host
    channel: grpc.aio.Channel


@dataclass
class Base:
    """One base of a fresh tenant, with its owner's stubs."""

    api: Api
    owner: Person
    workspace_id: str
    base_id: str
    schema: schema_pb2_grpc.SchemaServiceStub
    records: airtable_gateway_pb2_grpc.AirtableGatewayServiceStub

    async def table(self, name: str, *fields: schema_pb2.FieldSpec) -> schema_pb2.Table:
        answer = await self.schema.CreateTables(
            schema_pb2.CreateTablesRequest(
                base_id=self.base_id, tables=[schema_pb2.TableSpec(name=name, fields=fields)]
            ),
            metadata=self.owner.md,
        )
        return answer.tables[0]

    async def field(
        self, table_id: str, name: str, kind: str, options: dict[str, Any] | None = None
    ) -> schema_pb2.Field:
        answer = await self.schema.CreateField(
            schema_pb2.CreateFieldRequest(
                base_id=self.base_id,
                table_id=table_id,
                field=schema_pb2.FieldSpec(name=name, type=kind, options=struct(options or {})),
            ),
            metadata=self.owner.md,
        )
        return answer.field

    async def get_table(self, table_id: str) -> schema_pb2.Table:
        answer = await self.schema.GetTable(
            schema_pb2.GetTableRequest(base_id=self.base_id, table=table_id),
            metadata=self.owner.md,
        )
        return answer.table

    async def create(
        self, table: str, *rows: dict[str, Any], typecast: bool = False, by_id: bool = False
    ) -> list[pb.Record]:
        answer = await self.records.CreateRecords(
            pb.CreateRecordsRequest(
                base_id=self.base_id,
                table=table,
                records=[struct(row) for row in rows],
                typecast=typecast,
                return_fields_by_field_id=by_id,
            ),
            metadata=self.owner.md,
        )
        return list(answer.records)

    async def update(
        self, table: str, *updates: tuple[str, dict[str, Any]], **options: Any
    ) -> pb.UpdateRecordsResponse:
        answer: pb.UpdateRecordsResponse = await self.records.UpdateRecords(
            pb.UpdateRecordsRequest(
                base_id=self.base_id,
                table=table,
                records=[pb.RecordUpdate(id=rid, fields=struct(f)) for rid, f in updates],
                **options,
            ),
            metadata=self.owner.md,
        )
        return answer

    async def get(self, table: str, record_id: str, **output: Any) -> dict[str, Any]:
        answer = await self.records.GetRecord(
            pb.GetRecordRequest(
                base_id=self.base_id, table=table, record_id=record_id, output=pb.Output(**output)
            ),
            metadata=self.owner.md,
        )
        return cells(answer.record)

    async def list(self, table: str, **request: Any) -> pb.ListRecordsResponse:
        answer: pb.ListRecordsResponse = await self.records.ListRecords(
            pb.ListRecordsRequest(base_id=self.base_id, table=table, **request),
            metadata=self.owner.md,
        )
        return answer


async def new_base(host: Host, channel: grpc.aio.Channel) -> Base:
    """A new tenant's owner with one workspace and one base."""
    api = api_on(host, channel)
    owner = await api.sign_up()
    workspace = await api.workspace(owner)
    base = await api.base(owner, workspace.id)
    return Base(
        api,
        owner,
        workspace.id,
        base.id,
        schema_pb2_grpc.SchemaServiceStub(channel),
        airtable_gateway_pb2_grpc.AirtableGatewayServiceStub(channel),
    )


@contextmanager
def page_statements(host: Host) -> Iterator[list[tuple[str, Any]]]:
    """The sorted page queries the gateway sends, with their parameters, as they are sent."""
    assert host.runtime is not None
    engine = host.runtime.db.engine.sync_engine
    seen: list[tuple[str, Any]] = []

    def capture(conn: Connection, cursor: Any, sql: str, params: Any, *_: Any) -> None:
        if "FROM airtable_records" in sql and "ORDER BY" in sql:
            seen.append((sql, params))

    event.listen(engine, "before_cursor_execute", capture)
    try:
        yield seen
    finally:
        event.remove(engine, "before_cursor_execute", capture)


async def until(condition: Callable[[], Awaitable[bool]], what: str, timeout_s: float = 20) -> None:
    """Wait for background work (an event handled, an index built): it takes far less than
    `timeout_s`, which leaves room for a loaded machine."""
    deadline = time.monotonic() + timeout_s
    while not await condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting {timeout_s:g} s until {what}")
        await asyncio.sleep(0.05)
