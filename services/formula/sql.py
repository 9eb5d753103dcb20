"""Bound formulas as SQL over the record table, for the part of the language where SQL gives
exactly the value evaluation gives. Anything else is Untranslatable, and the caller evaluates.

Every SQL piece knows its kind and whether it may be NULL (a blank); consumers coalesce blanks
to 0 or "" just as evaluation does. Constants are always bind parameters.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeGuard
from zoneinfo import ZoneInfo

from services.formula.compiler import Apply, Bound, Broken, Const, FieldValue, Op
from services.formula.fields import BLANK, BOOLEAN, DATE, NUMBER, TEXT, FieldInfo
from services.formula.functions import Context
from services.formula.functions.dates import to_date
from services.formula.sql_dialects import Dialect
from services.formula.syntax import COMPARISONS
from services.formula.values import FormulaError, compare, iso, parse_iso_date

# How SQL for one function call is made (see sql_functions.py).
Rule = Callable[["Translator", Apply], "Sql"]
# Characters of SQL for one formula: past this (formula fields inlined many times over), the
# formula is left to Python.
MAX_SQL = 50_000
# Characters of SQL that building one translation may copy (every node's SQL each time a node
# above uses it), so that a formula field used over and over cannot make it blow up.
MAX_SQL_BUILT = 10_000_000
_SAFE_KEY = re.compile(r"^[A-Za-z0-9]+$")
_NUMERIC = (NUMBER, BOOLEAN, BLANK)
_FLIPPED = {"<": ">", ">": "<", "<=": ">=", ">=": "<="}
_TEXTUAL = (TEXT, BLANK)


def _is_text(node: Bound) -> TypeGuard[Const]:
    return isinstance(node, Const) and isinstance(node.value, str)


class Untranslatable(Exception):
    """The formula needs evaluation in Python; the message says what SQL cannot do."""


@dataclass(frozen=True)
class Sql:
    text: str
    kind: str
    nullable: bool = False


@dataclass(frozen=True)
class Translation:
    sql: str
    condition: str
    params: dict[str, Any]


class Translator:
    def __init__(self, dialect: Dialect, time_zone: ZoneInfo, rules: dict[str, Rule]) -> None:
        self.d = dialect
        self.rules = rules
        self.ctx = Context(time_zone=time_zone)
        self.params: dict[str, Any] = {}
        self.memo: dict[int, tuple[Bound, Sql]] = {}
        self.built = 0

    def translation(self, node: Bound) -> Translation:
        top = self.sql(node)
        translation = Translation(self.value(top), self.condition(top), self.params)
        if len(translation.sql) + len(translation.condition) > MAX_SQL:
            raise Untranslatable("the SQL would be too long")
        return translation

    # Parameters and coercions.

    def param(self, value: float | str) -> str:
        name = f"fp{len(self.params)}"
        self.params[name] = value
        return self.d.number_param(name) if isinstance(value, float) else self.d.text_param(name)

    def date_param(self, stamp: dt.datetime) -> str:
        name = f"fp{len(self.params)}"
        self.params[name] = iso(stamp)
        return self.d.date_param(name)

    def boolean(self, value: bool) -> str:
        return self.d.true if value else self.d.false

    def number(self, part: Sql) -> str:
        """`part` in arithmetic: a blank is 0 and TRUE is 1."""
        if part.kind == BLANK:
            return self.d.zero
        if part.kind == BOOLEAN:
            return self.d.boolean_number(self.condition(part))
        if part.kind != NUMBER:
            raise Untranslatable(f"a {part.kind} value used as a number")
        return f"COALESCE({part.text}, {self.d.zero})" if part.nullable else part.text

    def string(self, part: Sql) -> str:
        """`part` as text: a blank is ""."""
        if part.kind == BLANK:
            return "''"
        if part.kind != TEXT:
            raise Untranslatable(f"a {part.kind} value used as text")
        return f"COALESCE({part.text}, '')" if part.nullable else part.text

    def condition(self, part: Sql) -> str:
        """True exactly where `part` is truthy."""
        if part.kind == NUMBER:
            return f"({self.number(part)} <> 0)"
        if part.kind == TEXT:
            return f"({self.string(part)} <> '')"
        if part.kind == BOOLEAN:
            return f"COALESCE({part.text}, {self.d.false})" if part.nullable else part.text
        if part.kind == DATE:
            return f"({part.text} IS NOT NULL)"
        if part.kind == BLANK:
            return "(1 = 0)"
        raise Untranslatable(f"a {part.kind} value used as a condition")

    def value(self, part: Sql) -> str:
        """`part` as the formula's value: booleans 1/0, dates ISO text, blanks NULL."""
        if part.kind == BOOLEAN:
            shown = f"(CASE WHEN {part.text} THEN 1 ELSE 0 END)"
            if not part.nullable:
                return shown
            return f"(CASE WHEN {part.text} IS NULL THEN NULL ELSE {shown} END)"
        if part.kind == DATE:
            return self.d.date_text(part.text)
        return part.text

    # Nodes.

    def sql(self, node: Bound) -> Sql:
        """`node` in SQL; a node met again (a formula field used twice) is translated once."""
        if id(node) not in self.memo:
            # The node is kept with its SQL, so that its id stays its own.
            self.memo[id(node)] = (node, self._translate(node))
        part = self.memo[id(node)][1]
        self.built += len(part.text)
        if self.built > MAX_SQL_BUILT:
            raise Untranslatable("the SQL would be too long")
        return part

    def _translate(self, node: Bound) -> Sql:
        if isinstance(node, Const):
            if isinstance(node.value, bool):
                return Sql(self.boolean(node.value), BOOLEAN)
            return Sql(self.param(node.value), node.kind)
        if isinstance(node, FieldValue):
            return self.field(node.field)
        if isinstance(node, Op):
            return self.op(node)
        if isinstance(node, Apply):
            return self.apply(node)
        assert isinstance(node, Broken)
        raise Untranslatable(node.why)

    def field(self, field: FieldInfo) -> Sql:
        if field.type == "createdTime":
            return Sql(self.d.column_date("created_time"), DATE)
        if field.type == "lastModifiedTime":
            return Sql(self.d.column_date("last_modified_time"), DATE)
        if field.type == "autoNumber":
            return Sql(self.d.column_number("auto_number"), NUMBER)
        if field.type == "count":
            # Never stored: the gateway counts the link cell's records, and so does SQL.
            if not _SAFE_KEY.match(field.link):
                raise Untranslatable(f"the count's link field {field.link!r} is not known")
            return Sql(self.d.link_count(field.link), NUMBER)
        if not _SAFE_KEY.match(field.key):
            raise Untranslatable(f"field id {field.key!r} cannot be named in SQL")
        if field.type in ("barcode", "singleCollaborator", "createdBy", "lastModifiedBy", "button"):
            raise Untranslatable(f"{field.type} fields are objects")
        readers = {TEXT: self.d.cell_text, NUMBER: self.d.cell_number, DATE: self.d.cell_date}
        if field.kind == BOOLEAN:
            return Sql(self.d.cell_checkbox(field.key), BOOLEAN)
        if field.kind not in readers:
            raise Untranslatable(f"{field.type} fields hold {field.kind} values")
        return Sql(readers[field.kind](field.key), field.kind, nullable=True)

    def op(self, node: Op) -> Sql:
        if node.right is None:
            return Sql(f"(- {self.number(self.sql(node.left))})", NUMBER)
        if node.op in COMPARISONS:
            return Sql(self.comparison(node.op, node.left, node.right), BOOLEAN)
        left, right = self.sql(node.left), self.sql(node.right)
        if node.op == "&":
            return Sql(f"({self.string(left)} || {self.string(right)})", TEXT)
        if node.op == "/" and not (
            isinstance(node.right, Const) and node.right.kind == NUMBER and node.right.value
        ):
            raise Untranslatable("division by what may be zero is an error only Python shows")
        return Sql(f"({self.number(left)} {node.op} {self.number(right)})", NUMBER)

    def comparison(self, op: str, lnode: Bound, rnode: Bound) -> str:
        """`lnode op rnode` as evaluation compares: blanks are 0 with numbers, "" with text."""
        if _is_text(rnode) and self.sql(lnode).kind == DATE:
            return self.date_with_text(op, self.sql(lnode), rnode)
        if _is_text(lnode) and self.sql(rnode).kind == DATE:
            return self.date_with_text(_FLIPPED.get(op, op), self.sql(rnode), lnode)
        left, right = self.sql(lnode), self.sql(rnode)
        sql_op = "<>" if op == "!=" else op
        if left.kind in _TEXTUAL and right.kind in _TEXTUAL:
            order = self.d.text_order if op not in ("=", "!=") else ""
            return f"({self.string(left)}{order} {sql_op} {self.string(right)}{order})"
        if left.kind in _NUMERIC and right.kind in _NUMERIC:
            return f"({self.number(left)} {sql_op} {self.number(right)})"
        if left.kind == DATE and right.kind in (DATE, BLANK):
            return self.dates(op, left, right)
        if right.kind == DATE and left.kind == BLANK:
            return self.dates(_FLIPPED.get(op, op), right, left)
        raise Untranslatable(f"comparing {left.kind} with {right.kind}")

    def date_with_text(self, op: str, date: Sql, text: Const) -> str:
        """A date against constant text: as instants when the text is an ISO date; a blank date
        compares as text ("" < "2024-01-01"), as evaluation does."""
        assert isinstance(text.value, str)
        stamp = parse_iso_date(text.value)
        if stamp is None:
            present = self.boolean(op == "!=")
        else:
            present = f"({date.text} {'<>' if op == '!=' else op} {self.date_param(stamp)})"
        return self.when_blank(date, compare(op, None, text.value), present)

    def dates(self, op: str, left: Sql, right: Sql) -> str:
        """Two dates compare as instants; a blank date only equals another blank."""
        both_blank, one_blank = compare(op, None, None), op == "!="
        if right.kind == BLANK:
            return self.when_blank(left, both_blank, self.boolean(one_blank))
        compared = f"({left.text} {'<>' if op == '!=' else op} {right.text})"
        if not left.nullable and not right.nullable:
            return compared
        return (
            f"(CASE WHEN {left.text} IS NULL AND {right.text} IS NULL"
            f" THEN {self.boolean(both_blank)}"
            f" WHEN {left.text} IS NULL OR {right.text} IS NULL THEN {self.boolean(one_blank)}"
            f" ELSE {compared} END)"
        )

    def when_blank(self, date: Sql, if_blank: bool, otherwise: str) -> str:
        if not date.nullable:
            return otherwise
        return f"(CASE WHEN {date.text} IS NULL THEN {self.boolean(if_blank)} ELSE {otherwise} END)"

    def constant_date(self, text: str) -> dt.datetime | None:
        try:
            return to_date(self.ctx, text)
        except FormulaError:
            return None

    def apply(self, node: Apply) -> Sql:
        found = self.rules.get(node.function.name)
        if found is None:
            raise Untranslatable(f"{node.function.name}() is evaluated in Python")
        return found(self, node)
