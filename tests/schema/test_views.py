"""Views over real gRPC: created with a sort and visible fields, changed by an update mask,
deleted but never the last, and they stop showing a field that is deleted."""

from __future__ import annotations

from collections.abc import Awaitable
from typing import Any

import grpc
import pytest
from google.protobuf import field_mask_pb2
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


def mask(*paths: str) -> field_mask_pb2.FieldMask:
    return field_mask_pb2.FieldMask(paths=paths)


async def test_a_view_changes_only_what_its_mask_names(schema: Schema, owner: Owner) -> None:
    table = await schema.table(owner, "Updated", spec("Name"), spec("Size", "number"))
    name, size = table.fields
    view = table.views[0]

    def update(*paths: str, **fields: object) -> Awaitable[Any]:
        return schema.rpc(
            owner.person, "UpdateView", base_id=owner.base_id, table_id=table.id,
            view_id=view.id, update_mask=mask(*paths), **fields,
        )  # fmt: skip

    changed = await update(
        "filter_by_formula", "sorts",
        name="Ignored", filter_by_formula="{Size} > 2",
        sorts=[pb.Sort(field_id=size.id, direction="desc")], visible_field_ids=[size.id],
    )  # fmt: skip
    assert changed.view.name == view.name
    assert changed.view.filter_by_formula == "{Size} > 2"
    assert [(s.field_id, s.direction) for s in changed.view.sorts] == [(size.id, "desc")]
    assert list(changed.view.visible_field_ids) == []
    after = await schema.get(owner, table.id)
    assert after.views[0] == changed.view
    assert after.version == table.version + 1

    # The filter is stored by field id: renaming the field keeps it.
    await schema.rpc(owner.person, "UpdateField", base_id=owner.base_id, table_id=table.id,
                     field_id=size.id, name="Bigness")  # fmt: skip
    assert (await schema.get(owner, table.id)).views[0].filter_by_formula == "{Bigness} > 2"

    renamed = await update("name", "visible_field_ids", name=" GRID view ",
                           visible_field_ids=[name.id])  # fmt: skip
    assert (renamed.view.name, list(renamed.view.visible_field_ids)) == ("GRID view", [name.id])
    cleared = await update("filter_by_formula", "sorts", "visible_field_ids")
    assert (cleared.view.filter_by_formula, list(cleared.view.sorts)) == ("", [])
    assert list(cleared.view.visible_field_ids) == []
    assert (await schema.get(owner, table.id)).views[0] == cleared.view


async def test_bad_view_updates_are_refused_and_change_nothing(
    schema: Schema, owner: Owner
) -> None:
    table = await schema.table(owner, "Badly updated", spec("Name"))
    other = await schema.rpc(owner.person, "CreateView", base_id=owner.base_id,
                             table_id=table.id, name="Other")  # fmt: skip
    view = table.views[0]

    def update(*paths: str, view_id: str = view.id, **fields: object) -> Awaitable[Any]:
        return schema.rpc(
            owner.person, "UpdateView", base_id=owner.base_id, table_id=table.id,
            view_id=view_id, update_mask=mask(*paths), **fields,
        )  # fmt: skip

    err = await fails(update(name="X"), INVALID)
    assert list(field_violations(err)) == ["update_mask"]
    err = await fails(update("name", "type", name="X"), INVALID)
    assert "'type'" in field_violations(err)["update_mask"]
    err = await fails(update("filterByFormula", filter_by_formula="1"), INVALID)
    assert "'filterByFormula'" in field_violations(err)["update_mask"]
    await fails(update("name", name=" "), INVALID)
    taken = update("name", name="OTHER")
    await fails(taken, grpc.StatusCode.ALREADY_EXISTS, "DUPLICATE_VIEW_NAME")
    bad_formula = update("name", "filter_by_formula", name="Renamed", filter_by_formula="{Nope}")
    err = await fails(bad_formula, INVALID, "INVALID_FORMULA")
    assert list(field_violations(err)) == ["filter_by_formula"]
    err = await fails(update("sorts", sorts=[pb.Sort(field_id="fldAAAAAAAAAAAAAA")]), INVALID)
    assert list(field_violations(err)) == ["sorts[0].field_id"]
    twice = [table.fields[0].id] * 2
    err = await fails(update("visible_field_ids", visible_field_ids=twice), INVALID)
    assert list(field_violations(err)) == ["visible_field_ids[1]"]
    missing = update("name", name="Y", view_id="viwAAAAAAAAAAAAAA")
    await fails(missing, grpc.StatusCode.NOT_FOUND, "VIEW_NOT_FOUND")

    # Another table's view is not this table's.
    elsewhere = await schema.table(owner, "Elsewhere", spec("Name"))
    call = schema.rpc(owner.person, "UpdateView", base_id=owner.base_id, table_id=elsewhere.id,
                      view_id=view.id, update_mask=mask("name"), name="Y")  # fmt: skip
    await fails(call, grpc.StatusCode.NOT_FOUND, "VIEW_NOT_FOUND")
    after = await schema.get(owner, table.id)
    assert list(after.views) == [view, other.view]
    assert after.version == table.version + 1  # the second view's creation only


