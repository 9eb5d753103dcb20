"""Links kept two-sided, and the fields computed from them: lookups, rollups and counts, and
formula fields, all in the records' answers."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from zoneinfo import ZoneInfo

import grpc
import pytest
from pyat.airtable.v1 import airtable_gateway_pb2 as pb
from pyat.schema.v1 import schema_pb2

from tests.airtable_gateway.helpers import Base, Fabric, cells, fails, new_base, spec


@dataclass
class Shop:
    base: Base
    orders: schema_pb2.Table
    items: schema_pb2.Table
    # The inverse of Orders.Items in Items.
    inverse: schema_pb2.Field


@pytest.fixture(scope="module")
async def shop(any_fabric: Fabric) -> Shop:
    base = await new_base(any_fabric.host, any_fabric.channel)
    items = await base.table("Items", spec("Name", "singleLineText"), spec("Price", "number"))
    orders = await base.table("Orders", spec("Ref", "singleLineText"))
    link = await base.field(orders.id, "Items", "multipleRecordLinks", {"linkedTableId": items.id})
    inverse_id = link.options["inverseLinkFieldId"]
    items = await base.get_table(items.id)
    inverse = next(field for field in items.fields if field.id == inverse_id)
    name, price = items.fields[0].id, items.fields[1].id
    lookup = {"recordLinkFieldId": link.id, "fieldIdInLinkedTable": name}
    await base.field(orders.id, "Item names", "multipleLookupValues", lookup)
    await base.field(orders.id, "Item count", "count", {"recordLinkFieldId": link.id})
    rollup = {"recordLinkFieldId": link.id, "fieldIdInLinkedTable": price}
    await base.field(orders.id, "Total", "rollup", rollup | {"formula": "SUM(values)"})
    await base.field(orders.id, "Label", "formula", {"formula": "{Ref} & '!'"})
    await base.field(orders.id, "No", "autoNumber")
    await base.field(orders.id, "Creator", "createdBy")
    await base.field(orders.id, "Created", "createdTime")
    return Shop(base, await base.get_table(orders.id), items, inverse)


async def test_linking_fills_the_inverse_side(shop: Shop) -> None:
    base = shop.base
    pen, ink = await base.create("Items", {"Name": "Pen", "Price": 2}, {"Name": "Ink", "Price": 5})
    order = (await base.create("Orders", {"Ref": "A1", "Items": [pen.id, ink.id]}))[0]
    assert (await base.get("Items", pen.id))[shop.inverse.name] == [order.id]
    await base.update("Orders", (order.id, {"Items": [ink.id]}))
    assert shop.inverse.name not in await base.get("Items", pen.id)
    assert (await base.get("Items", ink.id))[shop.inverse.name] == [order.id]
    # Linking from the other side shows up on this side too.
    await base.update("Items", (pen.id, {shop.inverse.name: [order.id]}))
    assert (await base.get("Orders", order.id))["Items"] == [ink.id, pen.id]


async def test_deleting_a_record_unlinks_it(shop: Shop) -> None:
    base = shop.base
    pen = (await base.create("Items", {"Name": "Pencil"}))[0]
    order = (await base.create("Orders", {"Ref": "A2", "Items": [pen.id]}))[0]
    await base.records.DeleteRecords(
        pb.DeleteRecordsRequest(base_id=base.base_id, table="Items", record_ids=[pen.id]),
        metadata=base.owner.md,
    )
    assert "Items" not in await base.get("Orders", order.id)


async def test_links_must_point_to_existing_records_of_the_linked_table(shop: Shop) -> None:
    base = shop.base
    other = (await base.create("Orders", {"Ref": "not an item"}))[0]
    for target in ("recAAAAAAAAAAAAAA", other.id):
        await fails(
            base.create("Orders", {"Ref": "bad", "Items": [target]}),
            grpc.StatusCode.INVALID_ARGUMENT,
        )


async def test_computed_fields_show_in_answers(shop: Shop) -> None:
    base = shop.base
    pen, ink = await base.create("Items", {"Name": "Pen", "Price": 2}, {"Name": "Ink", "Price": 5})
    order = (await base.create("Orders", {"Ref": "B1", "Items": [pen.id, ink.id]}))[0]
    got = await base.get("Orders", order.id)
    assert got["Item names"] == ["Pen", "Ink"]
    assert got["Item count"] == 2
    assert got["Total"] == 7
    assert got["Label"] == "B1!"
    assert got["No"] >= 1
    listed = await base.list("Orders", fields=["Ref", "Total", "Label"],
                             filter_by_formula="{Ref} = 'B1'")  # fmt: skip
    assert [cells(r) for r in listed.records] == [{"Ref": "B1", "Total": 7, "Label": "B1!"}]


async def test_string_format_names_linked_records_and_people(shop: Shop) -> None:
    base = shop.base
    pen, ink = await base.create("Items", {"Name": "Pen", "Price": 2}, {"Name": "Ink", "Price": 5})
    order = (await base.create("Orders", {"Ref": "C1", "Items": [pen.id, ink.id]}))[0]
    as_json = await base.get("Orders", order.id)
    assert as_json["Creator"] == {
        "id": base.owner.user_id, "email": base.owner.email, "name": "Grace",
    }  # fmt: skip
    as_text = await base.get(
        "Orders", order.id, cell_format=pb.CELL_FORMAT_STRING,
        time_zone="America/New_York", user_locale="en-us",
    )  # fmt: skip
    created = dt.datetime.fromisoformat(as_json["Created"].replace("Z", "+00:00"))
    # The field shows its time in UTC (its default zone), not the caller's.
    local = created.astimezone(ZoneInfo("UTC"))
    assert as_text == {
        "Ref": "C1", "Items": "Pen, Ink", "Item names": "Pen, Ink", "Item count": "2",
        "Total": "7", "Label": "C1!", "No": str(as_json["No"]), "Creator": "Grace",
        "Created": f"{local.month}/{local.day}/{local.year} "
                   f"{local.hour % 12 or 12}:{local:%M}{'am' if local.hour < 12 else 'pm'}",
    }  # fmt: skip
