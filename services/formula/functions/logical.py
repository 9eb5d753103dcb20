"""Logical functions. IF, SWITCH and ISERROR are lazy: they get thunks, not values."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from services.formula.fields import ANY, BLANK, BOOLEAN
from services.formula.functions.registry import Context, function
from services.formula.values import FormulaError, Value, compare, flatten, truthy


def unify(kinds: list[str]) -> str:
    """The kind of a value that may be any of `kinds` (a blank fits any kind)."""
    known = {kind for kind in kinds if kind != BLANK}
    if len(known) == 1:
        return known.pop()
    return BLANK if not known else ANY


Thunk = Callable[[], Value]


@function("IF", 2, 3, lambda kinds: unify(kinds[1:]), lazy=True)
def if_(ctx: Context, args: list[Thunk]) -> Value:
    if truthy(args[0]()):
        return args[1]()
    return args[2]() if len(args) > 2 else None


def switch_results(kinds: list[str]) -> list[str]:
    """The kinds SWITCH may return: every result and the default."""
    rest = kinds[1:]
    return rest[1::2] + ([rest[-1]] if len(rest) % 2 else [])


@function("SWITCH", 2, None, lambda kinds: unify(switch_results(kinds)), lazy=True)
def switch(ctx: Context, args: list[Thunk]) -> Value:
    subject, rest = args[0](), args[1:]
    for at in range(0, len(rest) - 1, 2):
        if compare("=", subject, rest[at]()):
            return rest[at + 1]()
    return rest[-1]() if len(rest) % 2 else None


@function("ISERROR", 1, 1, BOOLEAN, lazy=True)
def iserror(ctx: Context, args: list[Thunk]) -> Value:
    try:
        args[0]()
    except FormulaError:
        return True
    return False


@function("AND", 1, None, BOOLEAN)
def and_(ctx: Context, args: list[Any]) -> Value:
    return all(truthy(value) for value in flatten(args))


@function("OR", 1, None, BOOLEAN)
def or_(ctx: Context, args: list[Any]) -> Value:
    return any(truthy(value) for value in flatten(args))


@function("XOR", 1, None, BOOLEAN)
def xor(ctx: Context, args: list[Any]) -> Value:
    return sum(truthy(value) for value in flatten(args)) % 2 == 1


@function("NOT", 1, 1, BOOLEAN)
def not_(ctx: Context, args: list[Any]) -> Value:
    return not truthy(args[0])


@function("BLANK", 0, 0, BLANK)
def blank(ctx: Context, args: list[Any]) -> Value:
    return None


@function("ERROR", 0, 1, ANY)
def error(ctx: Context, args: list[Any]) -> Value:
    raise FormulaError("ERROR()")


@function("TRUE", 0, 0, BOOLEAN)
def true(ctx: Context, args: list[Any]) -> Value:
    return True


@function("FALSE", 0, 0, BOOLEAN)
def false(ctx: Context, args: list[Any]) -> Value:
    return False
