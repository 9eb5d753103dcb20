"""Formula text to a syntax tree: tokens and nodes that remember where they came from.

Precedence, lowest first: comparisons, `&`, `+ -`, `* /`, unary minus.
"""

from __future__ import annotations

from dataclasses import dataclass

COMPARISONS = ("=", "!=", "<", ">", "<=", ">=")
# Deeper formulas are refused rather than risk Python's recursion limit while evaluating them.
MAX_DEPTH = 200
TOO_DEEP = f"the formula nests more than {MAX_DEPTH} levels deep"
_ESCAPES = {"n": "\n", "t": "\t", "r": "\r"}
_OPERATORS = ("!=", "<=", ">=", "=", "<", ">", "&", "+", "-", "*", "/", "(", ")", ",")


class FormulaSyntaxError(Exception):
    """The formula does not parse. `position` is the 0-based character offset."""

    def __init__(self, position: int, message: str) -> None:
        super().__init__(f"at position {position}: {message}")
        self.position = position


@dataclass(frozen=True)
class Token:
    kind: str  # "number", "string", "field", "name", "op" or "end"
    text: str  # the value: number text, unescaped string, field name, name or operator
    start: int
    end: int

    def describe(self) -> str:
        if self.kind == "end":
            return "end of formula"
        if self.kind == "string":
            return "a text value"
        return "a field reference" if self.kind == "field" else f"'{self.text}'"


def _quoted(source: str, start: int, close: str) -> tuple[str, int]:
    """The unescaped text from `start` (after the opening quote) to `close`, and the end."""
    out: list[str] = []
    i = start
    while i < len(source):
        char = source[i]
        if char == "\\" and i + 1 < len(source):
            nxt = source[i + 1]
            out.append(_ESCAPES.get(nxt, nxt) if close != "}" else nxt)
            i += 2
        elif char == close:
            return "".join(out), i + 1
        else:
            out.append(char)
            i += 1
    what = "field name" if close == "}" else "string"
    raise FormulaSyntaxError(start - 1, f"this {what} has no closing {close}")


def tokenize(source: str) -> list[Token]:
    tokens: list[Token] = []
    i = 0
    while i < len(source):
        char = source[i]
        if char.isspace():
            i += 1
        elif char in "\"'{":
            text, end = _quoted(source, i + 1, "}" if char == "{" else char)
            tokens.append(Token("field" if char == "{" else "string", text, i, end))
            i = end
        elif char.isdigit() or (char == "." and source[i + 1 : i + 2].isdigit()):
            end = _number_end(source, i)
            tokens.append(Token("number", source[i:end], i, end))
            i = end
        elif char.isalpha() or char == "_":
            end = i
            while end < len(source) and (source[end].isalnum() or source[end] == "_"):
                end += 1
            tokens.append(Token("name", source[i:end], i, end))
            i = end
        else:
            op = next((op for op in _OPERATORS if source.startswith(op, i)), None)
            if op is None:
                raise FormulaSyntaxError(i, f"unexpected character '{char}'")
            tokens.append(Token("op", op, i, i + len(op)))
            i += len(op)
    tokens.append(Token("end", "", len(source), len(source)))
    return tokens


def _number_end(source: str, i: int) -> int:
    end = i
    while end < len(source) and (source[end].isdigit() or source[end] == "."):
        end += 1
    if end < len(source) and source[end] in "eE":
        exp = end + 1
        if exp < len(source) and source[exp] in "+-":
            exp += 1
        if exp < len(source) and source[exp].isdigit():
            end = exp
            while end < len(source) and source[end].isdigit():
                end += 1
    return end


@dataclass(frozen=True)
class Node:
    start: int


@dataclass(frozen=True)
class Literal(Node):
    value: float | str | bool


@dataclass(frozen=True)
class FieldRef(Node):
    end: int
    name: str  # as written: a field name or a field id


@dataclass(frozen=True)
class Call(Node):
    name: str  # upper-cased
    args: tuple[Node, ...]


@dataclass(frozen=True)
class Unary(Node):
    op: str
    operand: Node


