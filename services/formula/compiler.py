"""A parsed formula bound to a table: references resolved (formula fields inlined), functions
and arities checked, and each node's kind worked out. Evaluation and SQL both start here.

Binding also works out the parts of the formula that are constant, to find the ones that can
never work (a text over the limit, a regular expression RE2 cannot run): such a formula is
invalid, rather than failing on every record.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache

from services.formula.fields import ANY, BOOLEAN, NUMBER, TEXT, FieldInfo, by_reference
from services.formula.functions import FUNCTIONS, Context, Function
from services.formula.functions.registry import UNKNOWN
from services.formula.limits import Refused
from services.formula.syntax import (
    Binary,
    Call,
    FieldRef,
    FormulaSyntaxError,
    Literal,
    Node,
    Unary,
    parse,
)
from services.formula.values import OPERATORS, FormulaError, Value, to_number


class BindError(FormulaSyntaxError):
    """The formula parses but names a field or function that does not exist, or misuses one."""


@dataclass(frozen=True)
class Bound:
    kind: str


@dataclass(frozen=True)
class Const(Bound):
    value: float | str | bool


@dataclass(frozen=True)
class FieldValue(Bound):
    field: FieldInfo


@dataclass(frozen=True)
class Broken(Bound):
    """A formula field that cannot be computed (a cycle, or its own formula is bad)."""

    why: str


@dataclass(frozen=True)
class Op(Bound):
    op: str  # a binary operator, or "neg" with `right` unused
    left: Bound
    right: Bound | None


@dataclass(frozen=True)
class Apply(Bound):
    function: Function
    args: tuple[Bound, ...]


def _literal_kind(value: float | str | bool) -> str:
    if isinstance(value, bool):
        return BOOLEAN
    return TEXT if isinstance(value, str) else NUMBER


# A node's value when it is the same on every record, else UNKNOWN.
Known = object


class Binder:
    def __init__(self, fields: tuple[FieldInfo, ...]) -> None:
        self.fields = by_reference(list(fields))
        # Formula fields bound once each, however often they are used.
        self.formula_fields: dict[str, Bound] = {}
        # Where constant parts are worked out: no record, UTC, and a budget of its own.
        self.probe = Context()

    def resolve(self, ref: FieldRef) -> FieldInfo:
        field = self.fields.get(ref.name)
        if field is None:
            raise BindError(ref.start, f"unknown field {{{ref.name}}}")
        return field

    def bind(self, node: Node, formula_fields: tuple[str, ...] = ()) -> Bound:
        return self._bind(node, formula_fields)[0]

    def _bind(self, node: Node, formula_fields: tuple[str, ...]) -> tuple[Bound, Known]:
        if isinstance(node, Literal):
            return Const(_literal_kind(node.value), node.value), node.value
        if isinstance(node, FieldRef):
            return self._field(self.resolve(node), formula_fields), UNKNOWN
        if isinstance(node, Unary):
            operand, value = self._bind(node.operand, formula_fields)
            negated = self._constant(node, [value], lambda: -to_number(_value(value)))
            return Op(NUMBER, "neg", operand, None), negated
        if isinstance(node, Binary):
            (left, left_value), (right, right_value) = (
                self._bind(node.left, formula_fields),
                self._bind(node.right, formula_fields),
            )
            kind = {"&": TEXT, "+": NUMBER, "-": NUMBER, "*": NUMBER, "/": NUMBER}
            operate = OPERATORS[node.op]
            value = self._constant(
                node,
                [left_value, right_value],
                lambda: self.probe.budget.made(operate(_value(left_value), _value(right_value))),
            )
            return Op(kind.get(node.op, BOOLEAN), node.op, left, right), value
        assert isinstance(node, Call)
        function = FUNCTIONS.get(node.name)
        if function is None:
            raise BindError(node.start, f"unknown function {node.name}()")
        given, most = len(node.args), function.max_args
        if given < function.min_args or (most is not None and given > most):
            raise BindError(node.start, f"{node.name}() takes {_arity(function)}, got {given}")
        bound = [self._bind(arg, formula_fields) for arg in node.args]
        args, values = tuple(arg for arg, _ in bound), [value for _, value in bound]
        applied = Apply(function.result_kind([arg.kind for arg in args]), function, args)
        if function.check is not None:
            check = function.check
            self._refuse_at(node, lambda: check(values))
        if function.contextual:
            return applied, UNKNOWN
        return applied, self._constant(node, values, lambda: self._call(function, values))

    def _call(self, function: Function, values: list[Known]) -> Value:
        given = [_value(value) for value in values]
        if function.lazy:
            return function.impl(self.probe, [lambda value=value: value for value in given])
        return self.probe.budget.made(function.impl(self.probe, given))

    def _constant(self, node: Node, inputs: list[Known], compute: Callable[[], Value]) -> Known:
        """The node's value when all its inputs are constant; a constant part that is refused
        makes the formula invalid, while one that merely fails is left to each record."""
        if any(value is UNKNOWN for value in inputs):
            return UNKNOWN
        try:
            return self._refuse_at(node, compute)
        except (FormulaError, ArithmeticError, ValueError, RecursionError):
            return UNKNOWN

    def _refuse_at(self, node: Node, compute: Callable[[], Value]) -> Value:
        """`compute()`, with a refusal turned into this node's BindError."""
        try:
            return compute()
        except Refused as err:
            raise BindError(node.start, str(err)) from None

    def _field(self, field: FieldInfo, formula_fields: tuple[str, ...]) -> Bound:
        if field.type != "formula":
            return FieldValue(field.kind, field)
        if field.id in formula_fields:
            return Broken(ANY, f"formula field {field.name!r} is part of a cycle")
        if field.id not in self.formula_fields:
            try:
                bound = self.bind(parse(field.formula), (*formula_fields, field.id))
            except FormulaSyntaxError as err:
                bound = Broken(ANY, f"formula field {field.name!r} is invalid: {err}")
            self.formula_fields[field.id] = bound
        return self.formula_fields[field.id]


def _value(known: Known) -> Value:
    """A constant's value, once it is known not to be UNKNOWN."""
    assert known is not UNKNOWN
    return known  # type: ignore[return-value]


def _arity(function: Function) -> str:
    low, high = function.min_args, function.max_args
    if high is None:
        return f"at least {low} argument{'s' if low != 1 else ''}"
    if low == high:
        return f"{low} argument{'s' if low != 1 else ''}"
    return f"{low} to {high} arguments"


@lru_cache(maxsize=1024)
def bind(formula: str, fields: tuple[FieldInfo, ...]) -> Bound:
    """`formula` parsed and bound to `fields`; cached, since a table's formulas repeat."""
    return Binder(fields).bind(parse(formula))
