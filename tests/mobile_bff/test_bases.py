"""ListBases over real gRPC as real users: every base the caller can open, in every workspace,
with its tables and their fields, compact; nothing of another tenant's."""

from __future__ import annotations

import grpc
from pyat.mobilebff.v1 import mobile_bff_pb2 as pb
from pyat.mobilebff.v1 import mobile_bff_pb2_grpc
from pyat.permission.v1 import permission_pb2 as perm

from tests.airtable_gateway.helpers import Fabric, fails, new_base, spec
from tests.fixtures.callers import caller_metadata


async def test_lists_the_callers_bases_with_compact_tables(
    sqlite_fabric: Fabric, mobile: mobile_bff_pb2_grpc.MobileBffServiceStub
) -> None:
    base = await new_base(sqlite_fabric.host, sqlite_fabric.channel)
    tasks = await base.table(
        "Tasks",
        spec("Name", "singleLineText"),
        spec("Done", "checkbox"),
        spec("Notes", "multilineText"),
    )
    people = await base.table("People", spec("Email", "email"))
    second_workspace = await base.api.workspace(base.owner, "Elsewhere")
    empty = await base.api.base(base.owner, second_workspace.id, "Empty")

    answer = await mobile.ListBases(pb.ListBasesRequest(), metadata=base.owner.md)
    by_id = {listed.id: listed for listed in answer.bases}
    assert set(by_id) == {base.base_id, empty.id}
    listed = by_id[base.base_id]
    assert listed.name == "Base"
    assert listed.workspace_id == base.workspace_id
    assert listed.role == perm.ROLE_OWNER
    assert [t.id for t in listed.tables] == [tasks.id, people.id]
    compact_tasks = listed.tables[0]
    assert compact_tasks.name == "Tasks"
    assert compact_tasks.primary_field_id == tasks.primary_field_id
    assert [(f.id, f.name, f.type) for f in compact_tasks.fields] == [
        (f.id, f.name, f.type) for f in tasks.fields
    ]
    assert [f.type for f in compact_tasks.fields] == ["singleLineText", "checkbox", "multilineText"]
    assert by_id[empty.id].workspace_id == second_workspace.id
    assert list(by_id[empty.id].tables) == []


async def test_another_tenant_sees_none_of_them(
    sqlite_fabric: Fabric, mobile: mobile_bff_pb2_grpc.MobileBffServiceStub
) -> None:
    mine = await new_base(sqlite_fabric.host, sqlite_fabric.channel)
    theirs = await new_base(sqlite_fabric.host, sqlite_fabric.channel)
    await theirs.table("Secret", spec("Name", "singleLineText"))
    answer = await mobile.ListBases(pb.ListBasesRequest(), metadata=mine.owner.md)
    assert [listed.id for listed in answer.bases] == [mine.base_id]
    # An assertion naming their user in my tenant sees no workspace of theirs either.
    forged = caller_metadata(mine.owner.tenant_id, theirs.owner.user_id)
    answer = await mobile.ListBases(pb.ListBasesRequest(), metadata=forged)
    assert theirs.base_id not in [listed.id for listed in answer.bases]


async def test_a_new_user_has_no_bases(
    sqlite_fabric: Fabric, mobile: mobile_bff_pb2_grpc.MobileBffServiceStub
) -> None:
    base = await new_base(sqlite_fabric.host, sqlite_fabric.channel)
    newcomer = await base.api.colleague(base.owner)
    answer = await mobile.ListBases(pb.ListBasesRequest(), metadata=newcomer.md)
    assert list(answer.bases) == []
    await fails(mobile.ListBases(pb.ListBasesRequest()), grpc.StatusCode.UNAUTHENTICATED)
