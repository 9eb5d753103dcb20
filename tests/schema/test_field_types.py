"""Every field type with good and bad options, over real gRPC: Airtable's defaults are filled
in, and a bad option is INVALID_ARGUMENT naming the field and the option."""

from __future__ import annotations

import secrets
from typing import Any

import grpc
import pytest
from pyat.schema.v1 import schema_pb2 as pb

from tests.schema.support import Owner, Schema, fails, field_violations, options, spec

DATE_TIME = {
    "dateFormat": {"name": "local", "format": "l"},
    "timeFormat": {"name": "12hour", "format": "h:mma"},
    "timeZone": "utc",
}
GOOD: list[tuple[str, dict[str, Any], dict[str, Any]]] = [
    ("singleLineText", {}, {}),
    ("email", {}, {}),
    ("url", {}, {}),
    ("multilineText", {}, {}),
    ("richText", {}, {}),
    ("phoneNumber", {}, {}),
    ("number", {}, {"precision": 0}),
    ("number", {"precision": 8}, {"precision": 8}),
    ("currency", {"precision": 0, "symbol": "€"}, {"precision": 0, "symbol": "€"}),
    ("percent", {"precision": 1}, {"precision": 1}),
    ("duration", {}, {"durationFormat": "h:mm"}),
    ("duration", {"durationFormat": "h:mm:ss.SS"}, {"durationFormat": "h:mm:ss.SS"}),
    ("rating", {}, {"icon": "star", "max": 5, "color": "yellowBright"}),
    ("rating", {"icon": "heart", "max": 10, "color": "redBright"},
     {"icon": "heart", "max": 10, "color": "redBright"}),
    ("checkbox", {}, {"icon": "check", "color": "greenBright"}),
    ("date", {}, {"dateFormat": {"name": "local", "format": "l"}}),
    ("date", {"dateFormat": {"name": "iso"}},
     {"dateFormat": {"name": "iso", "format": "YYYY-MM-DD"}}),
    ("date", {"dateFormat": {"format": "D/M/YYYY"}},
     {"dateFormat": {"name": "european", "format": "D/M/YYYY"}}),
    ("dateTime", {}, DATE_TIME),
    ("dateTime", {"timeZone": "Europe/Paris", "timeFormat": {"name": "24hour"}},
     DATE_TIME | {"timeZone": "Europe/Paris", "timeFormat": {"name": "24hour", "format": "HH:mm"}}),
    ("multipleAttachments", {}, {"isReversed": False}),
    ("singleCollaborator", {}, {}),
    ("multipleCollaborators", {}, {}),
    ("barcode", {}, {}),
    ("button", {"label": "Go", "url": "https://example.com"},
     {"label": "Go", "url": "https://example.com"}),
    ("autoNumber", {}, {}),
    ("createdBy", {}, {}),
    ("lastModifiedBy", {}, {}),
    ("createdTime", {}, {"isValid": True, "referencedFieldIds": [],
                         "result": {"type": "dateTime", "options": DATE_TIME}}),
    ("lastModifiedTime", {"result": {"type": "date"}},
     {"isValid": True, "referencedFieldIds": [],
      "result": {"type": "date", "options": {"dateFormat": {"name": "local", "format": "l"}}}}),
]  # fmt: skip
BAD: list[tuple[str, dict[str, Any], str]] = [
    ("singleLineText", {"maxLength": 3}, "maxLength"),
    ("number", {"precision": 9}, "precision"),
    ("number", {"precision": 1.5}, "precision"),
    ("number", {"precision": "2"}, "precision"),
    ("currency", {"symbol": ""}, "symbol"),
    ("currency", {"precision": 8}, "precision"),
    ("percent", {"precision": -1}, "precision"),
    ("duration", {"durationFormat": "mm"}, "durationFormat"),
    ("rating", {"max": 11}, "max"),
    ("rating", {"icon": "skull"}, "icon"),
    ("rating", {"color": "blueLight2"}, "color"),
    ("checkbox", {"icon": "circle"}, "icon"),
    ("singleSelect", {"choices": "a,b"}, "choices"),
    ("singleSelect", {"choices": [{"name": ""}]}, "choices[0].name"),
    ("multipleSelects", {"choices": [{"name": "a"}, {"name": "a"}]}, "choices[1].name"),
    ("singleSelect", {"choices": [{"name": "a", "color": "plaid"}]}, "choices[0].color"),
    ("singleSelect", {"choices": [{"name": "a", "id": "nope"}]}, "choices[0].id"),
    ("date", {"dateFormat": {"name": "martian"}}, "dateFormat.name"),
    ("date", {"dateFormat": {"name": "us", "format": "YYYY-MM-DD"}}, "dateFormat.format"),
    ("dateTime", {"timeZone": "Mars/Olympus"}, "timeZone"),
    ("dateTime", {"timeFormat": "24"}, "timeFormat"),
    ("createdTime", {"result": {"type": "number"}}, "result"),
    ("button", {"url": "javascript:alert(1)"}, "url"),
    ("multipleRecordLinks", {}, "linkedTableId"),
    ("multipleRecordLinks", {"linkedTableId": "tblAAAAAAAAAAAAAA"}, "linkedTableId"),
    ("count", {"recordLinkFieldId": "fldAAAAAAAAAAAAAA"}, "recordLinkFieldId"),
    ("multipleLookupValues", {}, "recordLinkFieldId"),
    ("formula", {}, "formula"),
]


