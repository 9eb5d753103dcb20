"""Formulas in the schema, checked by the real formula-engine: stored by field id, shown by
name, so renaming a field keeps them working; rollups and view filters too."""

from __future__ import annotations

import grpc
from pyat.schema.v1 import schema_pb2 as pb

from tests.schema.support import Owner, Schema, fails, field_violations, options, spec


async def test_renaming_a_field_keeps_a_formula_working(schema: Schema, owner: Owner) -> None:
    table = await schema.table(owner, "Priced", spec("Name"), spec("Price", "number"),
                               spec("Qty", "number"))  # fmt: skip
    _, price, qty = table.fields
    total = await schema.field(owner, table.id, spec("Total", "formula", formula="{Price} * Qty"))
    shown = options(total)
    assert shown["formula"] == "{Price} * {Qty}"
    assert sorted(shown["referencedFieldIds"]) == sorted([price.id, qty.id])
    assert shown["result"]["type"] == "number" and shown["isValid"] is True

    await schema.rpc(owner.person, "UpdateField", base_id=owner.base_id, table_id=table.id,
                     field_id=price.id, name="Unit {price}")  # fmt: skip
    after = await schema.get(owner, table.id)
    formula = next(f for f in after.fields if f.id == total.id)
    assert options(formula)["formula"] == "{Unit {price\\}} * {Qty}"
    # What a formula uses cannot be deleted from under it.
    call = schema.rpc(owner.person, "DeleteField", base_id=owner.base_id, table_id=table.id,
                      field_id=qty.id)  # fmt: skip
    await fails(call, grpc.StatusCode.FAILED_PRECONDITION, "FIELD_IN_USE")


async def test_bad_formulas_are_refused_naming_the_field(schema: Schema, owner: Owner) -> None:
    table = await schema.table(owner, "Formulas", spec("Name"))
    for formula in ("1 +", "{Nope} & 'x'", "NOSUCHFUNCTION(1)"):
        err = await fails(
            schema.field(owner, table.id, spec("Broken", "formula", formula=formula)),
            grpc.StatusCode.INVALID_ARGUMENT,
            "INVALID_FORMULA",
        )
        assert "'Broken'" in (err.details() or "")
        assert list(field_violations(err)) == ["field.options.formula"]
    # A formula cannot use itself.
    mine = await schema.field(owner, table.id, spec("Mine", "formula", formula="LEN(Name)"))
    call = schema.rpc(owner.person, "UpdateField", base_id=owner.base_id, table_id=table.id,
                      field_id=mine.id, options=spec("", formula="{Mine} + 1").options)  # fmt: skip
    await fails(call, grpc.StatusCode.INVALID_ARGUMENT, "INVALID_FORMULA")


async def test_rollups_and_view_filters_are_checked(schema: Schema, owner: Owner) -> None:
    items = await schema.table(owner, "Items", spec("Name"), spec("Cost", "currency"))
    orders = await schema.table(owner, "Orders", spec("Number"))
    link = await schema.field(
        owner, orders.id, spec("Items", "multipleRecordLinks", linkedTableId=items.id)
    )
    rollup = await schema.field(owner, orders.id, spec(
        "Total", "rollup", recordLinkFieldId=link.id, fieldIdInLinkedTable=items.fields[1].id,
        formula="SUM(values)",
    ))  # fmt: skip
    assert options(rollup)["formula"] == "SUM(values)"
    assert options(rollup)["result"]["type"] == "number"

    view = await schema.rpc(owner.person, "CreateView", base_id=owner.base_id, table_id=items.id,
                            name="Dear", filter_by_formula="Cost > 10")  # fmt: skip
    assert view.view.filter_by_formula == "{Cost} > 10"
    call = schema.rpc(owner.person, "CreateView", base_id=owner.base_id, table_id=items.id,
                      name="Broken", filter_by_formula="Cost >")  # fmt: skip
    await fails(call, grpc.StatusCode.INVALID_ARGUMENT, "INVALID_FORMULA")
    # The field a filter uses stays.
    call = schema.rpc(owner.person, "DeleteField", base_id=owner.base_id, table_id=items.id,
                      field_id=items.fields[1].id)  # fmt: skip
    await fails(call, grpc.StatusCode.FAILED_PRECONDITION, "FIELD_IN_USE")


async def test_formula_tables_can_be_created_in_one_call(schema: Schema) -> None:
    owner = await schema.owner()
    created = await schema.rpc(
        owner.person, "CreateTables", base_id=owner.base_id,
        tables=[
            pb.TableSpec(name="T", fields=[
                spec("Label", "formula", formula="UPPER(Name)"), spec("Name"),
            ]),
            pb.TableSpec(name="U", fields=[
                spec("Name"), spec("Other", "multipleRecordLinks", linkedTableId="T"),
                spec("Shout", "formula", formula="Name & '!'"),
            ]),
        ],
    )  # fmt: skip
    label, name, inverse = created.tables[0].fields
    assert options(label)["formula"] == "UPPER({Name})"
    assert options(label)["referencedFieldIds"] == [name.id]
    assert created.tables[0].primary_field_id == label.id
    # Fields keep the order they were given in; the inverse link comes after them.
    assert [f.name for f in created.tables[1].fields] == ["Name", "Other", "Shout"]
    assert inverse.name == "U"
    assert await schema.get(owner, "T") == created.tables[0]
