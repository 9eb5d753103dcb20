"""semantic-search's gRPC surface: Search fuses a vector ranking and a words ranking of a base's
records (reciprocal rank fusion), keeps the tables the caller may read and, with a formula, the
records it matches; GetIndexStatus says how much of a base is indexed."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass

import grpc
import numpy as np
from pyat.airtable.v1 import airtable_gateway_pb2 as gw
from pyat.airtable.v1 import airtable_gateway_pb2_grpc
from pyat.permission.v1 import permission_pb2
from pyat.schema.v1 import schema_pb2, schema_pb2_grpc
from pyat.search.v1 import search_pb2 as pb
from pyat.search.v1 import search_pb2_grpc

from services.search import storage
from services.search.embeddings import Embedder
from services.search.index import Indexes, as_vector
from services.search.snapshots import Snapshots
from services.shared import identity
from services.shared.base_access import BaseAccess
from services.shared.clients import translate
from services.shared.errors import InvalidArgument, NotFound, PermissionDenied
from services.shared.identity import Caller
from services.shared.runtime import Context, Runtime

READ = permission_pb2.ACTION_READ
MAX_QUERY = 1000
MAX_K = 100
DEFAULT_K = 10
# Reciprocal rank fusion's constant: a rank r counts 1 / (RRF_K + r).
RRF_K = 60
# Records one filtering ListRecords call checks.
FILTER_CHUNK = 100
TEXT_PREVIEW = 200


@dataclass
class SearchState:
    """What the servicer and the indexer of one host share."""

    indexes: Indexes
    embedder: Embedder


_STATES: dict[int, tuple[Runtime, SearchState]] = {}


def state_of(runtime: Runtime) -> SearchState:
    """The state the host's servicer made (taken once, by the indexer's start)."""
    kept, state = _STATES.pop(id(runtime))
    assert kept is runtime
    return state


def _check(request: pb.SearchRequest) -> int:
    """The request's k, once the request is known to be well formed."""
    bad: dict[str, str] = {}
    if not request.base_id:
        bad["base_id"] = "required"
    if not request.query.strip():
        bad["query"] = "required"
    elif len(request.query) > MAX_QUERY:
        bad["query"] = f"at most {MAX_QUERY} characters"
    if not 0 <= request.k <= MAX_K:
        bad["k"] = f"1 to {MAX_K}"
    if request.filter_by_formula and not request.table:
        bad["filter_by_formula"] = "needs a table"
    if request.mode not in pb.SearchMode.values():
        bad["mode"] = "unknown mode"
    if bad:
        raise InvalidArgument("invalid search", fields=bad)
    return request.k or DEFAULT_K


def fuse(rankings: list[list[int]]) -> dict[int, float]:
    """Reciprocal rank fusion: each document scores the sum of 1 / (60 + rank)."""
    scores: dict[int, float] = {}
    for ranking in rankings:
        for rank, key in enumerate(ranking, start=1):
            scores[key] = scores.get(key, 0.0) + 1.0 / (RRF_K + rank)
    return scores


