"""Text functions."""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import quote

from services.formula.fields import BOOLEAN, NUMBER, TEXT
from services.formula.functions.registry import Context, function
from services.formula.values import FormulaError, Value, flatten, to_number, to_text

# The characters TRIM removes; the SQL translation trims exactly these too.
WHITESPACE = " \t\n\r\f\v"


def count(value: Value) -> int:
    """A count argument (characters, times): a whole number, never negative."""
    number = to_number(value)
    if number < 0:
        raise FormulaError("expected a count that is not negative")
    return int(number)


@function("CONCATENATE", 1, None, TEXT)
def concatenate(ctx: Context, args: list[Any]) -> Value:
    return "".join(to_text(value) for value in flatten(args))


@function("LEN", 1, 1, NUMBER)
def length(ctx: Context, args: list[Any]) -> Value:
    return float(len(to_text(args[0])))


@function("LEFT", 2, 2, TEXT)
def left(ctx: Context, args: list[Any]) -> Value:
    return to_text(args[0])[: count(args[1])]


@function("RIGHT", 2, 2, TEXT)
def right(ctx: Context, args: list[Any]) -> Value:
    text, howmany = to_text(args[0]), count(args[1])
    return text[max(len(text) - howmany, 0) :] if howmany else ""


@function("MID", 3, 3, TEXT)
def mid(ctx: Context, args: list[Any]) -> Value:
    start = max(int(to_number(args[1])), 1) - 1
    return to_text(args[0])[start : start + count(args[2])]


def _position(args: list[Any], fold: bool) -> int:
    """1-based position of args[0] in args[1] from the optional start, or 0."""
    needle, haystack = to_text(args[0]), to_text(args[1])
    if fold:
        needle, haystack = needle.lower(), haystack.lower()
    start = max(int(to_number(args[2])) - 1, 0) if len(args) > 2 else 0
    return haystack.find(needle, start) + 1


@function("FIND", 2, 3, NUMBER)
def find(ctx: Context, args: list[Any]) -> Value:
    return float(_position(args, fold=False))


@function("SEARCH", 2, 3, NUMBER)
def search(ctx: Context, args: list[Any]) -> Value:
    """Like FIND, ignoring case; blank rather than 0 when not found."""
    return float(_position(args, fold=True)) or None


@function("SUBSTITUTE", 3, 4, TEXT)
def substitute(ctx: Context, args: list[Any]) -> Value:
    text, old, new = to_text(args[0]), to_text(args[1]), to_text(args[2])
    if not old:
        return text
    if len(args) < 4:
        return text.replace(old, new)
    index, at = int(to_number(args[3])), -1
    for _ in range(max(index, 1)):
        at = text.find(old, at + 1)
        if at < 0:
            return text
    return text[:at] + new + text[at + len(old) :]


@function("REPLACE", 4, 4, TEXT)
def replace(ctx: Context, args: list[Any]) -> Value:
    text = to_text(args[0])
    start = max(int(to_number(args[1])), 1) - 1
    return text[:start] + to_text(args[3]) + text[start + count(args[2]) :]


@function("LOWER", 1, 1, TEXT)
def lower(ctx: Context, args: list[Any]) -> Value:
    return to_text(args[0]).lower()


@function("UPPER", 1, 1, TEXT)
def upper(ctx: Context, args: list[Any]) -> Value:
    return to_text(args[0]).upper()


@function("TRIM", 1, 1, TEXT)
def trim(ctx: Context, args: list[Any]) -> Value:
    return to_text(args[0]).strip(WHITESPACE)


@function("REPT", 2, 2, TEXT)
def rept(ctx: Context, args: list[Any]) -> Value:
    return to_text(args[0]) * count(args[1])


@function("T", 1, 1, TEXT)
def t(ctx: Context, args: list[Any]) -> Value:
    return args[0] if isinstance(args[0], str) else None


@function("VALUE", 1, 1, NUMBER)
def value(ctx: Context, args: list[Any]) -> Value:
    """The number in a text such as "$1,000.50" (currency signs and separators are dropped)."""
    if isinstance(args[0], float):
        return args[0]
    cleaned = re.sub(r"[^0-9.eE+\-]", "", to_text(args[0]))
    if not cleaned:
        return None
    try:
        return float(cleaned)
    except ValueError:
        raise FormulaError(f"{to_text(args[0])!r} is not a number") from None


@function("ENCODE_URL_COMPONENT", 1, 1, TEXT)
def encode_url_component(ctx: Context, args: list[Any]) -> Value:
    return quote(to_text(args[0]), safe="-_.!~*'()")


def _regex(pattern: Value) -> re.Pattern[str]:
    try:
        return re.compile(to_text(pattern))
    except re.error as err:
        raise FormulaError(f"bad regular expression: {err}") from None


@function("REGEX_MATCH", 2, 2, BOOLEAN)
def regex_match(ctx: Context, args: list[Any]) -> Value:
    return _regex(args[1]).search(to_text(args[0])) is not None


@function("REGEX_EXTRACT", 2, 2, TEXT)
def regex_extract(ctx: Context, args: list[Any]) -> Value:
    found = _regex(args[1]).search(to_text(args[0]))
    return found.group(0) if found else None


@function("REGEX_REPLACE", 3, 3, TEXT)
def regex_replace(ctx: Context, args: list[Any]) -> Value:
    # Airtable's replacements say $1 for a group; Python's say \g<1>.
    replacement = re.sub(r"\$(\d+)", r"\\g<\1>", to_text(args[2]).replace("\\", "\\\\"))
    try:
        return _regex(args[1]).sub(replacement, to_text(args[0]))
    except (re.error, IndexError) as err:
        raise FormulaError(f"bad replacement: {err}") from None
