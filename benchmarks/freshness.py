"""How soon a written record can be found: from a CreateRecords' answer (its commit) to a search
through Envoy that finds it.

Records go out at WRITE_RATE on a fixed timeline, each with a word no other record has. One
poller asks every POLL_EVERY_S for all the words still pending in one KEYWORD-mode search (the
words are OR-ed), so each pending record is looked for every 20 ms at a rate the tenant's limit
allows; a record is findable when a search that returns it arrives. Then a few records with a
meaning of their own are written one at a time and looked for by a paraphrase in SEMANTIC mode.
"""

from __future__ import annotations

import asyncio
import secrets
import time
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

import grpc
import httpx
from google.protobuf import struct_pb2
from pyat.airtable.v1 import airtable_gateway_pb2 as at
from pyat.airtable.v1 import airtable_gateway_pb2_grpc

from benchmarks.feed import percentile

WRITE_RATE = 20.0
POLL_EVERY_S = 0.02
WAIT_S = 30.0  # for a record to become findable, after which it counts as never found
# By meaning, a record may rank below the top 10 for good: a miss, not a broken index.
SEMANTIC_WAIT_S = 10.0
CALL_TIMEOUT_S = 10.0
# (what the record says, how it is asked for): meanings no other record of the corpus has.
MEANINGS = (
    ("Trains falcons and hawks for hunting", "a falconer who hunts with trained birds"),
    ("Repairs antique pipe organs in cathedrals", "who fixes old church instruments"),
    ("Builds igloos and ice hotels every winter", "constructs shelters out of snow"),
    ("Translates ancient Egyptian hieroglyphs", "reads the writing of the pharaohs"),
    ("Designs roller coasters for theme parks", "engineer of amusement park rides"),
)

Headers = tuple[tuple[str, str], ...]


@dataclass
class Written:
    record_id: str
    word: str
    committed: float  # monotonic, when CreateRecords answered
    round_trip_s: float
    found: float | None = None


@dataclass
class Target:
    """Where to write and how to look."""

    grpc_address: str
    edge_address: str
    base_id: str
    table_id: str
    caller: Headers  # the owner's signed identity, for CreateRecords
    token: str  # the owner's access token, for searches through Envoy
    errors: list[str] = field(default_factory=list)


def run(target: Target, seconds: float, semantic: int) -> dict[str, Any]:
    return asyncio.run(_measure(target, seconds, semantic))


async def _measure(target: Target, seconds: float, semantic: int) -> dict[str, Any]:
    async with (
        grpc.aio.insecure_channel(target.grpc_address) as channel,
        httpx.AsyncClient(
            base_url=f"http://{target.edge_address}",
            headers={"authorization": f"Bearer {target.token}"},
            timeout=CALL_TIMEOUT_S,
        ) as http,
    ):
        records = airtable_gateway_pb2_grpc.AirtableGatewayServiceStub(channel)
        written = await _keyword(target, records, http, seconds)
        meant = [await _semantic(target, records, http, n) for n in range(semantic)]
    return _result(target, written, [m for m in meant if m is not None], seconds)


def _record(word: str, job: str, notes: str) -> struct_pb2.Struct:
    cells = struct_pb2.Struct()
    cells.update({"Name": f"Fresh {word}", "Job": job, "City": "Oslo", "Notes": notes})
    return cells


async def _create(
    target: Target,
    records: airtable_gateway_pb2_grpc.AirtableGatewayServiceAsyncStub,
    word: str,
    job: str,
    notes: str,
) -> Written:
    request = at.CreateRecordsRequest(
        base_id=target.base_id, table=target.table_id, records=[_record(word, job, notes)]
    )
    sent = time.monotonic()
    answer = await records.CreateRecords(request, metadata=target.caller, timeout=CALL_TIMEOUT_S)
    done = time.monotonic()
    return Written(answer.records[0].id, word, done, done - sent)


async def _search(
    target: Target, http: httpx.AsyncClient, query: str, mode: str, k: int
) -> set[str]:
    """The record ids a search through Envoy returns."""
    query_string = urlencode({"query": query, "table": target.table_id, "mode": mode, "k": k})
    answer = await http.get(f"/v1/bases/{target.base_id}/search?{query_string}")
    if answer.status_code != 200:
        raise RuntimeError(f"search answered HTTP {answer.status_code}: {answer.text[:200]}")
    return {hit["record_id"] for hit in answer.json().get("hits", [])}


