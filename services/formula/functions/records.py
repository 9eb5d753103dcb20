"""Record functions: the record's id and times."""

from __future__ import annotations

from functools import partial
from typing import Any

from services.formula.fields import DATE, TEXT
from services.formula.functions import registry
from services.formula.functions.registry import Context
from services.formula.values import Value

# Each record has its own id and times.
function = partial(registry.function, contextual=True)


@function("RECORD_ID", 0, 0, TEXT)
def record_id(ctx: Context, args: list[Any]) -> Value:
    return ctx.record_id or None


@function("CREATED_TIME", 0, 0, DATE)
def created_time(ctx: Context, args: list[Any]) -> Value:
    return ctx.created_time


@function("LAST_MODIFIED_TIME", 0, None, DATE)
def last_modified_time(ctx: Context, args: list[Any]) -> Value:
    """The record's last change. Records keep one time, so naming fields does not narrow it."""
    return ctx.last_modified_time
