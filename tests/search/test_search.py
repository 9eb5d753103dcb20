"""Search finds records by meaning and by words, follows their changes from events, and never
shows what the caller may not read: another tenant's base, a base without a role, a base a
token is not for."""

from __future__ import annotations

import time
from dataclasses import dataclass

import grpc
import pytest
from pyat.airtable.v1 import airtable_gateway_pb2 as gw
from pyat.schema.v1 import schema_pb2
from pyat.search.v1 import search_pb2 as pb
from pyat.search.v1 import search_pb2_grpc

from tests.airtable_gateway.helpers import Base, Fabric, fails, new_base, spec, until
from tests.fixtures.callers import caller_metadata

PEOPLE = [
    ("Ada Quenneville", "auto mechanic repairing engines and brakes"),
    ("Bruno Keller", "pastry chef baking croissants and cakes"),
    ("Chloe Martin", "tax accountant preparing income returns"),
    ("Dmitri Orlov", "kindergarten teacher of young children"),
    ("Elena Rossi", "veterinarian treating sick dogs and cats"),
    ("Farid Haddad", "airline pilot flying passenger jets"),
    ("Greta Olsen", "software engineer writing backend code"),
    ("Hiro Tanaka", "landscape gardener planting trees and lawns"),
    ("Ines Duarte", "dentist cleaning and filling teeth"),
    ("Jonas Berg", "plumber unclogging leaking pipes and drains"),
]


@dataclass
class People:
    base: Base
    table: schema_pb2.Table
    ids: dict[str, str]
    search: search_pb2_grpc.SearchServiceStub

    async def find(self, query: str, **request: object) -> list[pb.SearchHit]:
        answer = await self.search.Search(
            pb.SearchRequest(base_id=self.base.base_id, query=query, **request),  # type: ignore[arg-type]
            metadata=self.base.owner.md,
        )
        return list(answer.hits)

    async def names(self, query: str, **request: object) -> list[str]:
        by_id = {record_id: name for name, record_id in self.ids.items()}
        return [
            by_id.get(hit.record_id, hit.record_id) for hit in await self.find(query, **request)
        ]

    async def status(self) -> pb.GetIndexStatusResponse:
        answer: pb.GetIndexStatusResponse = await self.search.GetIndexStatus(
            pb.GetIndexStatusRequest(base_id=self.base.base_id), metadata=self.base.owner.md
        )
        return answer

    async def settled(self, indexed: int) -> None:
        async def done() -> bool:
            status = await self.status()
            return status.pending_records == 0 and status.indexed_records == indexed

        await until(done, f"{indexed} records are indexed")


async def people_base(fabric: Fabric) -> People:
    base = await new_base(fabric.host, fabric.channel)
    table = await base.table(
        "People",
        spec("Name", "singleLineText"),
        spec("Job", "multilineText"),
        spec("Age", "number"),
    )
    created = await base.create(
        table.id, *({"Name": name, "Job": job, "Age": 40} for name, job in PEOPLE)
    )
    ids = {record.fields["Name"]: record.id for record in created}
    people = People(base, table, ids, search_pb2_grpc.SearchServiceStub(fabric.channel))
    await people.settled(len(PEOPLE))
    return people


@pytest.fixture(scope="module")
async def people(any_fabric: Fabric) -> People:
    return await people_base(any_fabric)


async def test_meaning_ranks_the_mechanic_first_for_fixing_cars(people: People) -> None:
    names = await people.names("someone who fixes cars")
    assert names[0] == "Ada Quenneville"
    hits = await people.find("someone who fixes cars", mode=pb.SEARCH_MODE_SEMANTIC)
    assert hits[0].record_id == people.ids["Ada Quenneville"]
    assert 0 < hits[0].similarity <= 1 and hits[0].semantic_rank == 1
    assert hits[0].text.startswith("Ada Quenneville\nJob: auto mechanic")


async def test_common_words_find_nothing_by_themselves(people: People) -> None:
    # "and" is in six of the texts: a words ranking that counted it would list them all.
    hits = await people.find("the chef and the cakes", mode=pb.SEARCH_MODE_KEYWORD)
    assert [hit.record_id for hit in hits] == [people.ids["Bruno Keller"]]
    assert await people.find("who is it and", mode=pb.SEARCH_MODE_KEYWORD) == []


async def test_an_exact_rare_word_ranks_its_record_first(people: People) -> None:
    # The surname means nothing; only the words ranking knows it.
    hits = await people.find("Keller")
    assert hits[0].record_id == people.ids["Bruno Keller"]
    assert hits[0].keyword_rank == 1
    keyword = await people.find("Keller", mode=pb.SEARCH_MODE_KEYWORD)
    assert [hit.record_id for hit in keyword] == [people.ids["Bruno Keller"]]
    assert keyword[0].similarity == 0


async def test_k_limits_the_hits_and_table_narrows_them(people: People) -> None:
    assert len(await people.find("work", k=3)) == 3
    assert len(await people.find("work", table="People", k=100)) == len(PEOPLE)


async def test_a_formula_narrows_the_hits(people: People) -> None:
    names = await people.names(
        "someone who fixes things", table=people.table.id, filter_by_formula="FIND('Jonas', {Name})"
    )
    assert names == ["Jonas Berg"]
    error = await fails(
        people.find("x", table="People", filter_by_formula="NOPE("),
        grpc.StatusCode.INVALID_ARGUMENT,
    )
    assert error.details()