async def _keyword(
    target: Target,
    records: airtable_gateway_pb2_grpc.AirtableGatewayServiceAsyncStub,
    http: httpx.AsyncClient,
    seconds: float,
) -> list[Written]:
    run_id = secrets.token_hex(3)
    written: list[Written] = []
    writing = True

    async def write(n: int) -> None:
        word = f"fresh{run_id}x{n:05d}"
        try:
            written.append(await _create(target, records, word, "tester", f"Marked {word}."))
        except grpc.aio.AioRpcError as err:
            target.errors.append(f"CreateRecords: gRPC {err.code().name}: {err.details()}")

    async def poll() -> None:
        """Until writing is over and every record is found or has waited WAIT_S."""
        while True:
            now = time.monotonic()
            pending = [w for w in written if w.found is None and now - w.committed < WAIT_S]
            if not writing and not pending:
                return
            if pending:
                words = " ".join(w.word for w in pending)
                try:
                    found = await _search(target, http, words, "SEARCH_MODE_KEYWORD", 100)
                except (RuntimeError, httpx.HTTPError) as err:
                    target.errors.append(f"keyword search: {err}")
                    return
                arrived = time.monotonic()
                for w in pending:
                    if w.record_id in found:
                        w.found = arrived
            await asyncio.sleep(POLL_EVERY_S)

    poller = asyncio.create_task(poll())
    start = time.monotonic()
    writes = []
    for n in range(int(seconds * WRITE_RATE)):
        await asyncio.sleep(max(0.0, start + n / WRITE_RATE - time.monotonic()))
        writes.append(asyncio.create_task(write(n)))
    await asyncio.gather(*writes)
    writing = False
    await asyncio.wait_for(poller, WAIT_S + CALL_TIMEOUT_S)
    return written


async def _semantic(
    target: Target,
    records: airtable_gateway_pb2_grpc.AirtableGatewayServiceAsyncStub,
    http: httpx.AsyncClient,
    n: int,
) -> Written | None:
    """One record of a meaning of its own, looked for by its paraphrase until it is in the
    top 10 by meaning alone."""
    says, asked = MEANINGS[n % len(MEANINGS)]
    try:
        written = await _create(target, records, f"meaning{n}", says.lower(), says + ".")
    except grpc.aio.AioRpcError as err:
        target.errors.append(f"CreateRecords: gRPC {err.code().name}: {err.details()}")
        return None
    while time.monotonic() - written.committed < SEMANTIC_WAIT_S:
        try:
            found = await _search(target, http, asked, "SEARCH_MODE_SEMANTIC", 10)
        except (RuntimeError, httpx.HTTPError) as err:
            target.errors.append(f"semantic search: {err}")
            return written
        if written.record_id in found:
            written.found = time.monotonic()
            break
        await asyncio.sleep(POLL_EVERY_S)
    return written


def _ms(values: list[float]) -> dict[str, float] | None:
    if not values:
        return None
    names = {"p50": 0.5, "p99": 0.99, "max": 1.0}
    return {name: round(percentile(values, q) * 1e3, 1) for name, q in names.items()}


def _result(
    target: Target, written: list[Written], meant: list[Written], seconds: float
) -> dict[str, Any]:
    errors = list(dict.fromkeys(target.errors))  # once each
    lost = [w for w in written if w.found is None]
    if lost:
        errors.append(f"{len(lost)} of {len(written)} records not findable after {WAIT_S:g} s")
    return {
        "writes_per_s": WRITE_RATE,
        "seconds": seconds,
        "written": len(written),
        "poll_every_ms": POLL_EVERY_S * 1e3,
        "keyword_ms": _ms([w.found - w.committed for w in written if w.found is not None]),
        "write_ms": _ms([w.round_trip_s for w in written]),
        "semantic_records": len(meant),
        "semantic_found": sum(1 for w in meant if w.found is not None),
        "semantic_ms": _ms([w.found - w.committed for w in meant if w.found is not None]),
        "errors": errors,
    }
