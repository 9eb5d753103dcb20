"""Retyping a field over real gRPC: the new type's options are checked as when a field is
created, what would break or lose its values is refused, and the change is announced with the
old and the new type so that airtable-gateway converts the cells."""

from __future__ import annotations

from typing import Any

import grpc
from pyat.events.v1 import events_pb2
from pyat.schema.v1 import schema_pb2 as pb
from sqlalchemy import select

from services.shared.outbox import OutboxRow
from tests.schema.support import Owner, Schema, fails, field_violations, options, spec, struct

PRECONDITION, INVALID = grpc.StatusCode.FAILED_PRECONDITION, grpc.StatusCode.INVALID_ARGUMENT


async def retype(
    schema: Schema, owner: Owner, table: pb.Table, field: pb.Field, kind: str, **opts: Any
) -> pb.UpdateFieldResponse:
    request: dict[str, Any] = {"type": kind}
    if opts:
        request["options"] = struct(opts)
    answer: pb.UpdateFieldResponse = await schema.rpc(
        owner.person,
        "UpdateField",
        base_id=owner.base_id,
        table_id=table.id,
        field_id=field.id,
        **request,
    )
    return answer


async def retyped_events(schema: Schema, owner: Owner, field_id: str) -> list[tuple[str, str]]:
    """The (previous_type, type) of every FieldChanged of `field_id` that retyped it."""
    runtime = schema.api.host.runtime
    assert runtime is not None
    async with runtime.db.read() as session:
        payloads = await session.scalars(
            select(OutboxRow.payload)
            .where(OutboxRow.tenant_id == owner.person.tenant_id)
            .where(OutboxRow.event_type == events_pb2.FieldChanged.DESCRIPTOR.full_name)
            .order_by(OutboxRow.seq)
        )
        found = []
        for payload in payloads:
            changed = events_pb2.FieldChanged()
            events_pb2.Event.FromString(payload).payload.Unpack(changed)
            if changed.field_id == field_id and changed.previous_type:
                found.append((changed.previous_type, changed.type))
    return found


async def test_retype_gives_the_field_the_new_type_and_announces_it(
    schema: Schema, owner: Owner
) -> None:
    table = await schema.table(owner, "Retyped", spec("Name"), spec("Amount"), spec("Tag"))
    amount, tag = table.fields[1], table.fields[2]

    answer = await retype(schema, owner, table, amount, "currency", precision=1, symbol="€")
    assert answer.field.type == "currency"
    assert options(answer.field) == {"precision": 1, "symbol": "€"}
    assert answer.table.version > table.version
    # A select made from text starts with no choices: airtable-gateway adds the cells' values.
    as_select = await retype(schema, owner, table, tag, "singleSelect")
    assert options(as_select.field) == {"choices": []}
    await schema.rpc(owner.person, "UpdateField", base_id=owner.base_id, table_id=table.id,
                     field_id=tag.id, options=struct({"choices": [{"name": "red"}]}))  # fmt: skip
    chosen = options((await schema.get(owner, table.id)).fields[2])["choices"]
    # Between select types the choices stay, ids and all.
    multiple = await retype(schema, owner, table, tag, "multipleSelects")
    assert options(multiple.field)["choices"] == chosen
    # The same type again is no retype.
    same = await retype(schema, owner, table, tag, "multipleSelects")
    assert same.field == multiple.field

    assert await retyped_events(schema, owner, amount.id) == [("singleLineText", "currency")]
    assert await retyped_events(schema, owner, tag.id) == [
        ("singleLineText", "singleSelect"),
        ("singleSelect", "multipleSelects"),
    ]


