"""Text functions."""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any, cast
from urllib.parse import quote

from services.formula.fields import BOOLEAN, NUMBER, TEXT
from services.formula.functions.registry import UNKNOWN, Context, function
from services.formula.limits import MAX_TEXT, Refused, text_size
from services.formula.patterns import Pattern, compile_pattern
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
    texts = [to_text(value) for value in flatten(args)]
    text_size(sum(map(len, texts)), "CONCATENATE()")
    return "".join(texts)


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
        if len(new) > len(old):
            text_size(len(text) + text.count(old) * (len(new) - len(old)), "SUBSTITUTE()")
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
    text, times = to_text(args[0]), count(args[1])
    if not text or not times:
        return ""
    text_size(len(text) * times, "REPT()")
    return text * times


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


def _pattern(value: Value) -> Pattern:
    return compile_pattern(to_text(value))


def _check_pattern(args: Sequence[object]) -> None:
    """A pattern written into the formula must compile: if not, the formula is invalid."""
    pattern = args[1]
    if pattern is not UNKNOWN:
        compile_pattern(to_text(cast(Value, pattern)))


@function("REGEX_MATCH", 2, 2, BOOLEAN, check=_check_pattern)
def regex_match(ctx: Context, args: list[Any]) -> Value:
    text = to_text(args[0])
    return _pattern(args[1]).on(text).search(text) is not None


@function("REGEX_EXTRACT", 2, 2, TEXT, check=_check_pattern)
def regex_extract(ctx: Context, args: list[Any]) -> Value:
    text = to_text(args[0])
    found = _pattern(args[1]).on(text).search(text)
    return found.group(0) if found else None


# Airtable's replacements say $1 for a group; everything else is literal.
_GROUP = re.compile(r"\$(\d+)")


@function("REGEX_REPLACE", 3, 3, TEXT, check=_check_pattern)
def regex_replace(ctx: Context, args: list[Any]) -> Value:
    text, pattern = to_text(args[0]), _pattern(args[1])
    regex = pattern.on(text)
    pieces = _GROUP.split(to_text(args[2]))  # literal, group number, literal, ...
    groups = [int(number) for number in pieces[1::2]]
    if any(group > regex.groups for group in groups):
        raise FormulaError(f"the replacement names a group the pattern does not have: {groups}")
    made = len(text)

    def replace(found: Any) -> str:
        nonlocal made
        out = "".join(
            piece if at % 2 == 0 else (found.group(int(piece)) or "")
            for at, piece in enumerate(pieces)
        )
        made += len(out) - (found.end() - found.start())
        if made > MAX_TEXT:
            raise Refused(f"REGEX_REPLACE() would make a text over {MAX_TEXT:,} characters")
        ctx.budget.tick()
        return out

    return str(regex.sub(replace, text))
