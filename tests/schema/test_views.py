"""Views over real gRPC: created with a sort and visible fields, deleted but never the last,
and they stop showing a field that is deleted."""

from __future__ import annotations

from collections.abc import Awaitable
from typing import Any

import grpc
from pyat.schema.v1 import schema_pb2 as pb

from tests.schema.support import Owner, Schema, fails, field_violations, spec

INVALID = grpc.StatusCode.INVALID_ARGUMENT


async def test_views_are_created_and_deleted(schema: Schema, owner: Owner) -> None:
    table = await schema.table(owner, "Viewed", spec("Name"), spec("Size", "number"))
    name, size = table.fields
    created = await schema.rpc(
        owner.person,
        "CreateView",
        base_id=owner.base_id,
        table_id=table.id,
        name="By size",
        sorts=[pb.Sort(field_id=size.id, direction="desc"), pb.Sort(field_id=name.id)],
        visible_field_ids=[size.id, name.id],
    )
    view = created.view
    assert (view.name, view.type, view.filter_by_formula) == ("By size", "grid", "")
    assert [(s.field_id, s.direction) for s in view.sorts] == [(size.id, "desc"), (name.id, "asc")]
    assert list(view.visible_field_ids) == [size.id, name.id]
    after = await schema.get(owner, table.id)
    assert list(after.views) == [table.views[0], view]
    assert after.version == table.version + 1

    # Deleting a field takes it out of the view.
    await schema.rpc(owner.person, "DeleteField", base_id=owner.base_id, table_id=table.id,
                     field_id=size.id)  # fmt: skip
    shown = (await schema.get(owner, table.id)).views[1]
    assert [s.field_id for s in shown.sorts] == [name.id]
    assert list(shown.visible_field_ids) == [name.id]

    await schema.rpc(owner.person, "DeleteView", base_id=owner.base_id, table_id=table.id,
                     view_id=table.views[0].id)  # fmt: skip
    last = schema.rpc(owner.person, "DeleteView", base_id=owner.base_id, table_id=table.id,
                      view_id=view.id)  # fmt: skip
    await fails(last, grpc.StatusCode.FAILED_PRECONDITION, "LAST_VIEW")
    gone = schema.rpc(owner.person, "DeleteView", base_id=owner.base_id, table_id=table.id,
                      view_id=table.views[0].id)  # fmt: skip
    await fails(gone, grpc.StatusCode.NOT_FOUND, "VIEW_NOT_FOUND")


async def test_bad_views_are_refused(schema: Schema, owner: Owner) -> None:
    table = await schema.table(owner, "Badly viewed", spec("Name"))

    def create(**fields: object) -> Awaitable[Any]:
        return schema.rpc(
            owner.person, "CreateView", base_id=owner.base_id, table_id=table.id, **fields
        )

    await fails(create(name=""), INVALID)
    await fails(create(name="grid VIEW"), grpc.StatusCode.ALREADY_EXISTS, "DUPLICATE_VIEW_NAME")
    err = await fails(create(name="V", sorts=[pb.Sort(field_id="fldAAAAAAAAAAAAAA")]), INVALID)
    assert field_violations(err) == {"sorts[0].field_id": "is not a field of this table"}
    sideways = pb.Sort(field_id=table.fields[0].id, direction="up")
    err = await fails(create(name="V", sorts=[sideways]), INVALID)
    assert list(field_violations(err)) == ["sorts[0].direction"]
    twice = [table.fields[0].id] * 2
    err = await fails(create(name="V", visible_field_ids=twice), INVALID)
    assert list(field_violations(err)) == ["visible_field_ids[1]"]
