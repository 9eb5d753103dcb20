"""The batcher on its own, with a plain function for a model: merging, splitting, failures and
callers that give up."""

from __future__ import annotations

import asyncio
import threading

import pytest

from services.embedding.batcher import Batcher
from services.shared.errors import Unavailable


class Recorder:
    """A model stand-in that upper-cases texts, remembers each pass, and fails on "boom"."""

    def __init__(self) -> None:
        self.passes: list[list[str]] = []
        self.started = threading.Event()
        self.release = threading.Event()
        self.release.set()

    def __call__(self, texts: list[str]) -> list[str]:
        self.started.set()
        assert self.release.wait(10), "the test never released the pass"
        self.passes.append(texts)
        if "boom" in texts:
            raise RuntimeError("the model broke")
        return [text.upper() for text in texts]


async def test_a_long_call_is_split_into_full_passes() -> None:
    run = Recorder()
    batcher = Batcher(run, max_batch=4, max_wait_s=0.005)
    texts = [f"t{at}" for at in range(10)]
    assert await batcher.submit(texts) == [t.upper() for t in texts]
    assert [len(p) for p in run.passes] == [4, 4, 2]
    await batcher.close()


async def test_calls_that_arrive_together_share_a_pass() -> None:
    run = Recorder()
    batcher = Batcher(run, max_batch=64, max_wait_s=0.05)
    answers = await asyncio.gather(*(batcher.submit([f"t{at}"]) for at in range(8)))
    assert answers == [[f"T{at}"] for at in range(8)]
    assert len(run.passes) < 8
    await batcher.close()


async def test_a_failed_pass_fails_only_its_calls() -> None:
    run = Recorder()
    batcher = Batcher(run, max_batch=2, max_wait_s=0.05)
    run.release.clear()  # hold the first pass so the next calls queue behind it
    first = asyncio.ensure_future(batcher.submit(["a", "boom"]))
    assert await asyncio.to_thread(run.started.wait, 10)
    later = asyncio.ensure_future(batcher.submit(["c"]))
    run.release.set()
    with pytest.raises(Unavailable):
        await first
    assert await later == ["C"]
    await batcher.close()


async def test_a_caller_that_gives_up_leaves_the_batcher_working() -> None:
    run = Recorder()
    batcher = Batcher(run, max_batch=2, max_wait_s=0.0)
    run.release.clear()
    gone = asyncio.ensure_future(batcher.submit(["x1", "x2", "x3", "x4", "x5", "x6"]))
    assert await asyncio.to_thread(run.started.wait, 10)
    gone.cancel()
    run.release.set()
    assert await batcher.submit(["after"]) == ["AFTER"]
    # Its texts still queued were dropped: only its first pass ran.
    assert [p for p in run.passes if p[0].startswith("x")] == [["x1", "x2"]]
    await batcher.close()
