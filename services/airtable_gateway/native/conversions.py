"""A stored cell converted to another field type, as Airtable converts the cells of a retyped
field: text parses into numbers, dates, checkboxes and choices, every value formats into text,
and what cannot be converted is cleared (None). A value that already has the new type's stored
form is kept, so converting twice changes nothing."""

from __future__ import annotations

import datetime as dt
import math
import re
import zoneinfo
from collections.abc import Callable
from typing import Any

from dateutil import parser as date_parser

from services.airtable_gateway.native.tables import COMPUTED_TYPES, LINK
from services.airtable_gateway.native.values import is_empty, iso

TEXT_TYPES = frozenset(
    {"singleLineText", "email", "url", "multilineText", "richText", "phoneNumber"}
)
SELECT_TYPES = frozenset({"singleSelect", "multipleSelects"})
# Words a text cell says "checked" with, as typecast reads them.
TRUE_WORDS = frozenset({"true", "yes", "y", "1", "on", "checked", "x", "✓", "✔"})
_ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_STORED_DATE_TIME = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$")
_DURATION = re.compile(r"^(\d+):([0-5]?\d)(?::([0-5]?\d(?:\.\d+)?))?$")
_LIST_SEPARATOR = ", "


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _is_texts(value: Any) -> bool:
    return isinstance(value, list) and all(isinstance(item, str) for item in value)


def _is_dicts(value: Any) -> bool:
    return isinstance(value, list) and all(isinstance(item, dict) for item in value)


_SHAPES: dict[str, Callable[[Any], bool]] = {
    **{kind: (lambda v: isinstance(v, str)) for kind in TEXT_TYPES},
    **{kind: _is_number for kind in ("number", "currency", "percent", "duration")},
    "rating": lambda v: _is_number(v) and float(v).is_integer(),
    "checkbox": lambda v: v is True,
    "singleSelect": lambda v: isinstance(v, str),
    "multipleSelects": _is_texts,
    "date": lambda v: isinstance(v, str) and bool(_ISO_DATE.match(v)),
    "dateTime": lambda v: isinstance(v, str) and bool(_STORED_DATE_TIME.match(v)),
    LINK: _is_texts,
    "multipleAttachments": _is_dicts,
    "singleCollaborator": lambda v: isinstance(v, dict) and "id" in v,
    "multipleCollaborators": _is_dicts,
    "barcode": lambda v: isinstance(v, dict) and isinstance(v.get("text"), str),
}


def has_shape(field_type: str, value: Any) -> bool:
    """Whether a stored value has the form that fields of `field_type` store. While a retype
    converts the cells, a read leaves out the ones that do not: they show as empty."""
    shape = _SHAPES.get(field_type)
    return shape is None or shape(value)


def choice_names(options: dict[str, Any]) -> set[str]:
    return {str(choice.get("name")) for choice in options.get("choices", [])}


def converted(value: Any, source: str, target: str, options: dict[str, Any]) -> Any:
    """`value`, stored by a field of type `source`, as a field of type `target` with `options`
    stores it; None clears the cell. Select choices must be in `options` to be kept."""
    if is_empty(value) or target in COMPUTED_TYPES:
        return None
    if _settled(target, value, options):
        return value
    if source == LINK:
        # Linked records have no value of their own to convert.
        return None
    if target in TEXT_TYPES:
        return text_of(value, source) or None
    try:
        result = _CONVERTERS[target](value, source, options)
    except (ValueError, TypeError, LookupError, ArithmeticError):
        return None
    return None if is_empty(result) else result


def _settled(target: str, value: Any, options: dict[str, Any]) -> bool:
    """Already in the target's stored form, with choices it has and a rating in its range."""
    if not has_shape(target, value):
        return False
    if target in SELECT_TYPES:
        names = value if isinstance(value, list) else [value]
        return set(names) <= choice_names(options)
    if target == "rating":
        return bool(1 <= value <= int(options.get("max", 5)))
    return True


def wanted_choices(value: Any, source: str, target: str) -> list[str]:
    """The choice names a cell needs in a select field it is converted to."""
    if is_empty(value) or source == LINK:
        return []
    if target == "singleSelect":
        return [name] if (name := _choice_name(value, source)) else []
    return _choice_list(value, source)


