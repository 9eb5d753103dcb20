"""Select choices are kept in cells by name: renaming a choice renames it in every record, and
removing one empties the cells that held it, as Airtable does."""

from __future__ import annotations

from typing import Any

from google.protobuf import json_format
from pyat.schema.v1 import schema_pb2

from tests.airtable_gateway.helpers import Fabric, new_base, spec, struct, until


async def test_renamed_and_removed_choices_follow_into_the_records(any_fabric: Fabric) -> None:
    base = await new_base(any_fabric.host, any_fabric.channel)
    table = await base.table(
        "Tasks",
        spec("Name", "singleLineText"),
        spec("Status", "singleSelect", choices=[{"name": "Todo"}, {"name": "Done"}]),
        spec("Tags", "multipleSelects", choices=[{"name": "a"}, {"name": "b"}, {"name": "c"}]),
    )
    first, second, third = await base.create(
        table.id,
        {"Name": "one", "Status": "Todo", "Tags": ["a", "b"]},
        {"Name": "two", "Status": "Done", "Tags": ["b"]},
        {"Name": "three", "Tags": ["c"]},
    )
    status, tags = table.fields[1], table.fields[2]

    async def choices(field: schema_pb2.Field, keep: dict[str, str]) -> None:
        """Keep the choices named in `keep` (old name to new name); drop the others."""
        kept = [
            {"id": c["id"], "name": keep[c["name"]]}
            for c in _options(field)["choices"]
            if c["name"] in keep
        ]
        await base.schema.UpdateField(
            schema_pb2.UpdateFieldRequest(
                base_id=base.base_id,
                table_id=table.id,
                field_id=field.id,
                options=struct({"choices": kept}),
            ),
            metadata=base.owner.md,
        )

    await choices(status, {"Todo": "Later"})
    await choices(tags, {"a": "A", "c": "c"})

    expected = {
        first.id: {"Name": "one", "Status": "Later", "Tags": ["A"]},
        second.id: {"Name": "two"},
        third.id: {"Name": "three", "Tags": ["c"]},
    }

    async def records_follow() -> bool:
        return {rid: await base.get(table.id, rid) for rid in expected} == expected

    await until(records_follow, "the records show the new choices")
    # The new names are what filters see, too.
    found = await base.list(table.id, filter_by_formula="{Status} = 'Later'")
    assert [r.id for r in found.records] == [first.id]


def _options(field: schema_pb2.Field) -> dict[str, Any]:
    return json_format.MessageToDict(field.options)
