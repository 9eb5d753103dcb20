"""Dates formatted and parsed with moment.js format tokens, as Airtable's date functions take."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from zoneinfo import ZoneInfo

import re2

from services.formula.patterns import Pattern, compile_pattern

MONTHS = ("January", "February", "March", "April", "May", "June", "July", "August",
          "September", "October", "November", "December")  # fmt: skip
DAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
_LONG = {
    "LTS": "h:mm:ss A", "LT": "h:mm A", "L": "MM/DD/YYYY", "LL": "MMMM D, YYYY",
    "LLL": "MMMM D, YYYY h:mm A", "LLLL": "dddd, MMMM D, YYYY h:mm A", "l": "M/D/YYYY",
    "ll": "MMM D, YYYY", "lll": "MMM D, YYYY h:mm A", "llll": "ddd, MMM D, YYYY h:mm A",
}  # fmt: skip
_TOKENS = re.compile(
    r"\[[^\]]*\]|LTS|LT|LLLL|LLL|LL|L|llll|lll|ll|l|YYYY|YY|Q|MMMM|MMM|MM|M|Do|DDDD|DDD|DD|D"
    r"|dddd|ddd|dd|d|E|HH|H|hh|h|kk|k|mm|m|ss|s|SSS|SS|S|A|a|ZZ|Z|X|x|WW|W|ww|w"
)


def ordinal(number: int) -> str:
    if 10 <= number % 100 <= 20:
        return f"{number}th"
    return f"{number}{ {1: 'st', 2: 'nd', 3: 'rd'}.get(number % 10, 'th') }"


def _offset(stamp: dt.datetime, sep: str) -> str:
    minutes = int((stamp.utcoffset() or dt.timedelta()).total_seconds() // 60)
    sign = "-" if minutes < 0 else "+"
    return f"{sign}{abs(minutes) // 60:02d}{sep}{abs(minutes) % 60:02d}"


def _hour12(stamp: dt.datetime) -> int:
    return stamp.hour % 12 or 12


def _sunday_week(stamp: dt.datetime) -> int:
    """Week of the year with weeks starting on Sunday; the week holding Jan 1 is week 1."""
    jan1 = stamp.replace(month=1, day=1)
    return (stamp.timetuple().tm_yday - 1 + (jan1.isoweekday() % 7)) // 7 + 1


_FORMATTERS: dict[str, Callable[[dt.datetime], str]] = {
    "YYYY": lambda d: f"{d.year:04d}",
    "YY": lambda d: f"{d.year % 100:02d}",
    "Q": lambda d: str((d.month - 1) // 3 + 1),
    "MMMM": lambda d: MONTHS[d.month - 1],
    "MMM": lambda d: MONTHS[d.month - 1][:3],
    "MM": lambda d: f"{d.month:02d}",
    "M": lambda d: str(d.month),
    "Do": lambda d: ordinal(d.day),
    "DDDD": lambda d: f"{d.timetuple().tm_yday:03d}",
    "DDD": lambda d: str(d.timetuple().tm_yday),
    "DD": lambda d: f"{d.day:02d}",
    "D": lambda d: str(d.day),
    "dddd": lambda d: DAYS[d.weekday()],
    "ddd": lambda d: DAYS[d.weekday()][:3],
    "dd": lambda d: DAYS[d.weekday()][:2],
    "d": lambda d: str(d.isoweekday() % 7),
    "E": lambda d: str(d.isoweekday()),
    "HH": lambda d: f"{d.hour:02d}",
    "H": lambda d: str(d.hour),
    "hh": lambda d: f"{_hour12(d):02d}",
    "h": lambda d: str(_hour12(d)),
    "kk": lambda d: f"{d.hour or 24:02d}",
    "k": lambda d: str(d.hour or 24),
    "mm": lambda d: f"{d.minute:02d}",
    "m": lambda d: str(d.minute),
    "ss": lambda d: f"{d.second:02d}",
    "s": lambda d: str(d.second),
    "SSS": lambda d: f"{d.microsecond // 1000:03d}",
    "SS": lambda d: f"{d.microsecond // 10000:02d}",
    "S": lambda d: str(d.microsecond // 100000),
    "A": lambda d: "AM" if d.hour < 12 else "PM",
    "a": lambda d: "am" if d.hour < 12 else "pm",
    "ZZ": lambda d: _offset(d, ""),
    "Z": lambda d: _offset(d, ":"),
    "X": lambda d: str(int(d.timestamp())),
    "x": lambda d: str(int(d.timestamp() * 1000)),
    "WW": lambda d: f"{d.isocalendar().week:02d}",
    "W": lambda d: str(d.isocalendar().week),
    "ww": lambda d: f"{_sunday_week(d):02d}",
    "w": lambda d: str(_sunday_week(d)),
}


def _expand(pattern: str) -> str:
    return _TOKENS.sub(lambda m: _LONG.get(m.group(0), m.group(0)), pattern)


def format_date(stamp: dt.datetime, pattern: str) -> str:
    """`stamp` (already in the zone to show) written with moment.js tokens."""

    def one(match: re.Match[str]) -> str:
        token = match.group(0)
        return token[1:-1] if token.startswith("[") else _FORMATTERS[token](stamp)

    return _TOKENS.sub(one, _expand(pattern))


_NAME = "[A-Za-z]+"
_PARSERS = {
    "YYYY": r"(?P<year>[+-]?\d{4})", "YY": r"(?P<year2>\d{2})", "MMMM": f"(?P<mon>{_NAME})",
    "MMM": f"(?P<mon>{_NAME})", "MM": r"(?P<month>\d{1,2})", "M": r"(?P<month>\d{1,2})",
    "Do": r"(?P<day>\d{1,2})(?:st|nd|rd|th)", "DD": r"(?P<day>\d{1,2})",
    "D": r"(?P<day>\d{1,2})", "dddd": _NAME, "ddd": _NAME, "dd": _NAME,
    "HH": r"(?P<hour>\d{1,2})", "H": r"(?P<hour>\d{1,2})", "hh": r"(?P<hour12>\d{1,2})",
    "h": r"(?P<hour12>\d{1,2})", "kk": r"(?P<hour>\d{1,2})", "k": r"(?P<hour>\d{1,2})",
    "mm": r"(?P<minute>\d{1,2})", "m": r"(?P<minute>\d{1,2})", "ss": r"(?P<second>\d{1,2})",
    "s": r"(?P<second>\d{1,2})", "SSS": r"(?P<ms>\d{1,3})", "SS": r"(?P<ms>\d{1,2})",
    "S": r"(?P<ms>\d)", "A": r"(?P<ampm>[AaPp][Mm])", "a": r"(?P<ampm>[AaPp][Mm])",
    "ZZ": r"(?P<tz>Z|[+-]\d{2}:?\d{2})", "Z": r"(?P<tz>Z|[+-]\d{2}:?\d{2})",
    "X": r"(?P<unix>-?\d+(?:\.\d+)?)", "x": r"(?P<unixms>-?\d+)",
}  # fmt: skip


def _pattern_regex(pattern: str) -> Pattern:
    """A regular expression for dates written with `pattern`; run with RE2, since a pattern
    of many name tokens in a row would make a backtracking engine take forever."""
    parts, seen = [], set()
    position = 0
    expanded = _expand(pattern)
    for match in _TOKENS.finditer(expanded):
        parts.append(re2.escape(expanded[position : match.start()]))
        token = match.group(0)
        regex = re2.escape(token[1:-1]) if token.startswith("[") else _PARSERS.get(token, r"\S+?")
        for name in re.findall(r"\?P<(\w+)>", regex):
            # A second use of a group is matched but not captured again.
            if name in seen:
                regex = regex.replace(f"?P<{name}>", "?:")
            seen.add(name)
        parts.append(regex)
        position = match.end()
    parts.append(re2.escape(expanded[position:]))
    return compile_pattern(r"(?i)\s*" + "".join(parts))


def parse_date(text: str, pattern: str, zone: ZoneInfo) -> dt.datetime | None:
    """`text` read with moment.js tokens; a time without an offset is in `zone`."""
    found = _pattern_regex(pattern).on(text).match(text)
    if found is None:
        return None
    parts = {name: value for name, value in found.groupdict().items() if value is not None}
    if "unix" in parts:
        return dt.datetime.fromtimestamp(float(parts["unix"]), dt.UTC)
    if "unixms" in parts:
        return dt.datetime.fromtimestamp(int(parts["unixms"]) / 1000, dt.UTC)
    try:
        return _assemble(parts, zone)
    except (ValueError, StopIteration):
        return None


def _assemble(parts: dict[str, str], zone: ZoneInfo) -> dt.datetime:
    year = int(parts["year"]) if "year" in parts else 2000 + int(parts.get("year2", "0"))
    if "mon" in parts:
        prefix = parts["mon"][:3].lower()
        month = next(i for i, name in enumerate(MONTHS, 1) if name.lower().startswith(prefix))
    else:
        month = int(parts.get("month", "1"))
    hour = int(parts.get("hour", "0"))
    if "hour12" in parts:
        hour = int(parts["hour12"]) % 12
        if parts.get("ampm", "").lower() == "pm":
            hour += 12
    millis = int(parts.get("ms", "0").ljust(3, "0"))
    stamp = dt.datetime(year, month, int(parts.get("day", "1")), hour,
                        int(parts.get("minute", "0")), int(parts.get("second", "0")),
                        millis * 1000)  # fmt: skip
    if "tz" not in parts:
        return stamp.replace(tzinfo=zone).astimezone(dt.UTC)
    offset = parts["tz"].replace(":", "")
    if offset.upper() == "Z":
        return stamp.replace(tzinfo=dt.UTC)
    minutes = int(offset[1:3]) * 60 + int(offset[3:5])
    sign = -1 if offset[0] == "-" else 1
    return (stamp.replace(tzinfo=dt.timezone(sign * dt.timedelta(minutes=minutes)))
            .astimezone(dt.UTC))  # fmt: skip
