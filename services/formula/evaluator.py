"""Bound formulas as Python closures, and their values as Airtable's API shows them."""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from services.formula.compiler import Apply, Bound, Broken, Const, FieldValue, Op
from services.formula.fields import FieldInfo, cell_value
from services.formula.functions import Context
from services.formula.values import (
    ERROR_TEXT,
    FormulaError,
    Value,
    compare,
    iso,
    to_number,
    to_text,
)


@dataclass(frozen=True, slots=True)
class Env:
    ctx: Context
    cells: Mapping[str, Any]


Compiled = Callable[[Env], Value]


def _divide(left: float, right: float) -> float:
    if right == 0:
        raise FormulaError("division by zero")
    return left / right


_ARITHMETIC: dict[str, Callable[[float, float], float]] = {
    "+": lambda a, b: a + b,
    "-": lambda a, b: a - b,
    "*": lambda a, b: a * b,
    "/": _divide,
}


def _field(field: FieldInfo) -> Compiled:
    if field.source == "createdTime":
        return lambda env: env.ctx.created_time
    if field.source == "lastModifiedTime":
        return lambda env: env.ctx.last_modified_time
    key = field.key
    return lambda env: cell_value(field, env.cells.get(key))


def _op(node: Op) -> Compiled:
    left = compile_bound(node.left)
    if node.right is None:
        return lambda env: -to_number(left(env))
    right = compile_bound(node.right)
    if node.op == "&":
        return lambda env: to_text(left(env)) + to_text(right(env))
    arithmetic = _ARITHMETIC.get(node.op)
    if arithmetic is not None:
        return lambda env: arithmetic(to_number(left(env)), to_number(right(env)))
    op = node.op
    return lambda env: compare(op, left(env), right(env))


def _apply(node: Apply) -> Compiled:
    args = [compile_bound(arg) for arg in node.args]
    impl = node.function.impl
    if node.function.lazy:
        return lambda env: impl(env.ctx, [lambda arg=arg: arg(env) for arg in args])
    return lambda env: impl(env.ctx, [arg(env) for arg in args])


def _broken(node: Broken) -> Compiled:
    def fail(env: Env) -> Value:
        raise FormulaError(node.why)

    return fail


def compile_bound(node: Bound) -> Compiled:
    """A closure computing `node` on one record; raises FormulaError when the formula fails."""
    if isinstance(node, Const):
        value = node.value
        return lambda env: value
    if isinstance(node, FieldValue):
        return _field(node.field)
    if isinstance(node, Op):
        return _op(node)
    if isinstance(node, Apply):
        return _apply(node)
    assert isinstance(node, Broken)
    return _broken(node)


def shown(value: Value) -> Any:
    """A value as Airtable's API shows it: TRUE is 1, dates are ISO text in UTC."""
    if isinstance(value, bool):
        return 1 if value else 0
    if isinstance(value, float):
        if math.isnan(value):
            return {"specialValue": "NaN"}
        if math.isinf(value):
            return {"specialValue": "Infinity" if value > 0 else "-Infinity"}
        return value
    if isinstance(value, dt.datetime):
        return iso(value)
    if isinstance(value, list):
        return [shown(item) for item in value]
    return value


def evaluate(compiled: Compiled, env: Env) -> Any:
    """The shown value of a compiled formula on one record; {"error": "#ERROR!"} if it fails."""
    try:
        return shown(compiled(env))
    except (FormulaError, ArithmeticError, ValueError, RecursionError):
        return {"error": ERROR_TEXT}
