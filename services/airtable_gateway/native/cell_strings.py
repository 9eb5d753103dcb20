"""Cell values as the strings Airtable's UI shows (cellFormat=string), in a zone and locale."""

from __future__ import annotations

import datetime as dt
from typing import Any
from zoneinfo import ZoneInfo

from services.airtable_gateway.native.tables import LINK
from services.shared.errors import InvalidArgument
from services.shared.time_zones import time_zone

_LIST_SEPARATOR = ", "


def cell_string(
    value: Any,
    kind: str,
    options: dict[str, Any],
    zone: ZoneInfo,
    locale: str,
    names: dict[str, str],
) -> str:
    """`value` of a field of type `kind`. `names` are linked records' primary values by id."""
    if isinstance(value, dict) and "error" in value:
        return str(value["error"])
    if kind == LINK:
        return _LIST_SEPARATOR.join(names.get(record_id, record_id) for record_id in value)
    if kind in ("number", "currency", "percent"):
        return _number(value, kind, options)
    if kind == "duration":
        return _duration(value)
    if kind == "checkbox":
        return "checked" if value else ""
    if kind == "date":
        return _date(dt.date.fromisoformat(str(value)), options, locale)
    if kind in ("dateTime", "createdTime", "lastModifiedTime"):
        return _date_time(str(value), options, zone, locale)
    if kind == "multipleAttachments":
        return _LIST_SEPARATOR.join(f"{item['filename']} ({item['url']})" for item in value)
    return _text(value)


def _text(value: Any) -> str:
    if isinstance(value, list):
        return _LIST_SEPARATOR.join(_text(item) for item in value)
    if isinstance(value, dict):
        for key in ("name", "email", "text", "label", "filename", "id"):
            if value.get(key):
                return str(value[key])
        return ""
    if isinstance(value, bool):
        return "checked" if value else ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _number(value: Any, kind: str, options: dict[str, Any]) -> str:
    if not isinstance(value, int | float):
        return _text(value)
    default = 2 if kind == "currency" else 0 if kind == "percent" else None
    precision = options.get("precision", default)
    amount = value * 100 if kind == "percent" else value
    if precision is None:
        text = _text(amount)
    elif kind == "currency":
        text = f"{abs(amount):,.{int(precision)}f}"
    else:
        text = f"{amount:.{int(precision)}f}"
    if kind == "currency":
        return f"{'-' if amount < 0 else ''}{options.get('symbol', '$')}{text}"
    return f"{text}%" if kind == "percent" else text


def _duration(value: Any) -> str:
    seconds = int(value)
    return f"{seconds // 3600}:{seconds % 3600 // 60:02d}"


def _date(day: dt.date, options: dict[str, Any], locale: str) -> str:
    name = str((options.get("dateFormat") or {}).get("name", "local"))
    if name == "iso":
        return day.isoformat()
    if name == "friendly":
        return f"{day:%B} {day.day}, {day.year}"
    if name == "european" or (name == "local" and not locale.lower().startswith("en-us")):
        return f"{day.day}/{day.month}/{day.year}"
    return f"{day.month}/{day.day}/{day.year}"


def _field_zone(name: str, client: dt.tzinfo) -> dt.tzinfo:
    """A field's own zone: "client" (the request's), or one of Airtable's time zone names."""
    if name in ("client", ""):
        return client
    try:
        return time_zone(name)
    except InvalidArgument:
        # schema-service checks the option; a name it once allowed still shows the cell.
        return client


def _date_time(value: str, options: dict[str, Any], zone: ZoneInfo, locale: str) -> str:
    # createdTime and lastModifiedTime keep their format under `result`.
    if "dateFormat" not in options:
        options = (options.get("result") or {}).get("options") or options
    stamp = dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
    local = stamp.astimezone(_field_zone(str(options.get("timeZone", "client")), zone))
    day = _date(local.date(), options, locale)
    time_name = str((options.get("timeFormat") or {}).get("name", "12hour"))
    if time_name == "24hour":
        return f"{day} {local:%H:%M}"
    hour = local.hour % 12 or 12
    return f"{day} {hour}:{local:%M}{'am' if local.hour < 12 else 'pm'}"