class SearchServicer(search_pb2_grpc.SearchServiceServicer):
    def __init__(self, runtime: Runtime) -> None:
        self.runtime = runtime
        self.access = BaseAccess(runtime)
        self.indexes = Indexes(
            runtime.db,
            runtime.settings.search_exact_limit,
            Snapshots(runtime.settings.data_dir / "search"),
        )
        self.embedder = Embedder(runtime)
        self.schema = schema_pb2_grpc.SchemaServiceStub(runtime.clients.channel("schema"))
        self.records = airtable_gateway_pb2_grpc.AirtableGatewayServiceStub(
            runtime.clients.channel("airtable-gateway")
        )
        _STATES[id(runtime)] = (runtime, SearchState(self.indexes, self.embedder))

    async def Search(self, request: pb.SearchRequest, context: Context) -> pb.SearchResponse:
        k = _check(request)
        caller = identity.caller()
        await self.access.require(caller, request.base_id, READ)
        table = await self._table(request.base_id, request.table) if request.table else None
        table_id = table.id if table is not None else None
        mode = request.mode or pb.SEARCH_MODE_HYBRID
        n = max(50, 4 * k)
        query: np.ndarray | None = None
        semantic: list[int] = []
        similarity: dict[int, float] = {}
        if mode != pb.SEARCH_MODE_KEYWORD:
            query = await self.embedder.query(request.query)
            found = await self.indexes.search(caller.tenant_id, request.base_id, table_id, query, n)
            semantic = [key for key, _ in found]
            similarity = dict(found)
        keyword: list[int] = []
        if mode != pb.SEARCH_MODE_SEMANTIC:
            async with self.runtime.db.read() as session:
                keyword = await storage.keyword_ranking(
                    session, caller.tenant_id, request.base_id, table_id, request.query, n
                )
        scores = fuse([ranking for ranking in (semantic, keyword) if ranking])
        ranked = sorted(scores, key=lambda key: (-scores[key], key))
        async with self.runtime.db.read() as session:
            docs = await storage.documents_by_id(session, caller.tenant_id, request.base_id, ranked)
        ranked = [key for key in ranked if key in docs]
        readable = await self._readable_tables(
            caller, request.base_id, {d.table_id for d in docs.values()}
        )
        ranked = [key for key in ranked if docs[key].table_id in readable]
        if request.filter_by_formula and table is not None:
            ranked = await self._matching(request, table, ranked, docs, k)
        semantic_rank = {key: rank for rank, key in enumerate(semantic, start=1)}
        keyword_rank = {key: rank for rank, key in enumerate(keyword, start=1)}
        hits = []
        for key in ranked[:k]:
            doc = docs[key]
            cosine = similarity.get(key)
            if cosine is None and query is not None:
                cosine = float(as_vector(doc.vector) @ query)
            hits.append(
                pb.SearchHit(
                    record_id=doc.record_id,
                    table_id=doc.table_id,
                    score=scores[key],
                    similarity=cosine or 0.0,
                    semantic_rank=semantic_rank.get(key, 0),
                    keyword_rank=keyword_rank.get(key, 0),
                    text=doc.text[:TEXT_PREVIEW],
                )
            )
        return pb.SearchResponse(hits=hits)

    async def GetIndexStatus(
        self, request: pb.GetIndexStatusRequest, context: Context
    ) -> pb.GetIndexStatusResponse:
        if not request.base_id:
            raise InvalidArgument("base_id is required", fields={"base_id": "required"})
        caller = identity.caller()
        await self.access.require(caller, request.base_id, READ)
        async with self.runtime.db.read() as session:
            indexed, waiting = await storage.counts(session, caller.tenant_id, request.base_id)
        return pb.GetIndexStatusResponse(
            indexed_records=indexed,
            pending_records=waiting,
            model=await self.embedder.model_name(),
        )

    async def _table(self, base_id: str, table: str) -> schema_pb2.Table:
        try:
            answer = await self.schema.GetTable(
                schema_pb2.GetTableRequest(base_id=base_id, table=table)
            )
        except grpc.aio.AioRpcError as err:
            raise translate("schema", err) from None
        return answer.table

    async def _readable_tables(self, caller: Caller, base_id: str, table_ids: set[str]) -> set[str]:
        """The tables of `table_ids` the caller may read (table-level grants may hide some)."""
        ordered = sorted(table_ids)

        async def readable(table_id: str) -> bool:
            try:
                await self.access.require(caller, base_id, READ, table_id)
            except (NotFound, PermissionDenied):
                return False
            return True

        allowed = await asyncio.gather(*(readable(table_id) for table_id in ordered))
        return {table_id for table_id, ok in zip(ordered, allowed, strict=True) if ok}

    async def _matching(
        self,
        request: pb.SearchRequest,
        table: schema_pb2.Table,
        ranked: list[int],
        docs: dict[int, storage.Document],
        k: int,
    ) -> list[int]:
        """The ranked documents whose records match the request's formula, as the caller sees
        them, checked a chunk at a time in rank order until k are found."""
        kept: list[int] = []
        for start in range(0, len(ranked), FILTER_CHUNK):
            chunk = ranked[start : start + FILTER_CHUNK]
            ids = " ,".join(f"RECORD_ID()='{docs[key].record_id}'" for key in chunk)
            formula = f"AND({request.filter_by_formula}, OR({ids}))"
            try:
                answer = await self.records.ListRecords(
                    gw.ListRecordsRequest(
                        base_id=request.base_id,
                        table=table.id,
                        page_size=FILTER_CHUNK,
                        fields=[table.primary_field_id],
                        filter_by_formula=formula,
                    )
                )
            except grpc.aio.AioRpcError as err:
                raise translate("airtable-gateway", err) from None
            matched = {record.id for record in answer.records}
            kept += [key for key in chunk if docs[key].record_id in matched]
            if len(kept) >= k:
                break
        return kept
