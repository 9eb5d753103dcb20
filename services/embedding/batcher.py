"""Dynamic batching: texts of concurrent calls share one forward pass, run off the event loop.

Each call queues its texts; one loop takes up to `max_batch` of them per pass, waiting at most
`max_wait_s` after the oldest queued text arrived for others to join. Passes run one at a time
in a single worker thread, so the event loop keeps answering health checks and other calls.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections import deque
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Generic, TypeVar

from prometheus_client import Gauge, Histogram

from services.shared.errors import Unavailable

T = TypeVar("T")
log = logging.getLogger(__name__)

BATCH_TEXTS = Histogram(
    "pyat_embedding_batch_texts",
    "Texts in one forward pass of embedding-service.",
    buckets=(1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024),
)
PASS_SECONDS = Histogram(
    "pyat_embedding_pass_seconds",
    "Time one forward pass of embedding-service took, tokenizing included.",
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0),
)
IN_FLIGHT = Gauge(
    "pyat_embedding_texts_in_flight", "Texts in the forward pass embedding-service is running."
)


@dataclass
class _Call(Generic[T]):
    """One caller's texts, the results filled in as passes finish, and what it awaits."""

    texts: list[str]
    future: asyncio.Future[list[T]]
    arrived: float
    results: list[T | None] = field(default_factory=list)
    queued: int = 0  # texts not yet taken into a pass
    pending: int = 0  # texts taken or queued whose results are not in yet

    def __post_init__(self) -> None:
        self.results = [None] * len(self.texts)
        self.pending = len(self.texts)


class Batcher(Generic[T]):
    """Runs `run(texts) -> one result per text` over merged batches of concurrent calls."""

    def __init__(self, run: Callable[[list[str]], list[T]], max_batch: int, max_wait_s: float):
        self._run = run
        self.max_batch = max(1, max_batch)
        self.max_wait_s = max(0.0, max_wait_s)
        self._queue: deque[_Call[T]] = deque()
        self._queued_texts = 0
        self._arrived = asyncio.Event()
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="embedding")
        self._loop_task: asyncio.Task[None] | None = None
        self._in_pass: list[_Call[T]] = []

    def run_soon(self, work: Callable[[], object]) -> None:
        """Run `work` in the pass thread ahead of any pass (loading the model, say); its
        failure is logged, and the passes that need what it did fail on their own."""

        def logged(done: asyncio.Future[object]) -> None:
            if not done.cancelled() and done.exception() is not None:
                log.error("embedding-service's warm-up failed", exc_info=done.exception())

        future = asyncio.get_running_loop().run_in_executor(self._executor, work)
        future.add_done_callback(logged)

    async def submit(self, texts: list[str]) -> list[T]:
        """Every text's result, in order. A call longer than a pass is spread over several."""
        if not texts:
            return []
        if self._loop_task is None:
            self._loop_task = asyncio.create_task(self._passes(), name="embedding-batcher")
        loop = asyncio.get_running_loop()
        call: _Call[T] = _Call(texts, loop.create_future(), time.monotonic())
        call.queued = len(texts)
        self._queue.append(call)
        self._queued_texts += len(texts)
        self._arrived.set()
        # A cancelled caller cancels its future; the loop then drops its texts still queued.
        return await call.future

    async def close(self) -> None:
        if self._loop_task is not None:
            self._loop_task.cancel()
            await asyncio.gather(self._loop_task, return_exceptions=True)
        for call in [*self._in_pass, *self._queue]:
            if not call.future.done():
                call.future.set_exception(Unavailable("embedding-service is stopping"))
        self._executor.shutdown(wait=False, cancel_futures=True)

    async def _passes(self) -> None:
        loop = asyncio.get_running_loop()
        while True:
            self._drop_finished()
            if not self._queue:
                self._arrived.clear()
                await self._arrived.wait()
                continue
            await self._wait_for_company()
            taken = self._take()
            if not taken:
                continue
            texts = [call.texts[at] for call, at in taken]
            self._in_pass = [call for call, _ in taken]
            started = time.monotonic()
            IN_FLIGHT.inc(len(texts))
            try:
                results = await loop.run_in_executor(self._executor, self._run, texts)
                if len(results) != len(texts):
                    raise RuntimeError(f"{len(results)} results for {len(texts)} texts")
            except Exception:
                log.exception("embedding pass of %d texts failed", len(texts))
                for call, _ in taken:
                    if not call.future.done():
                        call.future.set_exception(Unavailable("the embedding pass failed"))
                continue
            finally:
                IN_FLIGHT.dec(len(texts))
                BATCH_TEXTS.observe(len(texts))
                PASS_SECONDS.observe(time.monotonic() - started)
            for (call, at), result in zip(taken, results, strict=True):
                call.results[at] = result
                call.pending -= 1
                if call.pending == 0 and not call.future.done():
                    call.future.set_result([r for r in call.results if r is not None])

    async def _wait_for_company(self) -> None:
        """Until a pass is full or the oldest queued text has waited `max_wait_s`."""
        deadline = self._queue[0].arrived + self.max_wait_s
        while self._queued_texts < self.max_batch:
            left = deadline - time.monotonic()
            if left <= 0:
                return
            self._arrived.clear()
            try:
                await asyncio.wait_for(self._arrived.wait(), left)
            except TimeoutError:
                return

    def _take(self) -> list[tuple[_Call[T], int]]:
        """Up to `max_batch` queued texts, oldest calls first, as (call, index) pairs."""
        taken: list[tuple[_Call[T], int]] = []
        while self._queue and len(taken) < self.max_batch:
            call = self._queue[0]
            if call.future.done():  # cancelled, or failed in an earlier pass
                self._queue.popleft()
                self._queued_texts -= call.queued
                continue
            start = len(call.texts) - call.queued
            count = min(call.queued, self.max_batch - len(taken))
            taken.extend((call, at) for at in range(start, start + count))
            call.queued -= count
            self._queued_texts -= count
            if call.queued == 0:
                self._queue.popleft()
        return taken

    def _drop_finished(self) -> None:
        while self._queue and self._queue[0].future.done():
            self._queued_texts -= self._queue.popleft().queued
