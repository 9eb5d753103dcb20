"""Who may do what, over real gRPC: another tenant never sees a base's tables (NOT_FOUND),
a read-only member reads but cannot change (PERMISSION_DENIED), an editor may write cells
but not change the schema, and a caller without credentials is UNAUTHENTICATED."""

from __future__ import annotations

import dataclasses
from typing import Any

import grpc
import pytest
from google.protobuf.field_mask_pb2 import FieldMask
from pyat.permission.v1 import permission_pb2 as perm
from pyat.schema.v1 import schema_pb2 as pb

from tests.contract.test_workspace import Person
from tests.schema.support import Owner, Schema, fails, spec, struct


@pytest.fixture(scope="module")
async def setting(schema: Schema) -> tuple[Owner, pb.Table]:
    owner = await schema.owner()
    table = await schema.table(owner, "Secret", spec("Name"), spec("Notes"))
    return owner, table


def calls(owner: Owner, table: pb.Table) -> dict[str, dict[str, Any]]:
    """One request of every RPC, at the owner's base."""
    base_id, table_id, field_id = owner.base_id, table.id, table.fields[1].id
    new_table = pb.TableSpec(name="X", fields=[spec("N")])
    return {
        "ListTables": {"base_id": base_id},
        "GetTable": {"base_id": base_id, "table": table_id},
        "CreateTables": {"base_id": base_id, "tables": [new_table]},
        "UpdateTable": {"base_id": base_id, "table_id": table_id, "name": "Mine"},
        "DeleteTable": {"base_id": base_id, "table_id": table_id},
        "CreateField": {"base_id": base_id, "table_id": table_id, "field": spec("More")},
        "UpdateField": {"base_id": base_id, "table_id": table_id, "field_id": field_id,
                        "name": "Z"},
        "DeleteField": {"base_id": base_id, "table_id": table_id, "field_id": field_id},
        "CreateView": {"base_id": base_id, "table_id": table_id, "name": "Mine"},
        "UpdateView": {"base_id": base_id, "table_id": table_id, "view_id": table.views[0].id,
                       "name": "Mine", "update_mask": FieldMask(paths=["name"])},
        "DeleteView": {"base_id": base_id, "table_id": table_id, "view_id": table.views[0].id},
        "ValidateCells": {"base_id": base_id, "table_id": table_id,
                          "records": [struct({"Name": "x"})]},
    }  # fmt: skip


READS = {"ListTables", "GetTable"}


async def test_another_tenant_sees_nothing(schema: Schema, setting: tuple[Owner, pb.Table]) -> None:
    owner, table = setting
    stranger = await schema.api.sign_up()
    for method, fields in calls(owner, table).items():
        await fails(schema.rpc(stranger, method, **fields), grpc.StatusCode.NOT_FOUND)
    assert await schema.get(owner, table.id) == table


async def _member(schema: Schema, owner: Owner, role: int) -> Person:
    person = await schema.api.colleague(owner.person)
    base = await schema.api.rpc(owner.person, "GetBase", base_id=owner.base_id)
    await schema.api.add_member(owner.person, base.base.workspace_id, person, role)
    return person


async def test_a_read_only_member_reads_but_cannot_change(
    schema: Schema, setting: tuple[Owner, pb.Table]
) -> None:
    owner, table = setting
    reader = await _member(schema, owner, perm.ROLE_READ_ONLY)
    for method, fields in calls(owner, table).items():
        if method in READS:
            await schema.rpc(reader, method, **fields)
        else:
            await fails(schema.rpc(reader, method, **fields), grpc.StatusCode.PERMISSION_DENIED)
    assert await schema.get(owner, table.id) == table


async def test_an_editor_writes_cells_but_not_the_schema(
    schema: Schema, setting: tuple[Owner, pb.Table]
) -> None:
    owner, table = setting
    editor = await _member(schema, owner, perm.ROLE_EDITOR)
    requests = calls(owner, table)
    await schema.rpc(editor, "ValidateCells", **requests["ValidateCells"])
    await fails(schema.rpc(editor, "CreateField", **requests["CreateField"]),
                grpc.StatusCode.PERMISSION_DENIED)  # fmt: skip


async def test_credentials_and_a_base_are_required(
    schema: Schema, setting: tuple[Owner, pb.Table]
) -> None:
    owner, _ = setting
    anonymous = dataclasses.replace(owner.person, md=())
    call = schema.rpc(anonymous, "ListTables", base_id=owner.base_id)
    await fails(call, grpc.StatusCode.UNAUTHENTICATED)
    await fails(schema.rpc(owner.person, "ListTables"), grpc.StatusCode.INVALID_ARGUMENT)
    await fails(
        schema.rpc(owner.person, "ListTables", base_id="appAAAAAAAAAAAAAA"),
        grpc.StatusCode.NOT_FOUND,
    )
