"""Numeric functions. Results that overflow are infinities; impossible ones are NaN."""

from __future__ import annotations

import math
from decimal import ROUND_DOWN, ROUND_UP, Decimal
from typing import Any

from services.formula.fields import NUMBER
from services.formula.functions.registry import Context, function
from services.formula.values import FormulaError, Value, flatten, text_to_number, to_number


def numbers(args: list[Any]) -> list[float]:
    """The numbers among the arguments, arrays spread out; blanks and words are skipped."""
    found = []
    for value in flatten(args):
        number = text_to_number(value) if isinstance(value, str) else to_number(value)
        if value is not None and value != "" and not math.isnan(number):
            found.append(number)
    return found


def round_half_up(number: float, places: float) -> float:
    """Airtable's ROUND: ties go toward positive infinity (JavaScript's Math.round).
    The SQL translation computes exactly this, in the same floating point."""
    scale = 10.0 ** int(places)
    scaled = number * scale
    if not math.isfinite(scaled):
        return number
    return math.floor(scaled + 0.5) / scale


def _round_away(args: list[Any], rounding: str) -> float:
    number = to_number(args[0])
    if not math.isfinite(number):
        return number
    places = int(to_number(args[1])) if len(args) > 1 else 0
    return float(Decimal(repr(number)).quantize(Decimal(1).scaleb(-places), rounding=rounding))


def _multiple(args: list[Any], step: Any) -> float:
    number = to_number(args[0])
    significance = to_number(args[1]) if len(args) > 1 else 1.0
    if significance == 0:
        raise FormulaError("significance must not be 0")
    return float(step(number / significance)) * significance


@function("ABS", 1, 1, NUMBER)
def abs_(ctx: Context, args: list[Any]) -> Value:
    return abs(to_number(args[0]))


@function("ROUND", 1, 2, NUMBER)
def round_(ctx: Context, args: list[Any]) -> Value:
    return round_half_up(to_number(args[0]), to_number(args[1]) if len(args) > 1 else 0.0)


@function("ROUNDUP", 1, 2, NUMBER)
def roundup(ctx: Context, args: list[Any]) -> Value:
    return _round_away(args, ROUND_UP)


@function("ROUNDDOWN", 1, 2, NUMBER)
def rounddown(ctx: Context, args: list[Any]) -> Value:
    return _round_away(args, ROUND_DOWN)


@function("CEILING", 1, 2, NUMBER)
def ceiling(ctx: Context, args: list[Any]) -> Value:
    return _multiple(args, math.ceil)


@function("FLOOR", 1, 2, NUMBER)
def floor(ctx: Context, args: list[Any]) -> Value:
    return _multiple(args, math.floor)


@function("INT", 1, 1, NUMBER)
def int_(ctx: Context, args: list[Any]) -> Value:
    number = to_number(args[0])
    return float(math.floor(number)) if math.isfinite(number) else number


@function("MOD", 2, 2, NUMBER)
def mod(ctx: Context, args: list[Any]) -> Value:
    divisor = to_number(args[1])
    if divisor == 0:
        raise FormulaError("division by zero")
    return math.fmod(to_number(args[0]), divisor)


@function("POWER", 2, 2, NUMBER)
def power(ctx: Context, args: list[Any]) -> Value:
    base, exponent = to_number(args[0]), to_number(args[1])
    try:
        result = base**exponent
    except OverflowError:
        return math.inf
    except ZeroDivisionError:
        return math.inf
    return result if isinstance(result, float) else math.nan


@function("SQRT", 1, 1, NUMBER)
def sqrt(ctx: Context, args: list[Any]) -> Value:
    number = to_number(args[0])
    return math.sqrt(number) if number >= 0 else math.nan


@function("EXP", 1, 1, NUMBER)
def exp(ctx: Context, args: list[Any]) -> Value:
    try:
        return math.exp(to_number(args[0]))
    except OverflowError:
        return math.inf


def _log(number: float, base: float) -> float:
    if number < 0 or base <= 0 or base == 1:
        return math.nan
    if number == 0:
        return -math.inf
    exact = {10.0: math.log10, 2.0: math.log2}.get(base)
    return exact(number) if exact else math.log(number) / math.log(base)


@function("LOG", 1, 2, NUMBER)
def log(ctx: Context, args: list[Any]) -> Value:
    return _log(to_number(args[0]), to_number(args[1]) if len(args) > 1 else 10.0)


@function("LOG10", 1, 1, NUMBER)
def log10(ctx: Context, args: list[Any]) -> Value:
    return _log(to_number(args[0]), 10.0)


@function("SUM", 1, None, NUMBER)
def sum_(ctx: Context, args: list[Any]) -> Value:
    return sum(numbers(args), 0.0)


@function("AVERAGE", 1, None, NUMBER)
def average(ctx: Context, args: list[Any]) -> Value:
    found = numbers(args)
    return sum(found, 0.0) / len(found) if found else 0.0


@function("MAX", 1, None, NUMBER)
def max_(ctx: Context, args: list[Any]) -> Value:
    return max(numbers(args), default=0.0)


@function("MIN", 1, None, NUMBER)
def min_(ctx: Context, args: list[Any]) -> Value:
    return min(numbers(args), default=0.0)


@function("COUNT", 1, None, NUMBER)
def count(ctx: Context, args: list[Any]) -> Value:
    return float(sum(isinstance(value, float) for value in flatten(args)))


@function("COUNTA", 1, None, NUMBER)
def counta(ctx: Context, args: list[Any]) -> Value:
    return float(sum(value is not None and value != "" for value in flatten(args)))


@function("COUNTALL", 1, None, NUMBER)
def countall(ctx: Context, args: list[Any]) -> Value:
    return float(len(flatten(args)))


def _to_parity(number: float, odd: bool) -> float:
    sign = -1.0 if number < 0 else 1.0
    size = math.ceil(abs(number))
    if size % 2 != odd or (odd and size == 0):
        size += 1
    return sign * size


@function("EVEN", 1, 1, NUMBER)
def even(ctx: Context, args: list[Any]) -> Value:
    return _to_parity(to_number(args[0]), odd=False)


@function("ODD", 1, 1, NUMBER)
def odd(ctx: Context, args: list[Any]) -> Value:
    return _to_parity(to_number(args[0]), odd=True)
