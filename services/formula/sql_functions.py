"""The functions the SQL translator knows, each giving exactly what its Python twin gives."""

from __future__ import annotations

from collections.abc import Callable

from services.formula.compiler import Apply, Bound, Const
from services.formula.fields import BLANK, BOOLEAN, DATE, NUMBER, TEXT
from services.formula.functions.logical import unify
from services.formula.functions.text import WHITESPACE
from services.formula.sql import MAX_SQL, Rule, Sql, Translator, Untranslatable

RULES: dict[str, Rule] = {}


def rule(*names: str) -> Callable[[Rule], Rule]:
    def register(fn: Rule) -> Rule:
        RULES.update(dict.fromkeys(names, fn))
        return fn

    return register


def count_constant(node: Bound) -> float:
    """A whole, non-negative constant such as LEFT's count; SQL cannot raise Python's errors."""
    if not (isinstance(node, Const) and isinstance(node.value, float) and not
            isinstance(node.value, bool)):  # fmt: skip
        raise Untranslatable("a count that is not a constant")
    if node.value < 0 or node.value != int(node.value):
        raise Untranslatable("a count that is negative or not whole")
    return node.value


def _branches(t: Translator, cases: list[tuple[str, Bound]], default: Bound | None) -> Sql:
    """CASE WHEN condition THEN result ... ELSE default END, for IF and SWITCH."""
    results = [t.sql(result) for _, result in cases]
    fallback = t.sql(default) if default is not None else Sql("NULL", BLANK, True)
    kind = unify([part.kind for part in [*results, fallback]])
    if kind not in (NUMBER, TEXT, BOOLEAN, DATE, BLANK):
        raise Untranslatable("branches of different kinds")
    whens = " ".join(
        f"WHEN {condition} THEN {part.text if part.kind != BLANK else 'NULL'}"
        for (condition, _), part in zip(cases, results, strict=True)
    )
    other = fallback.text if fallback.kind != BLANK else "NULL"
    nullable = any(part.nullable or part.kind == BLANK for part in [*results, fallback])
    return Sql(f"(CASE {whens} ELSE {other} END)", kind, nullable)


@rule("IF")
def if_(t: Translator, node: Apply) -> Sql:
    test = t.condition(t.sql(node.args[0]))
    return _branches(t, [(test, node.args[1])], node.args[2] if len(node.args) > 2 else None)


@rule("SWITCH")
def switch(t: Translator, node: Apply) -> Sql:
    subject, rest = node.args[0], node.args[1:]
    cases = [
        (t.comparison("=", subject, rest[at]), rest[at + 1]) for at in range(0, len(rest) - 1, 2)
    ]
    return _branches(t, cases, rest[-1] if len(rest) % 2 else None)


@rule("AND", "OR")
def and_or(t: Translator, node: Apply) -> Sql:
    joiner = f" {node.function.name} "
    return Sql("(" + joiner.join(t.condition(t.sql(arg)) for arg in node.args) + ")", BOOLEAN)


@rule("XOR")
def xor(t: Translator, node: Apply) -> Sql:
    ones = " + ".join(
        f"(CASE WHEN {t.condition(t.sql(arg))} THEN 1 ELSE 0 END)" for arg in node.args
    )
    return Sql(f"(({ones}) % 2 = 1)", BOOLEAN)


@rule("NOT")
def not_(t: Translator, node: Apply) -> Sql:
    return Sql(f"(NOT {t.condition(t.sql(node.args[0]))})", BOOLEAN)


@rule("TRUE", "FALSE")
def true_false(t: Translator, node: Apply) -> Sql:
    return Sql(t.boolean(node.function.name == "TRUE"), BOOLEAN)


@rule("BLANK")
def blank(t: Translator, node: Apply) -> Sql:
    return Sql("NULL", BLANK, True)


@rule("LEN")
def length(t: Translator, node: Apply) -> Sql:
    return Sql(t.d.length(t.string(t.sql(node.args[0]))), NUMBER)


