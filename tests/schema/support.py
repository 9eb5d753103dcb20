"""What schema tests share: a real fabric, people with a base, and a short way to call."""

from __future__ import annotations

from collections.abc import Awaitable
from dataclasses import dataclass
from typing import Any

import grpc
import pytest
from google.protobuf import json_format, struct_pb2
from pyat.schema.v1 import schema_pb2 as pb
from pyat.schema.v1 import schema_pb2_grpc

from services.shared.server import Host
from tests.contract.test_auth import field_violations
from tests.contract.test_workspace import Api, Person, api_on
from tests.fixtures.callers import caller_metadata

__all__ = ["Owner", "Schema", "fails", "field_violations", "struct"]


def struct(values: dict[str, Any]) -> struct_pb2.Struct:
    message = struct_pb2.Struct()
    message.update(values)
    return message


def spec(name: str, field_type: str = "singleLineText", **options: Any) -> pb.FieldSpec:
    return pb.FieldSpec(name=name, type=field_type, options=struct(options))


def options(field: pb.Field) -> dict[str, Any]:
    return json_format.MessageToDict(field.options)


async def fails(
    call: Awaitable[Any], code: grpc.StatusCode, reason: str = ""
) -> grpc.aio.AioRpcError:
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await call
    err = caught.value
    assert err.code() is code, err.details()
    if reason:
        assert reason.encode() in dict(err.trailing_metadata() or ())["grpc-status-details-bin"], (
            err.details()
        )
    return err


@dataclass(frozen=True)
class Owner:
    person: Person
    base_id: str


INTERNAL = frozenset({"ValidateCells"})


@dataclass(frozen=True)
class Schema:
    """SchemaService called by people of a real fabric."""

    api: Api
    stub: schema_pb2_grpc.SchemaServiceStub

    def rpc(self, person: Person, method: str, **fields: Any) -> Awaitable[Any]:
        request = getattr(pb, f"{method}Request")(**fields)
        metadata = person.md
        if method in INTERNAL and metadata:
            # Internal methods answer services only: as airtable-gateway calls for the person.
            metadata = caller_metadata(person.tenant_id, person.user_id, via="airtable-gateway")
        call: Awaitable[Any] = getattr(self.stub, method)(request, metadata=metadata)
        return call

    async def owner(self) -> Owner:
        """A new person in a new tenant, with a workspace and an empty base."""
        person = await self.api.sign_up()
        workspace = await self.api.workspace(person)
        base = await self.api.base(person, workspace.id)
        return Owner(person, base.id)

    async def table(
        self, owner: Owner, name: str, *fields: pb.FieldSpec, description: str = ""
    ) -> pb.Table:
        created = await self.rpc(
            owner.person,
            "CreateTables",
            base_id=owner.base_id,
            tables=[pb.TableSpec(name=name, description=description, fields=fields)],
        )
        table: pb.Table = created.tables[0]
        return table

    async def field(self, owner: Owner, table_id: str, field: pb.FieldSpec) -> pb.Field:
        created = await self.rpc(
            owner.person, "CreateField", base_id=owner.base_id, table_id=table_id, field=field
        )
        made: pb.Field = created.field
        return made

    async def get(self, owner: Owner, table: str) -> pb.Table:
        got = await self.rpc(owner.person, "GetTable", base_id=owner.base_id, table=table)
        found: pb.Table = got.table
        return found

    async def cells(
        self, owner: Owner, table_id: str, *records: dict[str, Any], typecast: bool = False
    ) -> list[dict[str, Any]]:
        validated = await self.rpc(
            owner.person,
            "ValidateCells",
            base_id=owner.base_id,
            table_id=table_id,
            records=[struct(r) for r in records],
            typecast=typecast,
        )
        return [json_format.MessageToDict(r) for r in validated.records]


def schema_on(host: Host, channel: grpc.aio.Channel) -> Schema:
    return Schema(api_on(host, channel), schema_pb2_grpc.SchemaServiceStub(channel))
