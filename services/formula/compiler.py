"""A parsed formula bound to a table: references resolved (formula fields inlined), functions
and arities checked, and each node's kind worked out. Evaluation and SQL both start here."""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

from services.formula.fields import ANY, BOOLEAN, NUMBER, TEXT, FieldInfo, by_reference
from services.formula.functions import FUNCTIONS, Function
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


class Binder:
    def __init__(self, fields: tuple[FieldInfo, ...]) -> None:
        self.fields = by_reference(list(fields))
        # Formula fields bound once each, however often they are used.
        self.formula_fields: dict[str, Bound] = {}

    def resolve(self, ref: FieldRef) -> FieldInfo:
        field = self.fields.get(ref.name)
        if field is None:
            raise BindError(ref.start, f"unknown field {{{ref.name}}}")
        return field

    def bind(self, node: Node, formula_fields: tuple[str, ...] = ()) -> Bound:
        if isinstance(node, Literal):
            return Const(_literal_kind(node.value), node.value)
        if isinstance(node, FieldRef):
            return self._field(self.resolve(node), formula_fields)
        if isinstance(node, Unary):
            return Op(NUMBER, "neg", self.bind(node.operand, formula_fields), None)
        if isinstance(node, Binary):
            left, right = (
                self.bind(node.left, formula_fields),
                self.bind(node.right, formula_fields),
            )
            kind = {"&": TEXT, "+": NUMBER, "-": NUMBER, "*": NUMBER, "/": NUMBER}
            return Op(kind.get(node.op, BOOLEAN), node.op, left, right)
        assert isinstance(node, Call)
        function = FUNCTIONS.get(node.name)
        if function is None:
            raise BindError(node.start, f"unknown function {node.name}()")
        given, most = len(node.args), function.max_args
        if given < function.min_args or (most is not None and given > most):
            raise BindError(node.start, f"{node.name}() takes {_arity(function)}, got {given}")
        args = tuple(self.bind(arg, formula_fields) for arg in node.args)
        return Apply(function.result_kind([arg.kind for arg in args]), function, args)

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