@pytest.fixture(scope="module")
async def table(schema: Schema, owner: Owner) -> pb.Table:
    return await schema.table(owner, "Types", spec("Name"))


@pytest.mark.parametrize(("field_type", "given", "shown"), GOOD)
async def test_field_type_options_are_checked_and_completed(
    schema: Schema,
    owner: Owner,
    table: pb.Table,
    field_type: str,
    given: dict[str, Any],
    shown: dict[str, Any],
) -> None:
    field = await schema.field(
        owner, table.id, spec(f"{field_type} {secrets.token_hex(3)}", field_type, **given)
    )
    assert field.type == field_type
    assert options(field) == shown
    again = await schema.get(owner, table.id)
    assert next(f for f in again.fields if f.id == field.id) == field


@pytest.mark.parametrize(("field_type", "given", "option"), BAD)
async def test_bad_options_name_the_field_and_the_option(
    schema: Schema,
    owner: Owner,
    table: pb.Table,
    field_type: str,
    given: dict[str, Any],
    option: str,
) -> None:
    err = await fails(
        schema.field(owner, table.id, spec("Broken", field_type, **given)),
        grpc.StatusCode.INVALID_ARGUMENT,
    )
    assert "'Broken'" in (err.details() or "")
    assert list(field_violations(err)) == [f"field.options.{option}"]


async def test_select_choices_get_ids_and_colors_and_keep_them(
    schema: Schema, owner: Owner, table: pb.Table
) -> None:
    field = await schema.field(
        owner,
        table.id,
        spec(
            "Status",
            "singleSelect",
            choices=[{"name": "Todo"}, {"name": "Done", "color": "greenBright"}],
        ),
    )
    todo, done = options(field)["choices"]
    assert todo["name"] == "Todo" and todo["id"].startswith("sel") and todo["color"] == "blueLight2"
    assert (done["name"], done["color"]) == ("Done", "greenBright")
    updated = await schema.rpc(
        owner.person,
        "UpdateField",
        base_id=owner.base_id,
        table_id=table.id,
        field_id=field.id,
        options=spec("", choices=[{"name": "Done"}, {"name": "Later"}]).options,
    )
    kept, later = options(updated.field)["choices"]
    assert kept["id"] == done["id"] and later["id"] not in (todo["id"], done["id"])


async def test_field_type_is_required_and_known(
    schema: Schema, owner: Owner, table: pb.Table
) -> None:
    err = await fails(
        schema.field(owner, table.id, pb.FieldSpec(name="Nothing")),
        grpc.StatusCode.INVALID_ARGUMENT,
        "INVALID_FIELD_TYPE",
    )
    assert field_violations(err) == {"field.type": "is required"}
