"""ValidateCells over real gRPC: every writable type in its stored form, Airtable's typecast,
select choices added by typecast, and the refusals (unknown and computed fields, bad values)."""

from __future__ import annotations

from typing import Any

import grpc
import pytest
from pyat.schema.v1 import schema_pb2 as pb

from tests.schema.support import Owner, Schema, fails, field_violations, options, spec

REC, REC2 = "recAAAAAAAAAAAAAA", "recBBBBBBBBBBBBBB"
INVALID = grpc.StatusCode.INVALID_ARGUMENT


@pytest.fixture(scope="module")
async def table(schema: Schema, owner: Owner) -> pb.Table:
    return await schema.table(
        owner,
        "Cells",
        spec("Name"),
        spec("Notes", "multilineText"),
        spec("Count", "number", precision=1),
        spec("Price", "currency"),
        spec("Share", "percent"),
        spec("Took", "duration"),
        spec("Stars", "rating", max=5),
        spec("Done", "checkbox"),
        spec("Status", "singleSelect", choices=[{"name": "Todo"}, {"name": "Done"}]),
        spec("Tags", "multipleSelects", choices=[{"name": "a"}, {"name": "b"}]),
        spec("Day", "date"),
        spec("EuroDay", "date", dateFormat={"name": "european"}),
        spec("At", "dateTime", timeZone="Europe/Paris"),
        spec("Files", "multipleAttachments"),
        spec("Code", "barcode"),
        spec("Mail", "email"),
        spec("Serial", "autoNumber"),
        spec("Owner", "singleCollaborator"),
        spec("Team", "multipleCollaborators"),
    )


def ids(table: pb.Table) -> dict[str, str]:
    return {f.name: f.id for f in table.fields}


STRICT: list[tuple[str, Any, Any]] = [
    ("Name", "Ada", "Ada"),
    ("Notes", "a\nb", "a\nb"),
    ("Count", 2, 2),
    ("Count", 2.5, 2.5),
    ("Price", 9.99, 9.99),
    ("Share", 0.5, 0.5),
    ("Took", 90, 90),
    ("Stars", 4, 4),
    ("Done", True, True),
    ("Status", "Todo", "Todo"),
    ("Tags", ["b", "a", "b"], ["b", "a"]),
    ("Day", "2024-02-29", "2024-02-29"),
    ("Day", "2024-02-29T23:30:00.000Z", "2024-02-29"),
    ("At", "2024-01-15T10:00:00Z", "2024-01-15T10:00:00.000Z"),
    ("At", "2024-01-15T10:00:00", "2024-01-15T09:00:00.000Z"),  # in the field's zone
    ("At", "2024-07-01T12:00:00+02:00", "2024-07-01T10:00:00.000Z"),
    ("Code", {"text": "123", "type": "upce"}, {"text": "123", "type": "upce"}),
    ("Mail", "a@example.com", "a@example.com"),
]
TYPECAST: list[tuple[str, Any, Any]] = [
    ("Name", 42, "42"),
    ("Name", True, "true"),
    ("Count", "1,234.5", 1234.5),
    ("Price", "$ 12", 12),
    ("Share", "50%", 0.5),
    ("Took", "1:30", 5400),
    ("Took", "0:01:15", 75),
    ("Stars", "3", 3),
    ("Done", "yes", True),
    ("Done", "true", True),
    ("Done", "no", None),
    ("Done", 1, True),
    ("Tags", "a, b", ["a", "b"]),
    ("Day", "3/14/2024", "2024-03-14"),
    ("Day", "March 14, 2024", "2024-03-14"),
    ("EuroDay", "14/3/2024", "2024-03-14"),
    ("At", "2024-01-15 10:00", "2024-01-15T09:00:00.000Z"),
    ("Code", "987", {"text": "987"}),
]
BAD: list[tuple[str, Any, str]] = [
    ("Name", 42, "INVALID_VALUE_FOR_COLUMN"),
    ("Count", "12", "INVALID_VALUE_FOR_COLUMN"),
    ("Count", True, "INVALID_VALUE_FOR_COLUMN"),
    ("Stars", 6, "INVALID_VALUE_FOR_COLUMN"),
    ("Stars", 2.5, "INVALID_VALUE_FOR_COLUMN"),
    ("Done", "yes", "INVALID_VALUE_FOR_COLUMN"),
    ("Status", "Someday", "INVALID_MULTIPLE_CHOICE_OPTIONS"),
    ("Tags", ["a", "zzz"], "INVALID_MULTIPLE_CHOICE_OPTIONS"),
    ("Tags", "a", "INVALID_VALUE_FOR_COLUMN"),
    ("Day", "3/14/2024", "INVALID_VALUE_FOR_COLUMN"),
    ("At", 1700000000, "INVALID_VALUE_FOR_COLUMN"),
    ("Files", [{"filename": "x.png"}], "INVALID_ATTACHMENT_OBJECT"),
    ("Files", [{"url": "ftp://x/y.png"}], "INVALID_ATTACHMENT_OBJECT"),
    ("Code", "987", "INVALID_VALUE_FOR_COLUMN"),
    ("Owner", {"email": "nobody@example.com"}, "INVALID_COLLABORATOR"),
    ("Owner", {"name": "Grace"}, "INVALID_COLLABORATOR"),
    ("Team", "usrAAAAAAAAAAAAAA", "INVALID_VALUE_FOR_COLUMN"),
]


