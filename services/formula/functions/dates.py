"""Date and time functions. A date that no SET_TIMEZONE moved is shown in the request's zone."""

from __future__ import annotations

import datetime as dt
import math
from functools import partial
from typing import Any
from zoneinfo import ZoneInfo

from dateutil import parser as dateparser
from dateutil.relativedelta import relativedelta

from services.formula.fields import BOOLEAN, DATE, NUMBER, TEXT
from services.formula.functions import registry
from services.formula.functions.registry import Context
from services.formula.moment import DAYS, format_date, parse_date
from services.formula.values import FormulaError, Value, iso, parse_iso_date, to_number, to_text
from services.shared.time_zones import airtable_zone

_UNITS = {
    "milliseconds": "ms", "millisecond": "ms", "ms": "ms", "seconds": "s", "second": "s",
    "s": "s", "minutes": "m", "minute": "m", "m": "m", "hours": "h", "hour": "h", "h": "h",
    "days": "d", "day": "d", "d": "d", "weeks": "w", "week": "w", "w": "w",
    "months": "M", "month": "M", "M": "M", "quarters": "Q", "quarter": "Q", "Q": "Q",
    "years": "y", "year": "y", "y": "y",
}  # fmt: skip
# Date functions read the time zone or the clock: the same arguments may give another value.
function = partial(registry.function, contextual=True)
# Characters in a text read as a date: dates are short, and parsing is not free.
MAX_DATE_TEXT = 1_000
_SECONDS = {"ms": 0.001, "s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}
_MONTHS = {"M": 1, "Q": 3, "y": 12}


def unit(value: Value, default: str) -> str:
    name = to_text(value) if value is not None else default
    found = _UNITS.get(name) or _UNITS.get(name.lower())
    if found is None:
        raise FormulaError(f"unknown unit {name!r}")
    return found


def zone(name: str) -> ZoneInfo:
    found = airtable_zone(name)
    if found is None:
        raise FormulaError(f"unknown time zone {name!r}")
    return found


def to_date(ctx: Context, value: Value) -> dt.datetime | None:
    """A date argument: a date, or text that reads as one; blank stays blank."""
    if value is None or isinstance(value, dt.datetime):
        return value
    if isinstance(value, list) and len(value) == 1:
        return to_date(ctx, value[0])
    if isinstance(value, str):
        if len(value) > MAX_DATE_TEXT:
            raise FormulaError(f"a text of {len(value):,} characters is not a date")
        found = parse_iso_date(value) if value[:1].isdigit() else None
        return found or _parse_loosely(ctx, value)
    raise FormulaError("expected a date")


def _parse_loosely(ctx: Context, text: str) -> dt.datetime:
    try:
        stamp: dt.datetime = dateparser.parse(text)
    except (ValueError, OverflowError):
        raise FormulaError(f"{text!r} is not a date") from None
    if stamp.tzinfo is None:
        stamp = stamp.replace(tzinfo=ctx.time_zone)
    return stamp.astimezone(dt.UTC)


def local(ctx: Context, stamp: dt.datetime) -> dt.datetime:
    """`stamp` in the zone it is shown in: its own after SET_TIMEZONE, else the request's."""
    return stamp.astimezone(ctx.time_zone) if stamp.tzinfo is dt.UTC else stamp


def _date_arg(fn: Any) -> Any:
    """Make a one-date function return blank for a blank date."""

    def wrapped(ctx: Context, args: list[Any]) -> Value:
        stamp = to_date(ctx, args[0])
        return None if stamp is None else fn(ctx, stamp, args[1:])

    return wrapped


@function("NOW", 0, 0, DATE)
def now(ctx: Context, args: list[Any]) -> Value:
    return ctx.now


@function("TODAY", 0, 0, DATE)
def today(ctx: Context, args: list[Any]) -> Value:
    day = ctx.now.astimezone(ctx.time_zone).date()
    return dt.datetime(day.year, day.month, day.day, tzinfo=dt.UTC)


@function("DATEADD", 3, 3, DATE)
@_date_arg
def dateadd(ctx: Context, stamp: dt.datetime, args: list[Any]) -> Value:
    amount, step = to_number(args[0]), unit(args[1], "days")
    if not math.isfinite(amount):
        raise FormulaError("expected a finite count")
    if step in _SECONDS and step not in ("d", "w"):
        return stamp + dt.timedelta(seconds=amount * _SECONDS[step])
    # Days and longer move the wall clock, so a day is a calendar day across a DST change.
    wall = local(ctx, stamp)
    if step in ("d", "w"):
        moved = wall + dt.timedelta(days=amount * (7 if step == "w" else 1))
    else:
        moved = wall + relativedelta(months=int(amount) * _MONTHS[step])
    return moved.astimezone(stamp.tzinfo)


@function("DATETIME_DIFF", 2, 3, NUMBER)
def datetime_diff(ctx: Context, args: list[Any]) -> Value:
    """`date1 - date2` in whole units (seconds by default), cut toward zero like moment."""
    first, second = to_date(ctx, args[0]), to_date(ctx, args[1])
    if first is None or second is None:
        return None
    step = unit(args[2] if len(args) > 2 else None, "seconds")
    if step in _MONTHS:
        span = relativedelta(local(ctx, first), local(ctx, second))
        return float(int((span.years * 12 + span.months) / _MONTHS[step]))
    seconds = (first - second).total_seconds()
    return float(math.trunc(round(seconds / _SECONDS[step], 9)))


@function("DATETIME_FORMAT", 1, 2, TEXT)
@_date_arg
def datetime_format(ctx: Context, stamp: dt.datetime, args: list[Any]) -> Value:
    if not args:
        return iso(stamp)
    return format_date(local(ctx, stamp), to_text(args[0]))


@function("DATETIME_PARSE", 1, 3, DATE)
def datetime_parse(ctx: Context, args: list[Any]) -> Value:
    if args[0] is None or args[0] == "":
        return None
    if len(args) < 2 or args[1] is None:
        return to_date(ctx, args[0])
    text, pattern = to_text(args[0]), to_text(args[1])
    if max(len(text), len(pattern)) > MAX_DATE_TEXT:
        raise FormulaError(f"dates and their formats are at most {MAX_DATE_TEXT:,} characters")
    found = parse_date(text, pattern, ctx.time_zone)
    if found is None:
        raise FormulaError(f"{to_text(args[0])!r} does not match {to_text(args[1])!r}")
    return found


@function("DATESTR", 1, 1, TEXT)
@_date_arg
def datestr(ctx: Context, stamp: dt.datetime, args: list[Any]) -> Value:
    return local(ctx, stamp).strftime("%Y-%m-%d")


@function("TIMESTR", 1, 1, TEXT)
@_date_arg
def timestr(ctx: Context, stamp: dt.datetime, args: list[Any]) -> Value:
    return local(ctx, stamp).strftime("%H:%M:%S")


def _part(name: str, attribute: str) -> None:
    @function(name, 1, 1, NUMBER)
    @_date_arg
    def part(ctx: Context, stamp: dt.datetime, args: list[Any]) -> Value:
        return float(getattr(local(ctx, stamp), attribute))


for _name in ("YEAR", "MONTH", "DAY", "HOUR", "MINUTE", "SECOND"):
    _part(_name, _name.lower())


def _start_day(args: list[Any]) -> int:
    """Days after Sunday that a week starts on: 0 for "Sunday", 1 for "Monday"."""
    if not args or args[0] is None:
        return 0
    name = to_text(args[0]).strip().lower()
    for index, day in enumerate(DAYS):
        if day.lower() == name:
            return (index + 1) % 7
    raise FormulaError(f"{name!r} is not a day of the week")


@function("WEEKDAY", 1, 2, NUMBER)
@_date_arg
def weekday(ctx: Context, stamp: dt.datetime, args: list[Any]) -> Value:
    """0 for the week's first day: Sunday unless another start is given."""
    return float((local(ctx, stamp).isoweekday() - _start_day(args)) % 7)


@function("WEEKNUM", 1, 2, NUMBER)
@_date_arg
def weeknum(ctx: Context, stamp: dt.datetime, args: list[Any]) -> Value:
    """Week of the year; the week holding January 1 is week 1."""
    day = local(ctx, stamp)
    jan1 = day.replace(month=1, day=1)
    offset = (jan1.isoweekday() - _start_day(args)) % 7
    return float((day.timetuple().tm_yday - 1 + offset) // 7 + 1)


def _holidays(ctx: Context, args: list[Any]) -> set[dt.date]:
    days: set[dt.date] = set()
    for text in to_text(args[0]).split(",") if args else ():
        ctx.budget.tick()
        if text.strip():
            stamp = to_date(ctx, text.strip())
            if stamp is not None:
                days.add(local(ctx, stamp).date())
    return days


def _workday(day: dt.date, holidays: set[dt.date]) -> bool:
    return day.weekday() < 5 and day not in holidays


@function("WORKDAY", 2, 3, DATE)
@_date_arg
def workday(ctx: Context, stamp: dt.datetime, args: list[Any]) -> Value:
    """The working day (Monday to Friday, not a holiday) `count` working days away."""
    remaining, holidays = int(to_number(args[0])), _holidays(ctx, args[1:])
    if abs(remaining) > 100_000:
        raise FormulaError("too many working days")
    day, step = local(ctx, stamp).date(), 1 if remaining >= 0 else -1
    while remaining:
        if remaining % 1000 == 0:
            ctx.budget.tick()
        day += dt.timedelta(days=step)
        if _workday(day, holidays):
            remaining -= step
    return dt.datetime(day.year, day.month, day.day, tzinfo=dt.UTC)


@function("WORKDAY_DIFF", 2, 3, NUMBER)
def workday_diff(ctx: Context, args: list[Any]) -> Value:
    """Working days from start to end, both counted; negative when end comes first."""
    start, end = to_date(ctx, args[0]), to_date(ctx, args[1])
    if start is None or end is None:
        return None
    first, last = local(ctx, start).date(), local(ctx, end).date()
    sign = 1.0
    if last < first:
        first, last, sign = last, first, -1.0
    holidays = {day for day in _holidays(ctx, args[2:]) if first <= day <= last}
    return sign * (_weekdays(first, last) - sum(day.weekday() < 5 for day in holidays))


def _weekdays(first: dt.date, last: dt.date) -> int:
    """Monday to Friday days from `first` to `last`, both counted, without walking the days."""
    weeks, rest = divmod((last - first).days + 1, 7)
    return weeks * 5 + sum((first.weekday() + n) % 7 < 5 for n in range(rest))


def _instants(ctx: Context, args: list[Any]) -> tuple[dt.datetime, dt.datetime] | None:
    first, second = to_date(ctx, args[0]), to_date(ctx, args[1])
    return None if first is None or second is None else (first, second)


@function("IS_BEFORE", 2, 2, BOOLEAN)
def is_before(ctx: Context, args: list[Any]) -> Value:
    pair = _instants(ctx, args)
    return pair is not None and pair[0] < pair[1]


@function("IS_AFTER", 2, 2, BOOLEAN)
def is_after(ctx: Context, args: list[Any]) -> Value:
    pair = _instants(ctx, args)
    return pair is not None and pair[0] > pair[1]


_TRUNCATE = {"y": "%Y", "Q": "", "M": "%Y-%m", "w": "", "d": "%Y-%m-%d", "h": "%Y-%m-%dT%H",
             "m": "%Y-%m-%dT%H:%M", "s": "%Y-%m-%dT%H:%M:%S", "ms": ""}  # fmt: skip


def _period(stamp: dt.datetime, step: str) -> object:
    if step == "Q":
        return (stamp.year, (stamp.month - 1) // 3)
    if step == "w":
        return (stamp - dt.timedelta(days=stamp.isoweekday() % 7)).date()
    if step == "ms":
        return stamp
    return stamp.strftime(_TRUNCATE[step])


@function("IS_SAME", 2, 3, BOOLEAN)
def is_same(ctx: Context, args: list[Any]) -> Value:
    pair = _instants(ctx, args)
    if pair is None:
        return False
    if len(args) < 3 or args[2] is None:
        return pair[0] == pair[1]
    step = unit(args[2], "ms")
    return _period(local(ctx, pair[0]), step) == _period(local(ctx, pair[1]), step)


@function("SET_TIMEZONE", 2, 2, DATE)
@_date_arg
def set_timezone(ctx: Context, stamp: dt.datetime, args: list[Any]) -> Value:
    return stamp.astimezone(zone(to_text(args[0])))


@function("SET_LOCALE", 2, 2, DATE)
@_date_arg
def set_locale(ctx: Context, stamp: dt.datetime, args: list[Any]) -> Value:
    """Dates are written in English whatever the locale, so the date is unchanged."""
    return stamp


def _days_between(ctx: Context, stamp: dt.datetime) -> float:
    return float(abs((ctx.now - stamp).days if ctx.now >= stamp else (stamp - ctx.now).days))


@function("TONOW", 1, 1, NUMBER)
@_date_arg
def tonow(ctx: Context, stamp: dt.datetime, args: list[Any]) -> Value:
    """Whole days between the date and now."""
    return _days_between(ctx, stamp)


@function("FROMNOW", 1, 1, NUMBER)
@_date_arg
def fromnow(ctx: Context, stamp: dt.datetime, args: list[Any]) -> Value:
    """Whole days between now and the date (the same count as TONOW)."""
    return _days_between(ctx, stamp)
