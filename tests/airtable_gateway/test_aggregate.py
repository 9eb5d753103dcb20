"""AggregateRecords: counts, sums, averages, minimums and maximums computed in the database,
grouped and filtered, refused when bad, for strangers, readers without access and connected
bases, and once through Envoy's REST route."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import grpc
import httpx
import pytest
from google.protobuf import json_format
from pyat.airtable.v1 import airtable_gateway_pb2 as pb
from pyat.permission.v1 import permission_pb2 as perm
from pyat.schema.v1 import schema_pb2

from services.shared.server import Host
from tests.airtable_gateway.helpers import Base, Fabric, fails, new_base, records_scanned, spec
from tests.contract.test_auth import field_violations
from tests.contract.test_auth_sessions import error_reason
from tests.contract.test_workspace import Person
from tests.fixtures.fake_airtable import FakeAirtable, running_fake

INVALID, NOT_FOUND = grpc.StatusCode.INVALID_ARGUMENT, grpc.StatusCode.NOT_FOUND
FAILED = grpc.StatusCode.FAILED_PRECONDITION
COUNT, SUM, AVERAGE = (
    pb.AGGREGATE_FUNCTION_COUNT,
    pb.AGGREGATE_FUNCTION_SUM,
    pb.AGGREGATE_FUNCTION_AVERAGE,
)
MIN, MAX = pb.AGGREGATE_FUNCTION_MIN, pb.AGGREGATE_FUNCTION_MAX
# Name, Region, Amount, Tags of each record; None is an empty cell.
SALES = [
    ("A", "North", 10, ["x"]),
    ("B", "North", 20, ["x", "y"]),
    ("C", "South", 5, None),
    ("D", "South", None, ["x"]),
    ("E", "East", 7, None),
    ("F", None, 3, None),
]


@dataclass
class Sales:
    base: Base
    table: schema_pb2.Table


@pytest.fixture(scope="module")
async def sales(any_fabric: Fabric) -> Sales:
    return await sales_base(any_fabric.host, any_fabric.channel)


async def sales_base(host: Host, channel: grpc.aio.Channel) -> Sales:
    base = await new_base(host, channel)
    choices = [{"name": name} for name in ("North", "South", "East")]
    table = await base.table(
        "Sales",
        spec("Name", "singleLineText"),
        spec("Region", "singleSelect", choices=choices),
        spec("Amount", "number", precision=0),
        spec("Tags", "multipleSelects", choices=[{"name": "x"}, {"name": "y"}]),
    )
    await base.field(table.id, "Double", "formula", {"formula": "{Amount} * 2"})
    await base.field(table.id, "Shout", "formula", {"formula": "{Name} & '!'"})
    rows = [
        {
            key: value
            for key, value in {
                "Name": name,
                "Region": region,
                "Amount": amount,
                "Tags": tags,
            }.items()
            if value is not None
        }
        for name, region, amount, tags in SALES
    ]
    await base.create("Sales", *rows)
    return Sales(base, await base.get_table(table.id))


async def aggregate(
    base: Base,
    *aggregations: tuple[int, str],
    table: str = "Sales",
    base_id: str | None = None,
    who: Person | None = None,
    **request: Any,
) -> pb.AggregateRecordsResponse:
    answer: pb.AggregateRecordsResponse = await base.records.AggregateRecords(
        pb.AggregateRecordsRequest(
            base_id=base.base_id if base_id is None else base_id,
            table=table,
            aggregations=[pb.Aggregation(function=f, field=field) for f, field in aggregations],
            **request,
        ),
        metadata=(who or base.owner).md,
    )
    return answer


def plain(value: Any) -> Any:
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, list):
        return [plain(item) for item in value]
    return value


def groups(answer: pb.AggregateRecordsResponse) -> list[tuple[Any, int, list[Any]]]:
    """Each group as (key, records, values), whole numbers as ints."""
    return [
        (
            plain(json_format.MessageToDict(group.key)),
            group.records,
            [plain(json_format.MessageToDict(value)) for value in group.values],
        )
        for group in answer.groups
    ]


ALL_FIVE = ((COUNT, ""), (COUNT, "Amount"), (SUM, "Amount"), (AVERAGE, "Amount"), (MIN, "Amount"))


async def test_aggregates_the_whole_table_in_sql(sales: Sales) -> None:
    scanned = records_scanned()
    answer = await aggregate(sales.base, *ALL_FIVE, (MAX, "Amount"), (SUM, "Double"))
    assert groups(answer) == [(None, 6, [6, 5, 45, 9, 3, 20, 90])]
    assert not answer.truncated
    assert records_scanned() == scanned


async def test_groups_by_a_select_largest_first(sales: Sales) -> None:
    answer = await aggregate(
        sales.base, (SUM, "Amount"), (COUNT, "Amount"), (AVERAGE, "Amount"), group_by="Region"
    )
    assert groups(answer) == [
        ("North", 2, [30, 2, 15]),
        ("South", 2, [5, 1, 5]),
        ("East", 1, [7, 1, 7]),
        (None, 1, [3, 1, 3]),  # the records with no region
    ]


async def test_groups_by_text_with_a_filter(sales: Sales) -> None:
    answer = await aggregate(
        sales.base, (MAX, "Amount"), group_by="Name", filter_by_formula="{Amount} >= 7"
    )
    assert groups(answer) == [("A", 1, [10]), ("B", 1, [20]), ("E", 1, [7])]
    by_formula = await aggregate(sales.base, (COUNT, ""), group_by="Shout")
    assert [key for key, _, _ in groups(by_formula)] == [f"{name}!" for name, *_ in SALES]


async def test_a_multi_select_groups_by_the_whole_array(sales: Sales) -> None:
    answer = await aggregate(sales.base, (COUNT, "Tags"), group_by="Tags")
    assert groups(answer) == [(None, 3, [0]), (["x"], 2, [2]), (["x", "y"], 1, [1])]


async def test_empty_cells_and_groups_give_null(sales: Sales) -> None:
    only_d = await aggregate(
        sales.base, (COUNT, "Amount"), (SUM, "Amount"), (MIN, "Amount"), (AVERAGE, "Amount"),
        group_by="Region", filter_by_formula="{Name} = 'D'",
    )  # fmt: skip
    assert groups(only_d) == [("South", 1, [0, None, None, None])]
    nothing = await aggregate(
        sales.base, (COUNT, ""), (SUM, "Amount"), (MAX, "Amount"), filter_by_formula="{Amount} > 99"
    )
    assert groups(nothing) == [(None, 0, [0, None, None])]
    none_grouped = await aggregate(
        sales.base, (COUNT, ""), group_by="Region", filter_by_formula="{Amount} > 99"
    )
    assert groups(none_grouped) == []


async def test_max_groups_truncates(sales: Sales) -> None:
    cut = await aggregate(sales.base, (COUNT, ""), group_by="Region", max_groups=2)
    assert [key for key, _, _ in groups(cut)] == ["North", "South"] and cut.truncated
    whole = await aggregate(sales.base, (COUNT, ""), group_by="Region", max_groups=4)
    assert len(whole.groups) == 4 and not whole.truncated


async def test_bad_input_is_refused(sales: Sales) -> None:
    base = sales.base
    err = await fails(aggregate(base), INVALID)
    assert "aggregations" in field_violations(err)
    err = await fails(aggregate(base, *[(COUNT, "")] * 21), INVALID)
    assert "aggregations" in field_violations(err)
    err = await fails(aggregate(base, (pb.AGGREGATE_FUNCTION_UNSPECIFIED, "Amount")), INVALID)
    assert "aggregations[0].function" in field_violations(err)
    err = await fails(aggregate(base, (COUNT, ""), (99, "Amount")), INVALID)
    assert "aggregations[1].function" in field_violations(err)
    err = await fails(aggregate(base, (SUM, "")), INVALID)
    assert "aggregations[0].field" in field_violations(err)
    for function in (SUM, AVERAGE, MIN, MAX):
        err = await fails(aggregate(base, (COUNT, ""), (function, "Region")), INVALID)
        assert "'Region'" in (err.details() or "")
        assert "aggregations[1].field" in field_violations(err)
    for size in (-1, 1001):
        err = await fails(aggregate(base, (COUNT, ""), max_groups=size), INVALID)
        assert "max_groups" in field_violations(err)
    await fails(aggregate(base, (COUNT, ""), filter_by_formula="{Amount} >"), INVALID)
    err = await fails(aggregate(base, (SUM, "Nope")), INVALID)
    assert "Nope" in (err.details() or "")
    await fails(aggregate(base, (COUNT, "Nope")), INVALID)
    await fails(aggregate(base, (COUNT, ""), group_by="Nope"), INVALID)
    await fails(aggregate(base, (COUNT, ""), table="Nope"), NOT_FOUND)
    await fails(aggregate(base, (COUNT, ""), base_id=""), INVALID)


async def test_fields_from_linked_records_are_refused_but_counts_work(
    any_fabric: Fabric,
) -> None:
    base = await new_base(any_fabric.host, any_fabric.channel)
    items = await base.table("Items", spec("Name", "singleLineText"), spec("Price", "number"))
    orders = await base.table("Orders", spec("Ref", "singleLineText"))
    link = await base.field(orders.id, "Items", "multipleRecordLinks", {"linkedTableId": items.id})
    price = (await base.get_table(items.id)).fields[1].id
    rollup = {"recordLinkFieldId": link.id, "fieldIdInLinkedTable": price, "formula": "SUM(values)"}
    await base.field(orders.id, "Total", "rollup", rollup)
    await base.field(orders.id, "Lines", "count", {"recordLinkFieldId": link.id})
    await base.field(orders.id, "Twice", "formula", {"formula": "{Lines} * 2"})
    pen, ink = await base.create("Items", {"Name": "Pen", "Price": 2}, {"Name": "Ink", "Price": 5})
    await base.create(
        "Orders", {"Ref": "A", "Items": [pen.id, ink.id]}, {"Ref": "B", "Items": [ink.id]},
        {"Ref": "C"},
    )  # fmt: skip
    answer = await aggregate(base, (SUM, "Lines"), (MAX, "Lines"), table="Orders")
    assert groups(answer) == [(None, 3, [3, 2])]
    by_count = await aggregate(base, (COUNT, ""), table="Orders", group_by="Lines")
    assert groups(by_count) == [(0, 1, [1]), (1, 1, [1]), (2, 1, [1])]
    for field in ("Total", "Twice"):
        err = await fails(aggregate(base, (SUM, field), table="Orders"), FAILED)
        assert error_reason(err) == "NOT_COMPUTABLE_IN_DATABASE"
        assert f"'{field}'" in (err.details() or "")
        err = await fails(
            aggregate(base, (COUNT, ""), table="Orders", filter_by_formula=f"{{{field}}} > 1"),
            FAILED,
        )
        assert f"'{field}'" in (err.details() or "")


async def test_a_read_only_member_may_aggregate(sales: Sales) -> None:
    base = sales.base
    reader = await base.api.colleague(base.owner)
    await base.api.add_member(base.owner, base.workspace_id, reader, perm.ROLE_READ_ONLY)
    assert groups(await aggregate(base, (COUNT, ""), who=reader)) == [(None, 6, [6])]


async def test_another_tenant_sees_nothing(sales: Sales, any_fabric: Fabric) -> None:
    stranger = await new_base(any_fabric.host, any_fabric.channel)
    await fails(
        aggregate(sales.base, (COUNT, ""), who=stranger.owner, table=sales.table.id), NOT_FOUND
    )
    # Their own table of the same name holds their records only.
    await stranger.table("Sales", spec("Name", "singleLineText"))
    await stranger.create("Sales", {"Name": "Theirs"})
    assert groups(await aggregate(stranger, (COUNT, ""))) == [(None, 1, [1])]


async def test_a_colleague_without_access_is_refused_like_list_records(sales: Sales) -> None:
    base = sales.base
    outsider = await base.api.colleague(base.owner)
    with pytest.raises(grpc.aio.AioRpcError) as listed:
        await base.records.ListRecords(
            pb.ListRecordsRequest(base_id=base.base_id, table="Sales"), metadata=outsider.md
        )
    assert listed.value.code() in (grpc.StatusCode.PERMISSION_DENIED, NOT_FOUND)
    await fails(aggregate(base, (COUNT, ""), who=outsider), listed.value.code())


@pytest.fixture(scope="module")
async def fake() -> AsyncIterator[FakeAirtable]:
    async for started in running_fake():
        yield started


async def test_a_connected_base_is_refused(any_fabric: Fabric, fake: FakeAirtable) -> None:
    owner = await new_base(any_fabric.host, any_fabric.channel)
    token = f"pat{owner.owner.user_id}.s3cr3t-t0ken"
    airtable_base_id = fake.add_base(token, ("People", {"Name": "singleLineText"}))
    connected = await owner.records.ConnectBase(
        pb.ConnectBaseRequest(
            workspace_id=owner.workspace_id,
            airtable_base_id=airtable_base_id,
            token=token,
            name="CRM",
            endpoint_url=fake.url + "/",
        ),
        metadata=owner.owner.md,
    )
    err = await fails(
        aggregate(owner, (COUNT, ""), table="People", base_id=connected.connection.base_id),
        FAILED,
    )
    assert error_reason(err) == "NOT_NATIVE"


async def test_rest_through_envoy(fabric: Host, channel: grpc.aio.Channel, edge: str) -> None:
    sales = await sales_base(fabric, channel)
    token = dict(sales.base.owner.md)["authorization"]
    path = f"/v1/bases/{sales.base.base_id}/tables/Sales/aggregate"
    body = {
        "aggregations": [
            {"function": "AGGREGATE_FUNCTION_SUM", "field": "Amount"},
            {"function": "AGGREGATE_FUNCTION_COUNT"},
        ],
        "groupBy": "Region",
        "filterByFormula": "{Amount} > 4",
        "maxGroups": 2,
    }
    async with httpx.AsyncClient(base_url=edge, timeout=10) as http:
        response = await http.post(path, json=body, headers={"Authorization": token})
        assert response.status_code == 200, response.text
        assert response.json() == {
            "groups": [
                {"key": "North", "records": "2", "values": [30, 2]},
                {"key": "East", "records": "1", "values": [7, 1]},  # before South: ties by key
            ],
            "truncated": True,
        }
        bad = await http.post(
            path, json={"aggregations": [{"function": "AGGREGATE_FUNCTION_SUM", "field": "Name"}]},
            headers={"Authorization": token},
        )  # fmt: skip
        assert bad.status_code == 400, bad.text
        anonymous = await http.post(path, json=body)
        assert anonymous.status_code == 401, anonymous.text
