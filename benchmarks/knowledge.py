"""The AI part's knowledge base: a base and tables made through the API, the corpus seeded into
semantic-search's documents table with the service's own storage code, and how its index is
waited for and judged (recall@10 against an exact scan of the same vectors).
"""

from __future__ import annotations

import re
import time
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlencode

import grpc
import numpy as np
from google.protobuf import struct_pb2
from pyat.airtable.v1 import airtable_gateway_pb2 as at
from pyat.airtable.v1 import airtable_gateway_pb2_grpc
from pyat.auth.v1 import auth_pb2, auth_pb2_grpc
from pyat.embedding.v1 import embedding_pb2, embedding_pb2_grpc
from pyat.schema.v1 import schema_pb2, schema_pb2_grpc
from pyat.search.v1 import search_pb2, search_pb2_grpc
from pyat.tenant.v1 import tenant_pb2, tenant_pb2_grpc
from pyat.workspace.v1 import workspace_pb2, workspace_pb2_grpc
from sqlalchemy import insert, select

from benchmarks import corpus
from benchmarks.callers import caller_metadata
from benchmarks.scenarios import Call, User, as_caller, bearer
from services.search import storage, texts
from services.search.index import TableIndex, as_vector, build_graph
from services.shared.db import Database, utcnow
from services.shared.ids import new_id

K = 10
DIRECTORY_RECORDS = 200  # real records of the table MCP lists
SEED_BATCH = 2_000
# Until the service's index is loaded, a search scans the table's vectors in the database:
# three answers in a row under this say the in-memory index serves.
LOADED_UNDER_S = 0.1
LOAD_WAIT_S = 300.0
FIELDS = [
    schema_pb2.FieldSpec(name="Name", type="singleLineText"),
    schema_pb2.FieldSpec(name="Job", type="singleLineText"),
    schema_pb2.FieldSpec(name="City", type="singleLineText"),
    schema_pb2.FieldSpec(name="Notes", type="multilineText"),
]

Headers = tuple[tuple[str, str], ...]


@dataclass(frozen=True)
class KnowledgeBase:
    """The owner's base: `people` (the corpus, in the search index only) and `directory`
    (DIRECTORY_RECORDS real records, for MCP and REST to list)."""

    owner: User
    base_id: str
    people: schema_pb2.Table
    directory_id: str
    pat: str  # read scope on the base, for /v0 and /mcp

    @property
    def caller(self) -> Headers:
        return as_caller(self.owner)


def cells(table: schema_pb2.Table, person: corpus.Person) -> dict[str, str]:
    """A person's cells keyed by field id, as the search service reads a record."""
    by_name = {f.name: f.id for f in table.fields}
    return {by_name[name]: value for name, value in person.fields().items()}


def make_knowledge_base(address: str, owner: User, people: list[corpus.Person]) -> KnowledgeBase:
    """Through the API: the enterprise plan, a workspace, a base with the people table (empty:
    its documents are seeded) and the directory table (real records), and a read-only PAT."""
    headers = as_caller(owner)
    with grpc.insecure_channel(address) as channel:
        tenant_pb2_grpc.TenantServiceStub(channel).UpdateTenant(
            tenant_pb2.UpdateTenantRequest(plan=tenant_pb2.PLAN_ENTERPRISE),
            metadata=headers,
            timeout=30,
        )
        workspaces = workspace_pb2_grpc.WorkspaceServiceStub(channel)
        wsp = workspaces.CreateWorkspace(
            workspace_pb2.CreateWorkspaceRequest(name="AI tier"), metadata=headers, timeout=30
        ).workspace
        base = workspaces.CreateBase(
            workspace_pb2.CreateBaseRequest(workspace_id=wsp.id, name="People"),
            metadata=headers,
            timeout=30,
        ).base
        specs = [schema_pb2.TableSpec(name=name, fields=FIELDS) for name in ("People", "Directory")]
        made = (
            schema_pb2_grpc.SchemaServiceStub(channel)
            .CreateTables(
                schema_pb2.CreateTablesRequest(base_id=base.id, tables=specs),
                metadata=headers,
                timeout=30,
            )
            .tables
        )
        pat = (
            auth_pb2_grpc.AuthServiceStub(channel)
            .CreatePersonalAccessToken(
                auth_pb2.CreatePersonalAccessTokenRequest(
                    name="ai bench",
                    scopes=["data.records:read", "schema.bases:read"],
                    base_ids=[base.id],
                ),
                metadata=headers,
                timeout=30,
            )
            .token
        )
        records = airtable_gateway_pb2_grpc.AirtableGatewayServiceStub(channel)
        for first in range(0, DIRECTORY_RECORDS, 10):
            batch = [_struct(p.fields()) for p in people[first : first + 10]]
            request = at.CreateRecordsRequest(base_id=base.id, table=made[1].id, records=batch)
            records.CreateRecords(request, metadata=headers, timeout=60)
    return KnowledgeBase(owner, base.id, made[0], made[1].id, pat)