@pytest.mark.parametrize(("name", "given", "stored"), STRICT)
async def test_cells_take_their_stored_form(
    schema: Schema, owner: Owner, table: pb.Table, name: str, given: Any, stored: Any
) -> None:
    [record] = await schema.cells(owner, table.id, {name: given})
    assert record == {ids(table)[name]: stored}


@pytest.mark.parametrize(("name", "given", "stored"), TYPECAST)
async def test_typecast_converts_strings_as_airtable_does(
    schema: Schema, owner: Owner, table: pb.Table, name: str, given: Any, stored: Any
) -> None:
    [record] = await schema.cells(owner, table.id, {name: given}, typecast=True)
    assert record == {ids(table)[name]: stored}


@pytest.mark.parametrize(("name", "given", "reason"), BAD)
async def test_bad_values_are_refused_naming_the_field(
    schema: Schema, owner: Owner, table: pb.Table, name: str, given: Any, reason: str
) -> None:
    err = await fails(schema.cells(owner, table.id, {"Name": "ok"}, {name: given}), INVALID, reason)
    assert f"'{name}'" in (err.details() or "")
    assert list(field_violations(err)) == [f"records[1].{name}"]


async def test_blank_values_mean_clear_and_keys_may_be_ids(
    schema: Schema, owner: Owner, table: pb.Table
) -> None:
    by_name = ids(table)
    records = await schema.cells(
        owner,
        table.id,
        {by_name["Name"]: "", "Tags": [], "Done": False, "Count": None, "Price": 0},
    )
    assert records == [
        {by_name["Name"]: None, by_name["Tags"]: None, by_name["Done"]: None,
         by_name["Count"]: None, by_name["Price"]: 0},
    ]  # fmt: skip


async def test_attachments_get_ids_and_names(schema: Schema, owner: Owner, table: pb.Table) -> None:
    [record] = await schema.cells(
        owner, table.id, {"Files": [{"url": "https://example.com/files/a%20b.png"}]}
    )
    [attachment] = record[ids(table)["Files"]]
    assert attachment["id"].startswith("att") and len(attachment["id"]) == 17
    assert {k: v for k, v in attachment.items() if k != "id"} == {
        "url": "https://example.com/files/a%20b.png",
        "filename": "a b.png",
        "size": 0,
        "type": "image/png",
    }


async def test_collaborators_are_found_by_id_or_email(
    schema: Schema, owner: Owner, table: pb.Table
) -> None:
    me = owner.person
    [record] = await schema.cells(
        owner,
        table.id,
        {"Owner": {"email": me.email.upper()}, "Team": [{"id": me.user_id}, {"email": me.email}]},
    )
    user = {"id": me.user_id, "email": me.email, "name": "Grace"}
    assert record == {ids(table)["Owner"]: user, ids(table)["Team"]: [user]}


async def test_unknown_and_computed_fields_are_refused(
    schema: Schema, owner: Owner, table: pb.Table
) -> None:
    err = await fails(schema.cells(owner, table.id, {"Nope": 1}), INVALID, "UNKNOWN_FIELD_NAME")
    assert field_violations(err) == {"records[0].Nope": "Unknown field name: 'Nope'"}
    err = await fails(
        schema.cells(owner, table.id, {"Serial": 3}), INVALID, "INVALID_VALUE_FOR_COLUMN"
    )
    assert "cannot accept a value because the field is computed" in (err.details() or "")


async def test_typecast_adds_missing_select_choices(schema: Schema, owner: Owner) -> None:
    table = await schema.table(
        owner, "Choices", spec("Name"), spec("Tags", "multipleSelects", choices=[{"name": "a"}])
    )
    validated = await schema.rpc(
        owner.person,
        "ValidateCells",
        base_id=owner.base_id,
        table_id=table.id,
        records=[spec("").options],
        typecast=True,
    )
    assert validated.table.version == table.version  # nothing new, nothing written
    records: list[dict[str, Any]] = [{"Tags": ["a", "new"]}, {"Tags": "new, newer"}]
    assert await schema.cells(owner, table.id, *records, typecast=True) == [
        {table.fields[1].id: ["a", "new"]},
        {table.fields[1].id: ["new", "newer"]},
    ]
    after = await schema.get(owner, table.id)
    assert [c["name"] for c in options(after.fields[1])["choices"]] == ["a", "new", "newer"]
    assert after.version == table.version + 1


async def test_links_take_record_ids(schema: Schema, owner: Owner) -> None:
    table = await schema.table(owner, "Linking", spec("Name"))
    link = await schema.field(
        owner, table.id, spec("Self", "multipleRecordLinks", linkedTableId=table.id)
    )
    assert await schema.cells(owner, table.id, {"Self": [REC, REC2, REC]}) == [
        {link.id: [REC, REC2]}
    ]
    assert await schema.cells(owner, table.id, {"Self": REC}, typecast=True) == [{link.id: [REC]}]
    await fails(schema.cells(owner, table.id, {"Self": ["Ada"]}), INVALID, "INVALID_RECORD_ID")
