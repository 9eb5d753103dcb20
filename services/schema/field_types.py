"""Airtable's field types and the options of the self-contained ones, checked and completed
with Airtable's defaults. Types whose options point at other fields (links, lookups, rollups,
counts, formulas) are checked in `relations`."""

from __future__ import annotations

import functools
import zoneinfo
from collections.abc import Collection, Mapping
from typing import Any

from services.shared.errors import InvalidArgument
from services.shared.ids import looks_like, new_id

TEXT_TYPES = frozenset(
    {"singleLineText", "email", "url", "multilineText", "richText", "phoneNumber"}
)
SELECT_TYPES = frozenset({"singleSelect", "multipleSelects"})
RELATIONAL_TYPES = frozenset(
    {"multipleRecordLinks", "formula", "rollup", "multipleLookupValues", "count"}
)
# Their values come from elsewhere; records never carry them.
COMPUTED_TYPES = frozenset(
    {
        "formula", "rollup", "multipleLookupValues", "count", "autoNumber", "createdTime",
        "lastModifiedTime", "createdBy", "lastModifiedBy", "button",
    }
)  # fmt: skip
_NO_OPTIONS = TEXT_TYPES | {
    "singleCollaborator", "multipleCollaborators", "barcode", "autoNumber", "createdBy",
    "lastModifiedBy",
}  # fmt: skip
_HUES = ("blue", "cyan", "teal", "green", "yellow", "orange", "red", "pink", "purple", "gray")
SELECT_COLORS = frozenset(
    f"{h}{shade}" for h in _HUES for shade in ("Light2", "Light1", "Bright", "Dark1")
)
BRIGHT_COLORS = frozenset(f"{h}Bright" for h in _HUES)
DATE_FORMATS = {"local": "l", "friendly": "LL", "us": "M/D/YYYY", "european": "D/M/YYYY",
                "iso": "YYYY-MM-DD"}  # fmt: skip
TIME_FORMATS = {"12hour": "h:mma", "24hour": "HH:mm"}
DURATION_FORMATS = ("h:mm", "h:mm:ss", "h:mm:ss.S", "h:mm:ss.SS", "h:mm:ss.SSS")
RATING_ICONS = ("star", "heart", "thumbsUp", "flag", "dot")
CHECKBOX_ICONS = ("check", "xCheckbox", "star", "heart", "thumbsUp", "flag", "dot")
Raw = Mapping[str, Any]
Built = dict[str, Any]
# Keys Airtable shows but computes itself: accepted (so a field's options can be sent back as
# they were read) and then recomputed.
READ_ONLY_KEYS = frozenset({"isValid", "referencedFieldIds", "inverseLinkFieldId", "result"})

ALL_TYPES = frozenset(
    _NO_OPTIONS | RELATIONAL_TYPES | COMPUTED_TYPES | {
        "number", "currency", "percent", "duration", "rating", "checkbox", "singleSelect",
        "multipleSelects", "date", "dateTime", "multipleAttachments", "createdTime",
        "lastModifiedTime", "button",
    }
)  # fmt: skip


class Options:
    """Reads one field's options, naming the field and the option in every error."""

    def __init__(
        self, raw: Mapping[str, Any], path: str, field_name: str, allowed: Collection[str]
    ):
        self.raw = raw
        self.path = path
        self.field_name = field_name
        unknown = sorted(set(raw) - set(allowed) - READ_ONLY_KEYS)
        if unknown:
            raise self.fail(unknown[0], "is not an option of this field type")

    def fail(self, key: str, problem: str) -> InvalidArgument:
        where = f"{self.path}.options.{key}"
        return InvalidArgument(
            f"field {self.field_name!r}: options.{key} {problem}",
            fields={where: problem},
            reason="INVALID_FIELD_OPTIONS",
        )

    def integer(self, key: str, default: int, low: int, high: int) -> int:
        value = self.raw.get(key, default)
        if isinstance(value, float) and value.is_integer():
            value = int(value)
        if not isinstance(value, int) or isinstance(value, bool) or not low <= value <= high:
            raise self.fail(key, f"must be a whole number from {low} to {high}")
        return value

    def one_of(self, key: str, default: str, allowed: Collection[str]) -> str:
        value = self.raw.get(key, default)
        if value not in allowed:
            raise self.fail(key, f"must be one of {', '.join(sorted(allowed))}")
        return str(value)

    def text(self, key: str, default: str | None = None, *, required: bool = False) -> str:
        value = self.raw.get(key, default)
        if not isinstance(value, str) or (required and not value.strip()):
            raise self.fail(key, "is required" if value is None else "must be a non-empty string")
        return value.strip()

    def flag(self, key: str, default: bool = False) -> bool:
        value = self.raw.get(key, default)
        if not isinstance(value, bool):
            raise self.fail(key, "must be true or false")
        return value