def _struct(values: dict[str, str]) -> struct_pb2.Struct:
    message = struct_pb2.Struct()
    message.update(values)
    return message


def model_name(address: str) -> str:
    """The model embedding-service names its vectors by, as the indexer stores it; asked as
    semantic-search asks (an internal method)."""
    service = caller_metadata("", "svc:search", via="search")
    with grpc.insecure_channel(address) as channel:
        stub = embedding_pb2_grpc.EmbeddingServiceStub(channel)
        return stub.GetModel(embedding_pb2.GetModelRequest(), metadata=service, timeout=60).model


def pat(kb: KnowledgeBase) -> Headers:
    return (("authorization", f"Bearer {kb.pat}"),)


def search_queries() -> list[str]:
    """Every job's paraphrase in every city: 11,832 different queries, so none is answered
    from the service's cache of recent query vectors during a run."""
    return [f"{query} in {city}" for city in corpus.CITIES for query in corpus.queries()]


def search_calls(kb: KnowledgeBase) -> list[Call]:
    """Hybrid searches (the default mode) of the people table, as its owner with their token."""
    return [
        Call(
            headers=bearer(kb.owner),
            path=f"/v1/bases/{kb.base_id}/search?"
            + urlencode({"query": q.replace("-", " "), "table": kb.people.id}),
        )
        for q in search_queries()
    ]


def grpc_search_calls(kb: KnowledgeBase) -> list[Call]:
    return [
        Call(
            search_pb2.SearchRequest(
                base_id=kb.base_id, query=q.replace("-", " "), table=kb.people.id
            ).SerializeToString(),
            kb.caller,
        )
        for q in search_queries()
    ]


async def seed(
    db_url: str, kb: KnowledgeBase, texts_: list[str], vectors: corpus.Vectors, model: str
) -> tuple[list[str], float]:
    """The corpus into semantic-search's documents table, as its indexer writes them;
    returns the record ids in corpus order, and the seconds it took."""
    db = Database(db_url)
    record_ids = [new_id("rec") for _ in texts_]
    start = time.monotonic()
    try:
        for first in range(0, len(texts_), SEED_BATCH):
            rows = [
                {
                    "tenant_id": kb.owner.tenant_id,
                    "base_id": kb.base_id,
                    "table_id": kb.people.id,
                    "record_id": record_ids[n],
                    "text": texts_[n],
                    "text_hash": texts.text_hash(texts_[n]),
                    "vector": vectors[n].astype("<f4").tobytes(),
                    "model": model,
                    "updated_at": utcnow(),
                }
                for n in range(first, min(first + SEED_BATCH, len(texts_)))
            ]
            async with db.transaction() as session:
                await session.execute(insert(storage.documents), rows)
    finally:
        await db.close()
    return record_ids, time.monotonic() - start


@dataclass(frozen=True)
class InProcess:
    load_s: float  # the vectors from the database into the exact matrix
    build_s: float  # the HNSW graph from the matrix (0 when the table stays exact)
    recall: float


async def load_in_process(
    db_url: str, exact_limit: int, kb: KnowledgeBase, record_ids: list[str], vectors: corpus.Vectors
) -> InProcess:
    """The service's index module, run here as the service runs it at start without a
    snapshot: the table's vectors read from the database into the exact matrix, then (past
    the exact limit) its graph built from it; each timed, then its recall@10 against an exact
    search."""
    db = Database(db_url)
    try:
        index = TableIndex(kb.base_id, exact_limit)
        start, after = time.monotonic(), 0
        while True:
            async with db.read() as session:
                page = await storage.vectors_page(
                    session, kb.owner.tenant_id, kb.people.id, after, 2000
                )
            if not page:
                break
            for key, raw in page:
                index.upsert(key, as_vector(raw))
            after = page[-1][0]
        loaded = time.monotonic()
        if index.wants_graph():
            index.swap(build_graph(*index.start_build()))
        built = time.monotonic()
        async with db.read() as session:
            found = await session.execute(
                select(storage.documents.c.id, storage.documents.c.record_id).where(
                    storage.documents.c.tenant_id == kb.owner.tenant_id,
                    storage.documents.c.table_id == kb.people.id,
                )
            )
            record_of = {int(row[0]): row[1] for row in found}
    finally:
        await db.close()
    queries = corpus.embed(corpus.queries())
    approximate = [[record_of[key] for key, _ in index.vectors.search(q, K)] for q in queries]
    truth = exact(queries, vectors, record_ids)
    return InProcess(loaded - start, built - loaded, recall(approximate, truth))


