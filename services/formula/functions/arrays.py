"""Array functions, for lookups, rollups, links and multiple selects."""

from __future__ import annotations

from typing import Any

from services.formula.fields import ARRAY, TEXT
from services.formula.functions.registry import Context, function
from services.formula.limits import text_size
from services.formula.values import Value, flatten, to_number, to_text


def items(value: Value) -> list[Value]:
    """An argument as an array: a single value is an array of one, a blank of none."""
    if isinstance(value, list):
        return value
    return [] if value is None else [value]


@function("ARRAYJOIN", 1, 2, TEXT)
def arrayjoin(ctx: Context, args: list[Any]) -> Value:
    separator = to_text(args[1]) if len(args) > 1 else ", "
    texts = [to_text(item) for item in flatten(items(args[0]))]
    text_size(sum(map(len, texts)) + len(separator) * max(len(texts) - 1, 0), "ARRAYJOIN()")
    return separator.join(texts)


@function("ARRAYUNIQUE", 1, 1, ARRAY)
def arrayunique(ctx: Context, args: list[Any]) -> Value:
    # Equal values hash alike (TRUE and 1 too), so this keeps the first of each, in one pass.
    return list(dict.fromkeys(flatten(items(args[0]))))


@function("ARRAYCOMPACT", 1, 1, ARRAY)
def arraycompact(ctx: Context, args: list[Any]) -> Value:
    """Drops blanks and empty text; keeps false and text made of spaces."""
    return [item for item in items(args[0]) if item is not None and item != ""]


@function("ARRAYFLATTEN", 1, 1, ARRAY)
def arrayflatten(ctx: Context, args: list[Any]) -> Value:
    return flatten(items(args[0]))


@function("ARRAYSLICE", 2, 3, ARRAY)
def arrayslice(ctx: Context, args: list[Any]) -> Value:
    """Items `start` to `end`, both 1-based and inclusive; negative counts from the end."""
    values = items(args[0])
    start = int(to_number(args[1]))
    begin = start - 1 if start > 0 else max(len(values) + start, 0)
    if len(args) < 3:
        return values[begin:]
    end = int(to_number(args[2]))
    stop = end if end > 0 else len(values) + end + 1
    return values[begin:stop]
