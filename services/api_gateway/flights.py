"""One call per key in flight: callers that ask for the same key meanwhile share its answer.

A burst from one client would otherwise ask auth-service (or tenant-service) the same thing
once per request at the same moment.
"""

from __future__ import annotations

import asyncio
import contextvars
from collections.abc import Callable, Coroutine
from typing import Any, Generic, TypeVar

T = TypeVar("T")


class Flights(Generic[T]):
    def __init__(self) -> None:
        self._pending: dict[str, asyncio.Task[T]] = {}

    async def share(self, key: str, call: Callable[[], Coroutine[Any, Any, T]]) -> T:
        task = self._pending.get(key)
        if task is None:
            # A context of its own: the shared call must not end at the first caller's
            # deadline (the others may have longer), nor act as that caller.
            task = asyncio.create_task(call(), context=contextvars.Context())
            self._pending[key] = task
            task.add_done_callback(lambda done: self._landed(key, done))
        # Shielded: one caller giving up must not cancel the answer the others wait for.
        return await asyncio.shield(task)

    def _landed(self, key: str, task: asyncio.Task[T]) -> None:
        self._pending.pop(key, None)
        if not task.cancelled():
            task.exception()  # seen, even when every caller has gone