@rule("LOWER", "UPPER")
def change_case(t: Translator, node: Apply) -> Sql:
    if not t.d.folds_case():
        raise Untranslatable(f"{t.d.name} changes the case of ASCII letters only")
    return Sql(f"{node.function.name.lower()}({t.string(t.sql(node.args[0]))})", TEXT)


@rule("TRIM")
def trim(t: Translator, node: Apply) -> Sql:
    return Sql(t.d.trim(t.string(t.sql(node.args[0])), t.param(WHITESPACE)), TEXT)


@rule("CONCATENATE")
def concatenate(t: Translator, node: Apply) -> Sql:
    return Sql("(" + " || ".join(t.string(t.sql(arg)) for arg in node.args) + ")", TEXT)


@rule("LEFT")
def left(t: Translator, node: Apply) -> Sql:
    text, count = t.string(t.sql(node.args[0])), count_constant(node.args[1])
    return Sql(f"substr({text}, 1, {t.d.integer(t.param(count))})", TEXT)


@rule("RIGHT")
def right(t: Translator, node: Apply) -> Sql:
    text, count = t.string(t.sql(node.args[0])), count_constant(node.args[1])
    if count == 0:
        return Sql("''", TEXT)
    return Sql(t.d.right(text, t.d.integer(t.param(count))), TEXT)


@rule("MID")
def mid(t: Translator, node: Apply) -> Sql:
    text = t.string(t.sql(node.args[0]))
    start, count = count_constant(node.args[1]), count_constant(node.args[2])
    if start < 1:
        raise Untranslatable("MID() from before the first character")
    start_sql, count_sql = t.d.integer(t.param(start)), t.d.integer(t.param(count))
    return Sql(f"substr({text}, {start_sql}, {count_sql})", TEXT)


@rule("FIND", "SEARCH")
def find(t: Translator, node: Apply) -> Sql:
    if len(node.args) > 2:
        raise Untranslatable(f"{node.function.name}() from a position")
    needle, haystack = (t.string(t.sql(arg)) for arg in node.args)
    if node.function.name == "FIND":
        return Sql(t.d.position(needle, haystack), NUMBER)
    if not t.d.folds_case():
        raise Untranslatable(f"{t.d.name} changes the case of ASCII letters only")
    found = t.d.position(f"lower({needle})", f"lower({haystack})")
    return Sql(f"NULLIF({found}, 0)", NUMBER, nullable=True)


@rule("ABS", "INT")
def abs_int(t: Translator, node: Apply) -> Sql:
    sql = "abs" if node.function.name == "ABS" else "floor"
    return Sql(f"{sql}({t.number(t.sql(node.args[0]))})", NUMBER)


@rule("CEILING", "FLOOR")
def ceiling_floor(t: Translator, node: Apply) -> Sql:
    number = t.number(t.sql(node.args[0]))
    sql = "ceil" if node.function.name == "CEILING" else "floor"
    if len(node.args) == 1:
        return Sql(f"{sql}({number})", NUMBER)
    step = node.args[1]
    if not (isinstance(step, Const) and step.kind == NUMBER and step.value):
        raise Untranslatable("a significance that may be zero")
    significance = t.param(step.value)
    return Sql(f"({sql}({number} / {significance}) * {significance})", NUMBER)


@rule("ROUND")
def round_(t: Translator, node: Apply) -> Sql:
    places = node.args[1] if len(node.args) > 1 else Const(NUMBER, 0.0)
    if not (isinstance(places, Const) and isinstance(places.value, float)):
        raise Untranslatable("ROUND() to a precision that is not a constant")
    scale = t.param(10.0 ** int(places.value))
    number = t.number(t.sql(node.args[0]))
    return Sql(f"(floor({number} * {scale} + 0.5) / {scale})", NUMBER)