@pytest.mark.parametrize(
    "request_fields",
    [
        {"query": ""},
        {"query": "x" * 1001},
        {"query": "cars", "k": 101},
        {"query": "cars", "k": -1},
        {"query": "cars", "filter_by_formula": "TRUE()"},
    ],
)
async def test_bad_requests_are_invalid_arguments(
    people: People, request_fields: dict[str, object]
) -> None:
    await fails(
        people.search.Search(
            pb.SearchRequest(base_id=people.base.base_id, **request_fields),  # type: ignore[arg-type]
            metadata=people.base.owner.md,
        ),
        grpc.StatusCode.INVALID_ARGUMENT,
    )


async def test_changes_are_followed_and_fresh(any_fabric: Fabric) -> None:
    people = await people_base(any_fabric)
    table = people.table.id
    # A new meaning moves the record.
    started = time.monotonic()
    await people.base.update(
        table, (people.ids["Greta Olsen"], {"Job": "beekeeper harvesting honey from hives"})
    )

    async def moved() -> bool:
        return (await people.names("honey bees"))[0] == "Greta Olsen"

    await until(moved, "the updated record is found by its new meaning")
    fresh_s = time.monotonic() - started
    print(f"freshness: update findable after {fresh_s * 1000:.0f} ms")
    assert fresh_s < 3
    # A deleted record disappears.
    await people.base.records.DeleteRecords(
        gw.DeleteRecordsRequest(
            base_id=people.base.base_id, table=table, record_ids=[people.ids["Ada Quenneville"]]
        ),
        metadata=people.base.owner.md,
    )
    await people.settled(len(PEOPLE) - 1)
    assert "Ada Quenneville" not in await people.names("someone who fixes cars", k=100)
    # A new record is found soon after its write commits.
    started = time.monotonic()
    (created,) = await people.base.create(table, {"Name": "Kai Lindqvist", "Job": "glassblower"})

    async def found() -> bool:
        return created.id in [hit.record_id for hit in await people.find("Lindqvist")]

    await until(found, "the new record is found")
    print(f"freshness: create findable after {(time.monotonic() - started) * 1000:.0f} ms")


async def test_a_new_text_field_is_indexed_and_a_deleted_table_forgotten(
    any_fabric: Fabric,
) -> None:
    people = await people_base(any_fabric)
    # No record changes: only the field's event makes the table be indexed again.
    await people.base.field(
        people.table.id, "Motto", "formula", {"formula": "CONCATENATE('zyzzyva ', {Name})"}
    )

    async def findable() -> bool:
        return len(await people.find("zyzzyva", mode=pb.SEARCH_MODE_KEYWORD, k=100)) == len(PEOPLE)

    await until(findable, "the formula's word is findable")
    other = await people.base.table("Other", spec("Name", "singleLineText"))
    await people.base.create(other.id, {"Name": "zyzzyva too"})
    await people.settled(len(PEOPLE) + 1)
    await people.base.schema.DeleteTable(
        schema_pb2.DeleteTableRequest(base_id=people.base.base_id, table_id=people.table.id),
        metadata=people.base.owner.md,
    )
    await people.settled(1)
    assert [hit.table_id for hit in await people.find("zyzzyva")] == [other.id]


async def test_no_hit_crosses_tenants_bases_or_tokens(any_fabric: Fabric, people: People) -> None:
    other = await people_base(any_fabric)
    # Each tenant sees its own mechanic, never the other's.
    assert (await people.find("someone who fixes cars"))[0].record_id == people.ids[
        "Ada Quenneville"
    ]
    assert (await other.find("someone who fixes cars"))[0].record_id == other.ids["Ada Quenneville"]
    mine = {hit.record_id for hit in await people.find("Quenneville mechanic", k=100)}
    assert mine.isdisjoint(other.ids.values())
    for who, base_id in ((other, people.base.base_id), (people, other.base.base_id)):
        await fails(
            who.search.Search(
                pb.SearchRequest(base_id=base_id, query="cars"), metadata=who.base.owner.md
            ),
            grpc.StatusCode.NOT_FOUND,
        )
        await fails(
            who.search.GetIndexStatus(
                pb.GetIndexStatusRequest(base_id=base_id), metadata=who.base.owner.md
            ),
            grpc.StatusCode.NOT_FOUND,
        )
    # A colleague in the same tenant with no role on the base.
    colleague = await people.base.api.colleague(people.base.owner)
    await fails(
        people.search.Search(
            pb.SearchRequest(base_id=people.base.base_id, query="cars"), metadata=colleague.md
        ),
        grpc.StatusCode.NOT_FOUND,
    )
    # A token limited to another base of the same owner.
    second = await people.base.api.base(people.base.owner, people.base.workspace_id, "Second")
    owner = people.base.owner
    token = caller_metadata(
        owner.tenant_id, owner.user_id, scopes=["data.records:read"], token_bases=[second.id]
    )
    await fails(
        people.search.Search(
            pb.SearchRequest(base_id=people.base.base_id, query="cars"), metadata=token
        ),
        grpc.StatusCode.PERMISSION_DENIED,
    )
    allowed = caller_metadata(
        owner.tenant_id,
        owner.user_id,
        scopes=["data.records:read"],
        token_bases=[people.base.base_id],
    )
    answer = await people.search.Search(
        pb.SearchRequest(base_id=people.base.base_id, query="cars"), metadata=allowed
    )
    assert answer.hits[0].record_id == people.ids["Ada Quenneville"]
