"""The engine's values and Airtable's rules for them: blanks, coercion, truthiness, comparison.

A value is None (blank), bool, float, str, an aware datetime, or a list of values. Errors are
raised as FormulaError and become {"error": "#ERROR!"} when shown.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Callable
from decimal import Decimal
from functools import partial
from typing import TypeAlias

Value: TypeAlias = "bool | float | str | dt.datetime | list[Value] | None"

ERROR_TEXT = "#ERROR!"


class FormulaError(Exception):
    """A formula failed on a record (division by zero, a bad argument, ERROR())."""

    def __init__(self, why: str = "") -> None:
        super().__init__(why or ERROR_TEXT)


def is_blank(value: Value) -> bool:
    return value is None or value == "" or value == []


def truthy(value: Value) -> bool:
    """Airtable's truthiness: 0, NaN, "", blank and empty arrays are false."""
    if isinstance(value, float):
        return value != 0 and not math.isnan(value)
    if isinstance(value, dt.datetime):
        return True
    return bool(value)


def format_number(number: float) -> str:
    """A number as JavaScript writes it (Airtable runs on JavaScript): 1, 0.5, 1e+21, 1e-7."""
    if math.isnan(number):
        return "NaN"
    if math.isinf(number):
        return "Infinity" if number > 0 else "-Infinity"
    if number == 0:
        return "0"
    sign, digits_tuple, exponent = Decimal(repr(number)).normalize().as_tuple()
    digits = "".join(map(str, digits_tuple))
    assert isinstance(exponent, int)
    point = len(digits) + exponent  # where the decimal point falls in `digits`
    prefix = "-" if sign else ""
    if len(digits) <= point <= 21:
        return prefix + digits + "0" * (point - len(digits))
    if 0 < point <= 21:
        return prefix + digits[:point] + "." + digits[point:]
    if -6 < point <= 0:
        return prefix + "0." + "0" * -point + digits
    mantissa = digits[0] + ("." + digits[1:] if len(digits) > 1 else "")
    return f"{prefix}{mantissa}e{'+' if point - 1 >= 0 else '-'}{abs(point - 1)}"


def iso(stamp: dt.datetime) -> str:
    """A date as Airtable shows it: YYYY-MM-DDTHH:MM:SS.sssZ in UTC."""
    utc = stamp.astimezone(dt.UTC)
    return utc.strftime("%Y-%m-%dT%H:%M:%S.") + f"{utc.microsecond // 1000:03d}Z"


def to_text(value: Value) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, float):
        return format_number(value)
    if isinstance(value, dt.datetime):
        return iso(value)
    if isinstance(value, list):
        return ", ".join(to_text(item) for item in value)
    return value


def text_to_number(text: str) -> float:
    """JavaScript's Number(text): blank text is 0, anything not numeric is NaN."""
    stripped = text.strip()
    if not stripped:
        return 0.0
    try:
        return float(stripped)
    except ValueError:
        return math.nan


def to_number(value: Value) -> float:
    """A value in arithmetic: blank is 0, TRUE is 1, "3" is 3; other text is an error."""
    if value is None:
        return 0.0
    if isinstance(value, bool):
        return 1.0 if value else 0.0
    if isinstance(value, float):
        return value
    if isinstance(value, str):
        number = text_to_number(value)
        if math.isnan(number) and value.strip().lower() != "nan":
            raise FormulaError(f"{value!r} is not a number")
        return number
    if isinstance(value, list):
        if not value:
            return 0.0
        if len(value) == 1:
            return to_number(value[0])
    raise FormulaError("expected a number")


def flatten(values: list[Value]) -> list[Value]:
    """Arguments with arrays spread out, as SUM, MAX, CONCATENATE... take them."""
    flat: list[Value] = []
    for value in values:
        if isinstance(value, list):
            flat.extend(flatten(value))
        else:
            flat.append(value)
    return flat


def parse_iso_date(text: str) -> dt.datetime | None:
    """An ISO date or date-time (as cells hold them) as a UTC datetime, or None."""
    try:
        stamp = dt.datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
    except ValueError:
        return None
    return stamp.replace(tzinfo=dt.UTC) if stamp.tzinfo is None else stamp.astimezone(dt.UTC)


def _ordering(left: Value, right: Value) -> tuple[float | str | dt.datetime, ...] | None:
    """The pair to compare, by Airtable's (JavaScript's) rules; None when incomparable."""
    if isinstance(left, list):
        left = to_text(left) if isinstance(right, str | None) else _single(left)
    if isinstance(right, list):
        right = to_text(right) if isinstance(left, str | None) else _single(right)
    if isinstance(left, dt.datetime) or isinstance(right, dt.datetime):
        first, second = _as_date(left), _as_date(right)
        return None if first is None or second is None else (first, second)
    if isinstance(left, str | None) and isinstance(right, str | None):
        return (left or "", right or "")
    first_n = text_to_number(left) if isinstance(left, str) else to_number(left)
    second_n = text_to_number(right) if isinstance(right, str) else to_number(right)
    if math.isnan(first_n) or math.isnan(second_n):
        return None
    return (first_n, second_n)


def _single(values: list[Value]) -> Value:
    return values[0] if len(values) == 1 else to_text(values)


def _as_date(value: Value) -> dt.datetime | None:
    if isinstance(value, dt.datetime):
        return value
    if isinstance(value, str):
        return parse_iso_date(value)
    return None


def compare(op: str, left: Value, right: Value) -> bool:
    """`left op right` for = != < > <= >=. Blank equals 0 and ""; text is case-sensitive."""
    pair = _ordering(left, right)
    if pair is None:
        return op == "!=" and not (left is None and right is None)
    a, b = pair
    if op == "=":
        return a == b
    if op == "!=":
        return a != b
    if op == "<":
        return a < b  # type: ignore[operator]
    if op == ">":
        return a > b  # type: ignore[operator]
    if op == "<=":
        return a <= b  # type: ignore[operator]
    return a >= b  # type: ignore[operator]


def concat(left: Value, right: Value) -> str:
    return to_text(left) + to_text(right)


def _divide(left: Value, right: Value) -> float:
    dividend, divisor = to_number(left), to_number(right)
    if divisor == 0:
        raise FormulaError("division by zero")
    return dividend / divisor


# The binary operators: & joins texts, arithmetic takes numbers, comparisons compare.
OPERATORS: dict[str, Callable[[Value, Value], Value]] = {
    "&": concat,
    "+": lambda left, right: to_number(left) + to_number(right),
    "-": lambda left, right: to_number(left) - to_number(right),
    "*": lambda left, right: to_number(left) * to_number(right),
    "/": _divide,
    **{op: partial(compare, op) for op in ("=", "!=", "<", ">", "<=", ">=")},
}