def require_known(field_type: str, path: str, field_name: str) -> None:
    if field_type not in ALL_TYPES:
        problem = "is required" if not field_type else f"{field_type!r} is not a field type"
        raise InvalidArgument(
            f"field {field_name!r}: type {problem}",
            fields={f"{path}.type": problem},
            reason="INVALID_FIELD_TYPE",
        )


def plain_options(
    field_type: str,
    raw: Mapping[str, Any],
    path: str,
    field_name: str,
    current: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """The stored options of a field of a self-contained type. `current` holds the options
    being replaced, so that select choices keep their ids."""
    if field_type in _NO_OPTIONS:
        Options(raw, path, field_name, ())
        return {}
    builder = _BUILDERS[field_type]
    return builder(raw, path, field_name, current or {})


def _number(raw: Raw, path: str, name: str, _: Raw) -> Built:
    return {"precision": Options(raw, path, name, ("precision",)).integer("precision", 0, 0, 8)}


def _currency(raw: Raw, path: str, name: str, _: Raw) -> Built:
    opts = Options(raw, path, name, ("precision", "symbol"))
    symbol = opts.text("symbol", "$", required=True)
    if len(symbol) > 5:
        raise opts.fail("symbol", "must be at most 5 characters")
    return {"precision": opts.integer("precision", 2, 0, 7), "symbol": symbol}


def _duration(raw: Raw, path: str, name: str, _: Raw) -> Built:
    opts = Options(raw, path, name, ("durationFormat",))
    return {"durationFormat": opts.one_of("durationFormat", "h:mm", DURATION_FORMATS)}


def _rating(raw: Raw, path: str, name: str, _: Raw) -> Built:
    opts = Options(raw, path, name, ("icon", "max", "color"))
    return {
        "icon": opts.one_of("icon", "star", RATING_ICONS),
        "max": opts.integer("max", 5, 1, 10),
        "color": opts.one_of("color", "yellowBright", BRIGHT_COLORS),
    }


def _checkbox(raw: Raw, path: str, name: str, _: Raw) -> Built:
    opts = Options(raw, path, name, ("icon", "color"))
    return {
        "icon": opts.one_of("icon", "check", CHECKBOX_ICONS),
        "color": opts.one_of("color", "greenBright", BRIGHT_COLORS),
    }


def _select(raw: Raw, path: str, name: str, current: Raw) -> Built:
    opts = Options(raw, path, name, ("choices",))
    given = raw.get("choices", [])
    if not isinstance(given, list):
        raise opts.fail("choices", "must be a list of {name, color}")
    known = {c["name"]: c["id"] for c in current.get("choices", [])}
    choices: list[dict[str, str]] = []
    for index, choice in enumerate(given):
        key = f"choices[{index}]"
        if not isinstance(choice, dict) or set(choice) - {"id", "name", "color"}:
            raise opts.fail(key, "must be an object with a name and optionally an id and a color")
        label = choice.get("name")
        if not isinstance(label, str) or not label.strip():
            raise opts.fail(f"{key}.name", "must be a non-empty string")
        label = label.strip()
        if any(c["name"] == label for c in choices):
            raise opts.fail(f"{key}.name", f"repeats the choice {label!r}")
        choice_id = choice.get("id") or known.get(label) or new_id("sel")
        if not isinstance(choice_id, str) or not looks_like(choice_id, "sel"):
            raise opts.fail(f"{key}.id", "must be a choice id (sel...)")
        color = choice.get("color") or next_color(len(choices))
        if color not in SELECT_COLORS:
            raise opts.fail(f"{key}.color", "is not a choice color")
        choices.append({"id": choice_id, "name": label, "color": color})
    return {"choices": choices}


def next_color(index: int) -> str:
    """The color Airtable gives the n-th choice when none is chosen."""
    return f"{_HUES[index % len(_HUES)]}Light2"


def _date_format(opts: Options) -> dict[str, str]:
    raw = opts.raw.get("dateFormat", {"name": "local"})
    if not _is_named_format(raw):
        raise opts.fail("dateFormat", "must be an object with a name and/or a format")
    return _named_format(opts, "dateFormat", raw, DATE_FORMATS)


def _is_named_format(raw: Any) -> bool:
    return isinstance(raw, dict) and bool(raw) and not set(raw) - {"name", "format"}


def _named_format(
    opts: Options, key: str, raw: Mapping[str, Any], formats: Mapping[str, str]
) -> dict[str, str]:
    """Airtable's {name, format} pairs: either one determines the other, both must agree."""
    by_format = {fmt: label for label, fmt in formats.items()}
    label = str(raw.get("name") or by_format.get(str(raw.get("format", "")), ""))
    if label not in formats:
        raise opts.fail(f"{key}.name", f"must be one of {', '.join(formats)}")
    if "format" in raw and raw["format"] != formats[label]:
        raise opts.fail(f"{key}.format", f"must be {formats[label]!r} for {label!r}")
    return {"name": label, "format": formats[label]}


@functools.cache
def _time_zones() -> frozenset[str]:
    return frozenset(zoneinfo.available_timezones()) | {"utc", "client"}


def _date(raw: Raw, path: str, name: str, _: Raw) -> Built:
    return {"dateFormat": _date_format(Options(raw, path, name, ("dateFormat",)))}


def _date_time(
    raw: Mapping[str, Any], path: str, name: str, _: Mapping[str, Any]
) -> dict[str, Any]:
    opts = Options(raw, path, name, ("dateFormat", "timeFormat", "timeZone"))
    time_format = raw.get("timeFormat", {"name": "12hour"})
    if (
        not isinstance(time_format, dict)
        or not time_format
        or set(time_format) - {"name", "format"}
    ):
        raise opts.fail("timeFormat", "must be an object with a name and/or a format")
    time_zone = opts.text("timeZone", "utc")
    if time_zone not in _time_zones():
        raise opts.fail("timeZone", "must be 'utc', 'client' or an IANA time zone")
    return {
        "dateFormat": _date_format(opts),
        "timeFormat": _named_format(opts, "timeFormat", time_format, TIME_FORMATS),
        "timeZone": time_zone,
    }


def _timestamp(
    raw: Mapping[str, Any], path: str, name: str, _: Mapping[str, Any]
) -> dict[str, Any]:
    """createdTime and lastModifiedTime: shown as a date or a date and time."""
    opts = Options(raw, path, name, ("result",))
    result = raw.get("result") or {"type": "dateTime"}
    if not isinstance(result, dict) or result.get("type") not in ("date", "dateTime"):
        raise opts.fail("result", "must be {type: 'date' | 'dateTime', options}")
    inner = result.get("options") or {}
    if not isinstance(inner, dict):
        raise opts.fail("result.options", "must be an object")
    builder = _date if result["type"] == "date" else _date_time
    shown = {"type": result["type"], "options": builder(inner, f"{path}.options.result", name, {})}
    return {"isValid": True, "referencedFieldIds": [], "result": shown}


def _attachments(
    raw: Mapping[str, Any], path: str, name: str, _: Mapping[str, Any]
) -> dict[str, Any]:
    return {"isReversed": Options(raw, path, name, ("isReversed",)).flag("isReversed")}


def _button(raw: Raw, path: str, name: str, _: Raw) -> Built:
    opts = Options(raw, path, name, ("label", "url"))
    url = opts.text("url", "")
    if url and not url.startswith(("http://", "https://")):
        raise opts.fail("url", "must be an http or https URL")
    return {"label": opts.text("label", "Open", required=True), "url": url}


_BUILDERS = {
    "number": _number,
    "percent": _number,
    "currency": _currency,
    "duration": _duration,
    "rating": _rating,
    "checkbox": _checkbox,
    "singleSelect": _select,
    "multipleSelects": _select,
    "date": _date,
    "dateTime": _date_time,
    "createdTime": _timestamp,
    "lastModifiedTime": _timestamp,
    "multipleAttachments": _attachments,
    "button": _button,
}


def default_options(field_type: str) -> dict[str, Any]:
    """The options Airtable gives a self-contained type when none are chosen."""
    return plain_options(field_type, {}, "result", field_type)
