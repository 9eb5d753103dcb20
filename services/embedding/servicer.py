"""embedding-service's gRPC surface: check the texts, batch them, answer with the vectors.

The model is described at start from its config files; its weights (and torch) load in the
batcher's worker thread as the host starts, without holding the start up, so the first Embed
doesn't spend its callers' deadlines waiting for them.
"""

from __future__ import annotations

from functools import partial

from pyat.embedding.v1 import embedding_pb2 as pb
from pyat.embedding.v1 import embedding_pb2_grpc

from services.embedding.batcher import Batcher
from services.embedding.model import Embedded, ModelInfo, load
from services.shared.errors import InvalidArgument
from services.shared.runtime import Context, Runtime

MAX_TEXTS = 1024
MAX_TEXT_CHARS = 65_536


def check_texts(texts: list[str]) -> None:
    if not 1 <= len(texts) <= MAX_TEXTS:
        problem = f"must hold 1 to {MAX_TEXTS} texts, not {len(texts)}"
        raise InvalidArgument(f"texts {problem}", fields={"texts": problem})
    for at, text in enumerate(texts):
        if len(text) > MAX_TEXT_CHARS:
            problem = f"must be at most {MAX_TEXT_CHARS} characters, not {len(text)}"
            raise InvalidArgument(f"texts[{at}] {problem}", fields={f"texts[{at}]": problem})


class EmbeddingServicer(embedding_pb2_grpc.EmbeddingServiceServicer):
    def __init__(self, runtime: Runtime) -> None:
        settings = runtime.settings
        self.info = ModelInfo.resolve(settings.embedding_model)
        self.threads = settings.embedding_threads
        self.batcher: Batcher[Embedded] = Batcher(
            self._embed, settings.embedding_max_batch, settings.embedding_max_wait_ms / 1000
        )
        runtime.on_close(self.batcher.close)
        self.batcher.run_soon(partial(load, self.info, self.threads))

    def _embed(self, texts: list[str]) -> list[Embedded]:
        return load(self.info, self.threads).embed(texts)

    async def Embed(self, request: pb.EmbedRequest, context: Context) -> pb.EmbedResponse:
        texts = list(request.texts)
        check_texts(texts)
        embedded = await self.batcher.submit(texts)
        return pb.EmbedResponse(
            embeddings=[
                pb.Embedding(values=item.vector.tolist(), tokens=item.tokens,
                             truncated=item.truncated)
                for item in embedded
            ],
            model=self.info.name,
        )  # fmt: skip

    async def GetModel(self, request: pb.GetModelRequest, context: Context) -> pb.GetModelResponse:
        return pb.GetModelResponse(
            model=self.info.name,
            dimensions=self.info.dimensions,
            max_tokens=self.info.max_tokens,
            max_batch_size=self.batcher.max_batch,
            max_wait_ms=round(self.batcher.max_wait_s * 1000),
        )