def text_of(value: Any, source: str = "") -> str:
    """A cell as text, as a text field converted from `source` shows it."""
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "checked" if value else ""
    if _is_number(value):
        if source == "percent":
            return f"{_number_text(value * 100)}%"
        if source == "duration":
            seconds = int(value)
            return f"{seconds // 3600}:{seconds % 3600 // 60:02d}"
        return _number_text(value)
    if isinstance(value, list):
        return _LIST_SEPARATOR.join(filter(None, (text_of(item) for item in value)))
    if isinstance(value, dict):
        for key in ("name", "email", "text", "filename", "label", "id"):
            if isinstance(value.get(key), str) and value[key]:
                return str(value[key])
    return ""


def _number_text(value: float) -> str:
    if float(value).is_integer():
        return str(int(value))
    return format(value, ".15g")


def _number(value: Any, source: str, options: dict[str, Any], *, percent: bool = False) -> Any:
    if _is_number(value):
        return value
    if value is True:
        return 1
    text = re.sub(r"[\s,]", "", text_of(value, source)).lstrip("$€£¥")
    number = float(text.rstrip("%"))
    if not math.isfinite(number):
        return None
    if percent and text.endswith("%"):
        number /= 100
    return int(number) if number.is_integer() else number


def _percent(value: Any, source: str, options: dict[str, Any]) -> Any:
    return _number(value, source, options, percent=True)


def _duration(value: Any, source: str, options: dict[str, Any]) -> Any:
    match = _DURATION.match(value.strip()) if isinstance(value, str) else None
    if match is None:
        return _number(value, source, options)
    hours, minutes, seconds = match.groups()
    total = int(hours) * 3600 + int(minutes) * 60 + float(seconds or 0)
    return int(total) if total.is_integer() else total


def _rating(value: Any, source: str, options: dict[str, Any]) -> int | None:
    stars = round(_number(value, source, options))
    return stars if 1 <= stars <= int(options.get("max", 5)) else None


def _checkbox(value: Any, source: str, options: dict[str, Any]) -> bool | None:
    if _is_number(value):
        return True if value else None
    return True if text_of(value, source).strip().lower() in TRUE_WORDS else None


def _choice_name(value: Any, source: str) -> str:
    if isinstance(value, list):
        value = value[0] if value else ""
    return text_of(value, source).strip()


def _choice_list(value: Any, source: str) -> list[str]:
    if isinstance(value, list):
        items = [text_of(item).strip() for item in value]
    elif source == "singleSelect":
        items = [text_of(value).strip()]
    else:
        items = [part.strip() for part in text_of(value, source).split(",")]
    return list(dict.fromkeys(item for item in items if item))


def _single_select(value: Any, source: str, options: dict[str, Any]) -> str | None:
    name = _choice_name(value, source)
    return name if name in choice_names(options) else None


def _multiple_selects(value: Any, source: str, options: dict[str, Any]) -> list[str]:
    known = choice_names(options)
    return [name for name in _choice_list(value, source) if name in known]


def _moment(value: Any, zone: dt.tzinfo) -> dt.datetime:
    """The moment a date or date-time text means, in `zone` when it names none."""
    if not isinstance(value, str):
        raise ValueError("not a date")
    text = value.strip()
    try:
        moment = dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        moment = date_parser.parse(text)
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=zone)


def _date(value: Any, source: str, options: dict[str, Any]) -> str:
    return _moment(value, dt.UTC).astimezone(dt.UTC).date().isoformat()


def _date_time(value: Any, source: str, options: dict[str, Any]) -> str:
    name = str(options.get("timeZone", "utc"))
    zone = dt.UTC if name in ("utc", "client") else zoneinfo.ZoneInfo(name)
    return iso(_moment(value, zone))


def _collaborator(value: Any, source: str, options: dict[str, Any]) -> Any:
    return value[0] if _is_dicts(value) and value and "id" in value[0] else None


def _collaborators(value: Any, source: str, options: dict[str, Any]) -> Any:
    return [value] if isinstance(value, dict) and "id" in value else None


def _barcode(value: Any, source: str, options: dict[str, Any]) -> dict[str, str]:
    return {"text": text_of(value, source)}


def _cleared(value: Any, source: str, options: dict[str, Any]) -> None:
    """Links and attachments cannot be made from other values."""
    return None


_CONVERTERS: dict[str, Callable[[Any, str, dict[str, Any]], Any]] = {
    "number": _number,
    "currency": _number,
    "percent": _percent,
    "duration": _duration,
    "rating": _rating,
    "checkbox": _checkbox,
    "singleSelect": _single_select,
    "multipleSelects": _multiple_selects,
    "date": _date,
    "dateTime": _date_time,
    "singleCollaborator": _collaborator,
    "multipleCollaborators": _collaborators,
    "barcode": _barcode,
    LINK: _cleared,
    "multipleAttachments": _cleared,
}