async def test_retype_checks_the_type_and_its_options(schema: Schema, owner: Owner) -> None:
    table = await schema.table(owner, "Checked", spec("Name"), spec("Notes"))
    notes = table.fields[1]

    err = await fails(retype(schema, owner, table, notes, "nope"), INVALID, "INVALID_FIELD_TYPE")
    assert "field.type" in field_violations(err)
    err = await fails(
        retype(schema, owner, table, notes, "number", precision=99), INVALID,
        "INVALID_FIELD_OPTIONS",
    )  # fmt: skip
    assert "field.options.precision" in field_violations(err)
    # Options the new type needs are required, as when a field is created.
    await fails(retype(schema, owner, table, notes, "formula"), INVALID)
    await fails(retype(schema, owner, table, notes, "rollup"), INVALID)
    await fails(retype(schema, owner, table, notes, "multipleRecordLinks"), INVALID)

    unchanged = (await schema.get(owner, table.id)).fields[1]
    assert (unchanged.type, options(unchanged)) == ("singleLineText", {})
    assert await retyped_events(schema, owner, notes.id) == []


async def test_retype_refuses_what_it_would_break(schema: Schema, owner: Owner) -> None:
    table = await schema.table(
        owner, "Guarded", spec("Name"), spec("Price", "number"), spec("Made", "autoNumber")
    )
    name, price, made = table.fields
    total = await schema.field(owner, table.id, spec("Total", "formula", formula="{Price} * 2"))

    # A field that computed fields use.
    err = await fails(retype(schema, owner, table, price, "singleLineText"), PRECONDITION,
                      "FIELD_IN_USE")  # fmt: skip
    assert "Total" in (err.details() or "")
    # The primary field to a type a primary field cannot have, or to a computed one.
    for kind, opts in (("checkbox", {}), ("formula", {"formula": "1"}), ("autoNumber", {})):
        await fails(retype(schema, owner, table, name, kind, **opts), PRECONDITION,
                    "INVALID_PRIMARY_FIELD")  # fmt: skip
    # A formula's values are gone once it is retyped: nothing would be left to keep.
    await fails(retype(schema, owner, table, total, "singleLineText"), PRECONDITION,
                "CANNOT_CONVERT_FIELD")  # fmt: skip

    # Record metadata is kept, and a computed type to another computed type is fine.
    kept = await retype(schema, owner, table, made, "number")
    assert (kept.field.type, options(kept.field)) == ("number", {"precision": 0})
    again = await retype(schema, owner, table, total, "formula", formula="{Name}")
    assert again.field.type == "formula"
    to_computed = await retype(schema, owner, table, price, "createdTime")
    assert to_computed.field.type == "createdTime"


async def test_retype_to_and_from_a_link_brings_and_takes_its_inverse(
    schema: Schema, owner: Owner
) -> None:
    people = await schema.table(owner, "People", spec("Name"))
    tasks = await schema.table(owner, "Tasks", spec("Name"), spec("Owner"))
    owner_field = tasks.fields[1]

    linked = await retype(schema, owner, tasks, owner_field, "multipleRecordLinks",
                          linkedTableId=people.id)  # fmt: skip
    inverse_id = options(linked.field)["inverseLinkFieldId"]
    inverse = next(f for f in (await schema.get(owner, people.id)).fields if f.id == inverse_id)
    assert (inverse.name, inverse.type) == ("Tasks", "multipleRecordLinks")

    text = await retype(schema, owner, tasks, owner_field, "singleLineText")
    assert text.field.type == "singleLineText"
    assert [f.id for f in (await schema.get(owner, people.id)).fields] == [people.fields[0].id]


async def test_another_tenant_cannot_retype(schema: Schema, owner: Owner) -> None:
    table = await schema.table(owner, "Private", spec("Name"), spec("Secret"))
    stranger = await schema.owner()
    call = schema.rpc(stranger.person, "UpdateField", base_id=owner.base_id, table_id=table.id,
                      field_id=table.fields[1].id, type="number")  # fmt: skip
    await fails(call, grpc.StatusCode.NOT_FOUND)
    assert (await schema.get(owner, table.id)).fields[1].type == "singleLineText"
