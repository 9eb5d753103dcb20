"""The function table: each function's arity, result kind and implementation."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo

from services.formula.values import Value

UTC = ZoneInfo("UTC")
# A kind, or how to work it out from the argument kinds (IF's is its branches').
Kind = str | Callable[[list[str]], str]


@dataclass(frozen=True)
class Context:
    """What a formula sees besides cells: the record and the clock."""

    record_id: str = ""
    created_time: dt.datetime | None = None
    last_modified_time: dt.datetime | None = None
    time_zone: ZoneInfo = UTC
    now: dt.datetime = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)


@dataclass(frozen=True)
class Function:
    name: str
    min_args: int
    max_args: int | None
    # (context, values) -> value; a lazy function gets thunks instead of values.
    impl: Callable[[Context, list[Any]], Value]
    kind: Kind
    lazy: bool = False

    def result_kind(self, arg_kinds: list[str]) -> str:
        return self.kind if isinstance(self.kind, str) else self.kind(arg_kinds)


FUNCTIONS: dict[str, Function] = {}


def function(
    name: str, min_args: int, max_args: int | None, kind: Kind, *, lazy: bool = False
) -> Callable[[Callable[[Context, list[Any]], Value]], Callable[[Context, list[Any]], Value]]:
    """Register the decorated implementation as `name`."""

    def register(
        impl: Callable[[Context, list[Any]], Value],
    ) -> Callable[[Context, list[Any]], Value]:
        FUNCTIONS[name] = Function(name, min_args, max_args, impl, kind, lazy)
        return impl

    return register
