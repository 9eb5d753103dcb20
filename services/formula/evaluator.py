"""Bound formulas as Python closures, and their values as Airtable's API shows them.

Every step of a closure checks the request's time budget, and every text a step makes is
counted against the limits on text (see limits.py).
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from services.formula.compiler import Apply, Bound, Broken, Const, FieldValue, Op
from services.formula.fields import FieldInfo, cell_value
from services.formula.functions import Context
from services.formula.values import ERROR_TEXT, OPERATORS, FormulaError, Value, iso, to_number


@dataclass(frozen=True, slots=True)
class Env:
    ctx: Context
    cells: Mapping[str, Any]


Compiled = Callable[[Env], Value]


def _field(field: FieldInfo) -> Compiled:
    if field.source == "createdTime":
        return lambda env: env.ctx.created_time
    if field.source == "lastModifiedTime":
        return lambda env: env.ctx.last_modified_time
    key = field.key
    return lambda env: cell_value(field, env.cells.get(key))


def _op(node: Op, left: Compiled, right: Compiled | None) -> Compiled:
    if right is None:

        def negate(env: Env) -> Value:
            env.ctx.budget.tick()
            return -to_number(left(env))

        return negate
    operate = OPERATORS[node.op]

    def binary(env: Env) -> Value:
        budget = env.ctx.budget
        budget.tick()
        return budget.made(operate(left(env), right(env)))

    return binary


def _apply(node: Apply, args: list[Compiled]) -> Compiled:
    impl = node.function.impl
    if node.function.lazy:
        # IF, SWITCH and ISERROR give back what an argument made: nothing new to count.
        def lazy(env: Env) -> Value:
            env.ctx.budget.tick()
            return impl(env.ctx, [lambda arg=arg: arg(env) for arg in args])

        return lazy

    def eager(env: Env) -> Value:
        budget = env.ctx.budget
        budget.tick()
        return budget.made(impl(env.ctx, [arg(env) for arg in args]))

    return eager


def _broken(node: Broken) -> Compiled:
    def fail(env: Env) -> Value:
        raise FormulaError(node.why)

    return fail


def compile_bound(root: Bound) -> Compiled:
    """A closure computing `root` on one record; raises FormulaError when the formula fails.

    A formula field used several times is one node used several times: it is compiled once,
    so that compiling stays linear in the formula however deeply fields build on each other.
    """
    compiled: dict[int, tuple[Bound, Compiled]] = {}

    def build(node: Bound) -> Compiled:
        if id(node) not in compiled:
            # The node is kept with its closure, so that its id stays its own.
            compiled[id(node)] = (node, make(node))
        return compiled[id(node)][1]

    def make(node: Bound) -> Compiled:
        if isinstance(node, Const):
            value = node.value
            return lambda env: value
        if isinstance(node, FieldValue):
            return _field(node.field)
        if isinstance(node, Op):
            return _op(node, build(node.left), None if node.right is None else build(node.right))
        if isinstance(node, Apply):
            return _apply(node, [build(arg) for arg in node.args])
        assert isinstance(node, Broken)
        return _broken(node)

    return build(root)


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
    """The shown value of a compiled formula on one record; {"error": "#ERROR!"} if it fails.
    limits.OverBudget is not a formula failure: it ends the request."""
    try:
        return shown(compiled(env))
    except (FormulaError, ArithmeticError, ValueError, RecursionError):
        return {"error": ERROR_TEXT}
