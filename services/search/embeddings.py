"""Vectors from embedding-service: texts of records in batches, queries one at a time with a
small cache of recent ones (the same query is often asked again, page after page)."""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Sequence

import grpc
import numpy as np
from pyat.embedding.v1 import embedding_pb2, embedding_pb2_grpc

from services.search.index import DIMENSIONS
from services.shared.clients import translate
from services.shared.errors import Unavailable
from services.shared.runtime import Runtime

QUERY_CACHE_SIZE = 1024
# Embed takes at most this many texts per call.
MAX_TEXTS = 1024
EMBED_TIMEOUT_S = 30.0


class Embedder:
    def __init__(self, runtime: Runtime) -> None:
        self._stub = embedding_pb2_grpc.EmbeddingServiceStub(runtime.clients.channel("embedding"))
        self._queries: OrderedDict[str, np.ndarray] = OrderedDict()
        self.model = ""
        # A caller's own deadline still bounds a query's; the indexer's batches may wait out
        # the model's first load.
        self._timeout_s = EMBED_TIMEOUT_S

    async def texts(self, texts: Sequence[str]) -> np.ndarray:
        """One unit-length float32 vector per text, as rows, in order."""
        rows: list[np.ndarray] = []
        for start in range(0, len(texts), MAX_TEXTS):
            chunk = list(texts[start : start + MAX_TEXTS])
            try:
                answer = await self._stub.Embed(
                    embedding_pb2.EmbedRequest(texts=chunk), timeout=self._timeout_s
                )
            except grpc.aio.AioRpcError as err:
                raise translate("embedding", err) from None
            if len(answer.embeddings) != len(chunk):
                raise Unavailable("embedding-service answered the wrong number of vectors")
            self.model = answer.model
            for embedding in answer.embeddings:
                vector = np.asarray(embedding.values, dtype=np.float32)
                if vector.shape != (DIMENSIONS,):
                    raise Unavailable(f"embedding-service gave {vector.shape[0]} dimensions")
                rows.append(vector)
        if not rows:
            return np.zeros((0, DIMENSIONS), dtype=np.float32)
        return np.stack(rows)

    async def query(self, text: str) -> np.ndarray:
        found = self._queries.get(text)
        if found is not None:
            self._queries.move_to_end(text)
            return found
        vector: np.ndarray = (await self.texts([text]))[0]
        self._queries[text] = vector
        if len(self._queries) > QUERY_CACHE_SIZE:
            self._queries.popitem(last=False)
        return vector

    async def model_name(self) -> str:
        if not self.model:
            try:
                answer = await self._stub.GetModel(embedding_pb2.GetModelRequest())
            except grpc.aio.AioRpcError as err:
                raise translate("embedding", err) from None
            self.model = answer.model
        return self.model
