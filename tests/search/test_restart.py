"""A host started again on the same database finds the same records in the same order: its
index is rebuilt from the stored vectors, and answers are right before the rebuild ends."""

from __future__ import annotations

import grpc

from services.registry import SERVICES
from tests.airtable_gateway.helpers import Fabric
from tests.fixtures.fabric import StartHost
from tests.search.test_search import PEOPLE, people_base


async def test_a_restarted_host_gives_the_same_hits(start_host: StartHost) -> None:
    specs = list(SERVICES.values())
    first = await start_host(specs)
    async with grpc.aio.insecure_channel(first.address) as channel:
        people = await people_base(Fabric(first, channel))
        queries = ["someone who fixes cars", "Keller", "children", "flying"]
        before = [[(h.record_id, h.score) for h in await people.find(q)] for q in queries]
    await first.stop(grace_s=1)
    second = await start_host(specs)
    async with grpc.aio.insecure_channel(second.address) as channel:
        people.search = type(people.search)(channel)
        after = [[(h.record_id, h.score) for h in await people.find(q)] for q in queries]
        assert after == before
        assert (await people.status()).indexed_records == len(PEOPLE)
