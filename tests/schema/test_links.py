"""Links over real gRPC: the inverse field in the linked table, deleted together; lookups and
counts through a link; and fields that others are computed from cannot be deleted."""

from __future__ import annotations

import grpc
from pyat.schema.v1 import schema_pb2 as pb

from tests.schema.support import Owner, Schema, fails, options, spec

PRECONDITION = grpc.StatusCode.FAILED_PRECONDITION


async def _pair(schema: Schema) -> tuple[Owner, pb.Table, pb.Table]:
    owner = await schema.owner()
    people = await schema.table(owner, "People", spec("Name"), spec("Age", "number"))
    teams = await schema.table(owner, "Teams", spec("Name"))
    return owner, people, teams


async def test_a_link_creates_its_inverse_in_the_linked_table(schema: Schema) -> None:
    owner, people, teams = await _pair(schema)
    link = await schema.field(
        owner, teams.id, spec("Members", "multipleRecordLinks", linkedTableId=people.id)
    )
    after = await schema.get(owner, people.id)
    inverse = after.fields[-1]
    assert (inverse.name, inverse.type) == ("Teams", "multipleRecordLinks")
    assert options(inverse) == {
        "linkedTableId": teams.id,
        "inverseLinkFieldId": link.id,
        "isReversed": False,
        "prefersSingleRecordLink": False,
    }
    assert options(link) == {
        "linkedTableId": people.id,
        "inverseLinkFieldId": inverse.id,
        "isReversed": False,
        "prefersSingleRecordLink": False,
    }
    assert after.version == people.version + 1
    # A second link gets a name of its own on the other side.
    await schema.field(
        owner, teams.id, spec("Leads", "multipleRecordLinks", linkedTableId=people.id)
    )
    assert [f.name for f in (await schema.get(owner, people.id)).fields][-2:] == [
        "Teams", "Teams 2",
    ]  # fmt: skip


async def test_deleting_a_link_deletes_its_inverse(schema: Schema) -> None:
    owner, people, teams = await _pair(schema)
    link = await schema.field(
        owner, teams.id, spec("Members", "multipleRecordLinks", linkedTableId=people.id)
    )
    inverse_id = options(link)["inverseLinkFieldId"]
    await schema.rpc(
        owner.person, "DeleteField", base_id=owner.base_id, table_id=people.id, field_id=inverse_id
    )
    assert [f.name for f in (await schema.get(owner, teams.id)).fields] == ["Name"]
    assert [f.name for f in (await schema.get(owner, people.id)).fields] == ["Name", "Age"]


async def test_a_table_can_link_to_itself_without_an_inverse(schema: Schema, owner: Owner) -> None:
    table = await schema.table(owner, "Tree", spec("Name"))
    parent = spec(
        "Parent", "multipleRecordLinks", linkedTableId=table.id, prefersSingleRecordLink=True
    )
    link = await schema.field(owner, table.id, parent)
    assert options(link) == {
        "linkedTableId": table.id, "isReversed": False, "prefersSingleRecordLink": True,
    }  # fmt: skip
    assert len((await schema.get(owner, table.id)).fields) == 2


async def test_tables_created_together_can_link_to_each_other(schema: Schema) -> None:
    owner = await schema.owner()
    created = await schema.rpc(
        owner.person,
        "CreateTables",
        base_id=owner.base_id,
        tables=[
            pb.TableSpec(name="Orders", fields=[spec("Number"),
                         spec("Customer", "multipleRecordLinks", linkedTableId="Customers")]),
            pb.TableSpec(name="Customers", fields=[spec("Name")]),
        ],
    )  # fmt: skip
    orders, customers = created.tables
    link, inverse = orders.fields[1], customers.fields[1]
    assert options(link)["linkedTableId"] == customers.id
    assert (inverse.name, options(inverse)["inverseLinkFieldId"]) == ("Orders", link.id)
    assert options(link)["inverseLinkFieldId"] == inverse.id


async def test_lookups_and_counts_read_through_a_link(schema: Schema) -> None:
    owner, people, teams = await _pair(schema)
    link = await schema.field(
        owner, teams.id, spec("Members", "multipleRecordLinks", linkedTableId=people.id)
    )
    age = people.fields[1]
    lookup = await schema.field(
        owner,
        teams.id,
        spec(
            "Ages", "multipleLookupValues", recordLinkFieldId=link.id, fieldIdInLinkedTable=age.id
        ),
    )
    assert options(lookup) == {
        "isValid": True,
        "recordLinkFieldId": link.id,
        "fieldIdInLinkedTable": age.id,
        "result": {"type": "number", "options": {"precision": 0}},
    }
    count = await schema.field(owner, teams.id, spec("Size", "count", recordLinkFieldId=link.id))
    assert options(count) == {"isValid": True, "recordLinkFieldId": link.id}
    wrong = spec("Bad", "multipleLookupValues", recordLinkFieldId=link.id,
                 fieldIdInLinkedTable=teams.fields[0].id)  # fmt: skip
    await fails(schema.field(owner, teams.id, wrong), grpc.StatusCode.INVALID_ARGUMENT)
    not_a_link = spec("Bad", "count", recordLinkFieldId=teams.fields[0].id)
    await fails(schema.field(owner, teams.id, not_a_link), grpc.StatusCode.INVALID_ARGUMENT)

    # What they read from cannot go while they are there.
    for table_id, field_id in ((people.id, age.id), (teams.id, link.id)):
        call = schema.rpc(owner.person, "DeleteField", base_id=owner.base_id,
                          table_id=table_id, field_id=field_id)  # fmt: skip
        await fails(call, PRECONDITION, "FIELD_IN_USE")
    call = schema.rpc(owner.person, "DeleteTable", base_id=owner.base_id, table_id=people.id)
    await fails(call, PRECONDITION, "FIELD_IN_USE")
    for field in (lookup, count):
        await schema.rpc(owner.person, "DeleteField", base_id=owner.base_id,
                         table_id=teams.id, field_id=field.id)  # fmt: skip
    await schema.rpc(owner.person, "DeleteTable", base_id=owner.base_id, table_id=people.id)
    assert [f.name for f in (await schema.get(owner, teams.id)).fields] == ["Name"]


async def test_a_link_cannot_be_pointed_elsewhere(schema: Schema) -> None:
    owner, people, teams = await _pair(schema)
    link = await schema.field(
        owner, teams.id, spec("Members", "multipleRecordLinks", linkedTableId=people.id)
    )
    call = schema.rpc(
        owner.person, "UpdateField", base_id=owner.base_id, table_id=teams.id, field_id=link.id,
        options=spec("", linkedTableId=teams.id).options,
    )  # fmt: skip
    await fails(call, grpc.StatusCode.INVALID_ARGUMENT)
    updated = await schema.rpc(
        owner.person, "UpdateField", base_id=owner.base_id, table_id=teams.id, field_id=link.id,
        options=spec("", linkedTableId=people.id, prefersSingleRecordLink=True).options,
    )  # fmt: skip
    assert options(updated.field)["prefersSingleRecordLink"] is True
    assert options(updated.field)["inverseLinkFieldId"] == options(link)["inverseLinkFieldId"]