@rule("SUM")
def sum_(t: Translator, node: Apply) -> Sql:
    return Sql("(" + " + ".join(t.number(_scalar(t, arg)) for arg in node.args) + ")", NUMBER)


@rule("MAX", "MIN")
def max_min(t: Translator, node: Apply) -> Sql:
    """Blanks are skipped: each argument falls back to the others, and none at all gives 0."""
    parts = [_scalar(t, arg) for arg in node.args]
    values = [t.number(p) if p.kind == BOOLEAN else p.text for p in parts if p.kind != BLANK]
    if not values:
        return Sql(t.d.zero, NUMBER)
    if len(values) * sum(map(len, values)) > MAX_SQL:
        # Each value falls back to all the others: the SQL grows as the square of them.
        raise Untranslatable(f"{node.function.name}() of too many values for SQL")
    # SQLite's max()/min() with several arguments are the scalar forms; PostgreSQL's are GREATEST.
    sql = node.function.name.lower() if t.d.name == "sqlite" else (
        "GREATEST" if node.function.name == "MAX" else "LEAST")  # fmt: skip
    fallbacks = [
        f"COALESCE({', '.join([value, *values[:at], *values[at + 1 :]])})"
        for at, value in enumerate(values)
    ]
    inner = fallbacks[0] if len(fallbacks) == 1 else f"{sql}({', '.join(fallbacks)})"
    return Sql(f"COALESCE({inner}, {t.d.zero})", NUMBER)


def _scalar(t: Translator, arg: Bound) -> Sql:
    part = t.sql(arg)
    if part.kind not in (NUMBER, BOOLEAN, BLANK):
        raise Untranslatable(f"a {part.kind} value where numbers are summed")
    return part


@rule("IS_BEFORE", "IS_AFTER", "IS_SAME")
def is_before_after(t: Translator, node: Apply) -> Sql:
    if len(node.args) > 2:
        raise Untranslatable("IS_SAME() by unit")
    first, second = (_date_operand(t, arg) for arg in node.args)
    op = {"IS_BEFORE": "<", "IS_AFTER": ">", "IS_SAME": "="}[node.function.name]
    return Sql(f"COALESCE({first} {op} {second}, {t.d.false})", BOOLEAN)


def _date_operand(t: Translator, arg: Bound) -> str:
    if isinstance(arg, Const) and isinstance(arg.value, str):
        stamp = t.constant_date(arg.value)
        if stamp is None:
            raise Untranslatable(f"{arg.value!r} is not a date")
        return t.date_param(stamp)
    part = t.sql(arg)
    if part.kind != DATE:
        raise Untranslatable(f"a {part.kind} value where a date is expected")
    return part.text


def _utc_date(t: Translator, node: Apply) -> str:
    """The date argument of a function that reads the calendar, which SQL does in UTC only."""
    if t.ctx.time_zone.key != "UTC":
        raise Untranslatable(f"{node.function.name}() in a time zone other than UTC")
    part = t.sql(node.args[0])
    if part.kind != DATE:
        raise Untranslatable(f"{node.function.name}() of a {part.kind} value")
    return part.text


@rule("YEAR", "MONTH", "DAY", "HOUR", "MINUTE", "SECOND")
def date_part(t: Translator, node: Apply) -> Sql:
    return Sql(t.d.date_part(_utc_date(t, node), node.function.name.lower()), NUMBER, True)


@rule("DATESTR")
def datestr(t: Translator, node: Apply) -> Sql:
    return Sql(t.d.day_text(_utc_date(t, node)), TEXT, True)


@rule("RECORD_ID")
def record_id(t: Translator, node: Apply) -> Sql:
    return Sql("id", TEXT)


@rule("CREATED_TIME")
def created_time(t: Translator, node: Apply) -> Sql:
    return Sql(t.d.column_date("created_time"), DATE)


@rule("LAST_MODIFIED_TIME")
def last_modified_time(t: Translator, node: Apply) -> Sql:
    return Sql(t.d.column_date("last_modified_time"), DATE)