@dataclass(frozen=True)
class Binary(Node):
    op: str
    left: Node
    right: Node


class _Parser:
    def __init__(self, source: str) -> None:
        self.tokens = tokenize(source)
        self.at = 0

    @property
    def token(self) -> Token:
        return self.tokens[self.at]

    def take(self) -> Token:
        token = self.tokens[self.at]
        self.at += 1
        return token

    def is_op(self, *ops: str) -> bool:
        return self.token.kind == "op" and self.token.text in ops

    def expect(self, op: str) -> Token:
        if not self.is_op(op):
            self.fail(f"'{op}'")
        return self.take()

    def fail(self, expected: str) -> None:
        token = self.token
        raise FormulaSyntaxError(token.start, f"expected {expected} but found {token.describe()}")

    def binary(self, level: int) -> Node:
        levels: tuple[tuple[str, ...], ...] = (COMPARISONS, ("&",), ("+", "-"), ("*", "/"))
        if level == len(levels):
            return self.unary()
        node = self.binary(level + 1)
        while self.is_op(*levels[level]):
            op = self.take().text
            node = Binary(node.start, op, node, self.binary(level + 1))
        return node

    def unary(self) -> Node:
        if self.is_op("-", "+"):
            token = self.take()
            operand = self.unary()
            return operand if token.text == "+" else Unary(token.start, "-", operand)
        return self.primary()

    def primary(self) -> Node:
        token = self.token
        if token.kind == "number":
            self.take()
            try:
                return Literal(token.start, float(token.text))
            except ValueError:
                raise FormulaSyntaxError(token.start, f"'{token.text}' is not a number") from None
        if token.kind == "string":
            self.take()
            return Literal(token.start, token.text)
        if token.kind == "field":
            self.take()
            return FieldRef(token.start, token.end, token.text)
        if token.kind == "name":
            self.take()
            if self.is_op("("):
                return Call(token.start, token.text.upper(), self.arguments())
            if token.text.upper() in ("TRUE", "FALSE"):
                return Literal(token.start, token.text.upper() == "TRUE")
            return FieldRef(token.start, token.end, token.text)
        if self.is_op("("):
            self.take()
            node = self.binary(0)
            self.expect(")")
            return node
        self.fail("a value, a field or a function")
        raise AssertionError  # fail() raises

    def arguments(self) -> tuple[Node, ...]:
        self.expect("(")
        args: list[Node] = []
        if self.is_op(")"):
            self.take()
            return ()
        while True:
            args.append(self.binary(0))
            if self.is_op(","):
                self.take()
                continue
            if not self.is_op(")"):
                self.fail("',' or ')'")
            self.take()
            return tuple(args)


def parse(source: str) -> Node:
    """The syntax tree of `source`, or FormulaSyntaxError saying where and what was expected."""
    parser = _Parser(source)
    if parser.token.kind == "end":
        raise FormulaSyntaxError(0, "expected a formula but found end of formula")
    try:
        node = parser.binary(0)
    except RecursionError:
        raise FormulaSyntaxError(0, TOO_DEEP) from None
    if parser.token.kind != "end":
        parser.fail("an operator or end of formula")
    if _depth(node) > MAX_DEPTH:
        raise FormulaSyntaxError(0, TOO_DEEP)
    return node


def _children(node: Node) -> tuple[Node, ...]:
    if isinstance(node, Call):
        return node.args
    if isinstance(node, Unary):
        return (node.operand,)
    if isinstance(node, Binary):
        return (node.left, node.right)
    return ()


def _depth(root: Node) -> int:
    deepest, stack = 0, [(root, 1)]
    while stack:
        node, depth = stack.pop()
        deepest = max(deepest, depth)
        stack.extend((child, depth + 1) for child in _children(node))
    return deepest


def field_refs(node: Node) -> list[FieldRef]:
    """Every field reference in `node`, in the order written."""
    if isinstance(node, FieldRef):
        return [node]
    return [ref for child in _children(node) for ref in field_refs(child)]