def exact(
    queries: corpus.Vectors, vectors: corpus.Vectors, record_ids: list[str]
) -> list[list[str]]:
    """The true K nearest records of each query: a brute-force scan of every vector."""
    found = []
    for q in queries:
        sims = vectors @ q
        best = np.argpartition(-sims, K - 1)[:K]
        found.append([record_ids[n] for n in best[np.argsort(-sims[best])]])
    return found


def recall(approximate: list[list[str]], truth: list[list[str]]) -> float:
    hits = sum(len(set(a) & set(t)) for a, t in zip(approximate, truth, strict=True))
    return round(hits / (K * len(truth)), 4)


def semantic_search(
    stub: search_pb2_grpc.SearchServiceStub, kb: KnowledgeBase, query: str
) -> list[str]:
    request = search_pb2.SearchRequest(
        base_id=kb.base_id,
        query=query,
        table=kb.people.id,
        k=K,
        mode=search_pb2.SEARCH_MODE_SEMANTIC,
    )
    answer = stub.Search(request, metadata=kb.caller, timeout=30)
    return [hit.record_id for hit in answer.hits]


def wait_until_indexed(address: str, kb: KnowledgeBase) -> None:
    """Until semantic-search has no change of the base waiting (GetIndexStatus), or raise."""
    start = time.monotonic()
    with grpc.insecure_channel(address) as channel:
        stub = search_pb2_grpc.SearchServiceStub(channel)
        request = search_pb2.GetIndexStatusRequest(base_id=kb.base_id)
        while True:
            status = stub.GetIndexStatus(request, metadata=kb.caller, timeout=30)
            if status.pending_records == 0:
                return
            if time.monotonic() - start > LOAD_WAIT_S:
                raise RuntimeError(
                    f"{status.pending_records} changes still waiting to be indexed after "
                    f"{LOAD_WAIT_S:g} s"
                )
            time.sleep(0.2)


def wait_until_loaded(address: str, kb: KnowledgeBase) -> float:
    """Seconds until the service's in-memory index answers: three SEMANTIC searches in a row
    under LOADED_UNDER_S (while it loads, each scans the table's vectors in the database).
    A search that fails meanwhile (embedding-service still loading its model) counts as not
    yet; past LOAD_WAIT_S the last failure is raised."""
    start = time.monotonic()
    fast = 0
    failure: grpc.RpcError | None = None
    with grpc.insecure_channel(address) as channel:
        stub = search_pb2_grpc.SearchServiceStub(channel)
        while fast < 3:
            if time.monotonic() - start > LOAD_WAIT_S:
                if failure is not None:
                    raise failure
                raise RuntimeError(f"the search index did not load within {LOAD_WAIT_S:g} s")
            asked = time.monotonic()
            try:
                found = semantic_search(stub, kb, corpus.queries()[fast])
            except grpc.RpcError as err:
                failure, fast = err, 0
                time.sleep(0.5)
                continue
            # An empty answer is a table the index does not know (yet).
            fast = fast + 1 if found and time.monotonic() - asked < LOADED_UNDER_S else 0
            time.sleep(0.05)
    return time.monotonic() - start


def recall_of_service(
    address: str, kb: KnowledgeBase, record_ids: list[str], vectors: corpus.Vectors, asked: int
) -> tuple[float, list[float]]:
    """recall@10 of the service's SEMANTIC answers to the first `asked` paraphrases, against
    the exact nearest records by the same model's vectors (embedded here with
    sentence-transformers); and each search's time (one at a time, over gRPC)."""
    queries = corpus.queries()[:asked]
    found, took = [], []
    with grpc.insecure_channel(address) as channel:
        stub = search_pb2_grpc.SearchServiceStub(channel)
        for q in queries:
            asked_at = time.perf_counter()
            found.append(semantic_search(stub, kb, q))
            took.append(time.perf_counter() - asked_at)
    return recall(found, exact(corpus.embed(queries), vectors, record_ids)), took


def graph_ready(log: Path, table_id: str) -> float:
    """Seconds the service says its graph of the table took, built or restored from its
    snapshot (its log line), once it says so; waits at most LOAD_WAIT_S."""
    pattern = re.compile(rf"(built the graph of|restored) {table_id}\b.* in ([0-9.]+) ?s")
    deadline = time.monotonic() + LOAD_WAIT_S
    while time.monotonic() < deadline:
        found = pattern.search(log.read_text(errors="replace"))
        if found:
            return float(found.group(2))
        time.sleep(0.2)
    raise RuntimeError(f"no graph of {table_id} built or restored within {LOAD_WAIT_S:g} s")
