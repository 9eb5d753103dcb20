"""The core path on PostgreSQL (with Redis and NATS): writes, links, upsert, a filtered and
sorted list with pages, and tenancy."""

from __future__ import annotations

import asyncio

import grpc
from pyat.airtable.v1 import airtable_gateway_pb2 as pb

from services.shared.server import Host
from tests.airtable_gateway.helpers import cells, fails, new_base, spec


async def test_core_path_on_postgres(pg_fabric: Host, pg_channel: grpc.aio.Channel) -> None:
    base = await new_base(pg_fabric, pg_channel)
    tags = await base.table("Tags", spec("Tag", "singleLineText"))
    notes = await base.table(
        "Notes", spec("Title", "singleLineText"), spec("Score", "number"),
        spec("Kinds", "multipleSelects", choices=[{"name": "a"}, {"name": "b"}]),
    )  # fmt: skip
    link = await base.field(notes.id, "Tags", "multipleRecordLinks", {"linkedTableId": tags.id})
    await base.field(notes.id, "No", "autoNumber")
    inverse = (await base.get_table(tags.id)).fields[-1].name
    tag = (await base.create("Tags", {"Tag": "red"}))[0]

    created = await base.create(
        "Notes",
        *({"Title": f"n{i}", "Score": i % 4, "Kinds": ["a", "b"][: i % 3]} for i in range(10)),
    )
    first = created[0].id
    await base.update("Notes", (first, {"Tags": [tag.id]}))
    assert (await base.get("Tags", tag.id))[inverse] == [first]
    upserted = await base.update(
        "Notes", ("", {"Title": "n1", "Score": 9}), ("", {"Title": "n10", "Kinds": ["b"]}),
        fields_to_merge_on=["Title"],
    )  # fmt: skip
    assert list(upserted.updated_record_ids) == [created[1].id]
    assert len(upserted.created_record_ids) == 1
    upserted_multi = await base.update(
        "Notes", ("", {"Title": "n10", "Kinds": ["b"], "Score": 1}),
        fields_to_merge_on=["Title", "Kinds"],
    )  # fmt: skip
    assert list(upserted_multi.updated_record_ids) == list(upserted.created_record_ids)

    seen: list[str] = []
    offset = ""
    sorts = [pb.Sort(field="Score", direction="desc"), pb.Sort(field="Title")]
    while True:
        page = await base.list(
            "Notes", filter_by_formula="{Score} >= 1", sorts=sorts, page_size=3, offset=offset
        )
        seen += [cells(record)["Title"] for record in page.records]
        offset = page.offset
        if not offset:
            break
    assert seen == ["n1", "n3", "n7", "n2", "n6", "n10", "n5", "n9"]

    # Concurrent creates still get distinct auto numbers.
    await asyncio.gather(*(base.create("Notes", {"Title": f"c{i}"}) for i in range(8)))
    numbers = [cells(r)["No"] for r in (await base.list("Notes", fields=["No"])).records]
    assert sorted(numbers) == list(range(1, 20))
    stranger = await new_base(pg_fabric, pg_channel)
    await fails(
        stranger.records.GetRecord(
            pb.GetRecordRequest(base_id=base.base_id, table="Notes", record_id=first),
            metadata=stranger.owner.md,
        ),
        grpc.StatusCode.NOT_FOUND,
    )
    await base.records.DeleteRecords(
        pb.DeleteRecordsRequest(base_id=base.base_id, table="Tags", record_ids=[tag.id]),
        metadata=base.owner.md,
    )
    assert link.name not in await base.get("Notes", first)
