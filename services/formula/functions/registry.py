"""The function table: each function's arity, result kind and implementation."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any
from zoneinfo import ZoneInfo

from services.formula.limits import Budget
from services.formula.values import Value

UTC = ZoneInfo("UTC")
# A kind, or how to work it out from the argument kinds (IF's is its branches').
Kind = str | Callable[[list[str]], str]
# Checks a call's arguments when the formula is bound: each argument's value if it is a
# constant, else UNKNOWN. Raises limits.Refused when the call can never work.
Check = Callable[[Sequence[object]], None]


class _Unknown:
    def __repr__(self) -> str:
        return "UNKNOWN"


# An argument whose value is known only when a record is evaluated.
UNKNOWN: object = _Unknown()


@dataclass(frozen=True)
class Context:
    """What a formula sees besides cells: the record, the clock, and the request's budget."""

    record_id: str = ""
    created_time: dt.datetime | None = None
    last_modified_time: dt.datetime | None = None
    time_zone: ZoneInfo = UTC
    now: dt.datetime = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)
    budget: Budget = field(default_factory=Budget)


@dataclass(frozen=True)
class Function:
    name: str
    min_args: int
    max_args: int | None
    # (context, values) -> value; a lazy function gets thunks instead of values.
    impl: Callable[[Context, list[Any]], Value]
    kind: Kind
    lazy: bool = False
    # Reads the record, the clock or the time zone, so constant arguments do not make a
    # constant value.
    contextual: bool = False
    check: Check | None = None

    def result_kind(self, arg_kinds: list[str]) -> str:
        return self.kind if isinstance(self.kind, str) else self.kind(arg_kinds)


FUNCTIONS: dict[str, Function] = {}


def function(
    name: str,
    min_args: int,
    max_args: int | None,
    kind: Kind,
    *,
    lazy: bool = False,
    contextual: bool = False,
    check: Check | None = None,
) -> Callable[[Callable[[Context, list[Any]], Value]], Callable[[Context, list[Any]], Value]]:
    """Register the decorated implementation as `name`."""

    def register(
        impl: Callable[[Context, list[Any]], Value],
    ) -> Callable[[Context, list[Any]], Value]:
        FUNCTIONS[name] = Function(name, min_args, max_args, impl, kind, lazy, contextual, check)
        return impl

    return register
