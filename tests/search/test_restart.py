"""A host started again on the same database finds the same records in the same order: its
tables' graphs come back from their snapshots, caught up with the documents that changed while
it was down. With indexing off, the host answers from what is indexed and runs no worker."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import grpc
from pyat.search.v1 import search_pb2 as pb

from services.registry import SERVICES
from services.search import storage
from services.shared.db import Database, utcnow
from tests.airtable_gateway.helpers import Fabric, until
from tests.fixtures.fabric import StartHost
from tests.search.test_search import PEOPLE, people_base

# Ten people: past five, a table is served by a graph, and so snapshotted.
LIMIT = 5


def indexers() -> int:
    """Search workers running in this event loop (the suite's shared fabrics have theirs)."""
    return sum(task.get_name() == "search:indexer" for task in asyncio.all_tasks())


async def test_a_restarted_host_restores_its_graphs_and_catches_up(
    start_host: StartHost, tmp_path: Path
) -> None:
    specs = list(SERVICES.values())
    running = indexers()
    first = await start_host(specs, search_exact_limit=LIMIT)
    assert indexers() == running + 1
    async with grpc.aio.insecure_channel(first.address) as channel:
        people = await people_base(Fabric(first, channel))
        snapshot = tmp_path / "search" / people.base.owner.tenant_id / f"{people.table.id}.json"

        async def snapshotted() -> bool:
            return snapshot.exists()

        await until(snapshotted, "the graph is snapshotted")
        queries = ["someone who fixes cars", "Keller", "children", "flying"]
        before = [[(h.record_id, h.score) for h in await people.find(q)] for q in queries]
    await first.stop(grace_s=1)

    second = await start_host(specs, search_exact_limit=LIMIT)
    async with grpc.aio.insecure_channel(second.address) as channel:
        people.search = type(people.search)(channel)
        after = [[(h.record_id, h.score) for h in await people.find(q)] for q in queries]
        assert after == before
        assert (await people.status()).indexed_records == len(PEOPLE)
    await second.stop(grace_s=1)

    # While no search runs: Ada's document deleted, Greta's given the pilot's text and vector.
    db = Database(second.settings.db_url)
    tenant, table = people.base.owner.tenant_id, people.table.id
    try:
        async with db.transaction() as session:
            known = {
                doc.record_id: doc.id
                for doc in await storage.known(session, tenant, people.ids.values())
            }
            pilot = await storage.documents_by_id(
                session, tenant, people.base.base_id, [known[people.ids["Farid Haddad"]]]
            )
            await storage.remove(session, [known[people.ids["Ada Quenneville"]]])
            text = "Greta Olsen\nJob: airline pilot flying passenger jets"
            (vector,) = [doc.vector for doc in pilot.values()]
            greta = storage.NewText(
                tenant, people.base.base_id, table, people.ids["Greta Olsen"], text, "changed",
                vector, json.loads(snapshot.read_text())["model"],
            )  # fmt: skip
            await storage.save(session, [greta], utcnow())
    finally:
        await db.close()

    third = await start_host(specs, search_exact_limit=LIMIT, search_indexing=False)
    assert indexers() == running
    async with grpc.aio.insecure_channel(third.address) as channel:
        people.search = type(people.search)(channel)
        fixers = await people.names("someone who fixes cars", k=100)
        assert "Ada Quenneville" not in fixers and len(fixers) == len(PEOPLE) - 1
        pilots = await people.find("airline pilot", mode=pb.SEARCH_MODE_SEMANTIC, k=2)
        assert {hit.record_id for hit in pilots} == {
            people.ids["Farid Haddad"],
            people.ids["Greta Olsen"],
        }
        assert abs(pilots[0].similarity - pilots[1].similarity) < 1e-3
        assert (await people.names("Keller"))[0] == "Bruno Keller"
        assert (await people.status()).indexed_records == len(PEOPLE) - 1