async def test_another_tenants_view_is_not_found(schema: Schema, owner: Owner) -> None:
    table = await schema.table(owner, "Mine", spec("Name"))
    stranger = await schema.owner()
    theirs = await schema.table(stranger, "Theirs", spec("Name"))

    def rename(caller: Owner, base_id: str, table_id: str, view_id: str) -> Awaitable[Any]:
        return schema.rpc(caller.person, "UpdateView", base_id=base_id, table_id=table_id,
                          view_id=view_id, update_mask=mask("name"), name="Taken")  # fmt: skip

    # Their view through my table, my view through their base: neither is there.
    await fails(rename(owner, owner.base_id, table.id, theirs.views[0].id),
                grpc.StatusCode.NOT_FOUND, "VIEW_NOT_FOUND")  # fmt: skip
    await fails(rename(owner, owner.base_id, theirs.id, theirs.views[0].id),
                grpc.StatusCode.NOT_FOUND, "TABLE_NOT_FOUND")  # fmt: skip
    await fails(rename(stranger, owner.base_id, table.id, table.views[0].id),
                grpc.StatusCode.NOT_FOUND)  # fmt: skip
    assert (await schema.get(stranger, theirs.id)).views[0] == theirs.views[0]
    assert (await schema.get(owner, table.id)).views[0] == table.views[0]


# Field names and values that need escaping, as the app's filter builder writes them: names in
# braces with "\" and "}" escaped, values in single quotes with "\" and "'" escaped.
AWKWARD_FORMULAS = [
    "{Say \"hi\"} = 'it\\'s'",
    "{it's} != '\"quoted\"'",
    "{a\\}b{c} = 'x}{y'",
    "AND(FIND(LOWER('back\\\\slash'), LOWER({Say \"hi\"})), {it's} = 'a\\\\\\'b')",
    "OR(LEN({a\\}b{c} & '') = 0, {Count} >= -1.5)",
    "IS_SAME({When}, '2024-03-05', 'day')",
]


@pytest.mark.parametrize("formula", AWKWARD_FORMULAS)
async def test_filters_with_awkward_names_and_values_read_back_as_written(
    schema: Schema, owner: Owner, formula: str
) -> None:
    table = await schema.table(
        owner,
        f"Awkward {AWKWARD_FORMULAS.index(formula)}",
        spec('Say "hi"'), spec("it's"), spec("a}b{c"), spec("Count", "number"),
        spec("When", "date"),
    )  # fmt: skip
    changed = await schema.rpc(
        owner.person, "UpdateView", base_id=owner.base_id, table_id=table.id,
        view_id=table.views[0].id, update_mask=mask("filter_by_formula"),
        filter_by_formula=formula,
    )  # fmt: skip
    assert changed.view.filter_by_formula == formula
    assert (await schema.get(owner, table.id)).views[0].filter_by_formula == formula


async def test_a_filter_naming_a_field_with_a_backslash_reads_back(
    schema: Schema, owner: Owner
) -> None:
    table = await schema.table(owner, "Backslashed", spec("Name"), spec("C:\\Path"))
    formula = "{C:\\\\Path} = 'C:\\\\'"
    created = await schema.rpc(
        owner.person, "CreateView", base_id=owner.base_id, table_id=table.id, name="Paths",
        filter_by_formula=formula,
    )  # fmt: skip
    assert created.view.filter_by_formula == formula
