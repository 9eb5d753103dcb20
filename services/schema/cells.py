"""Cell values as records send them, turned into their stored form (see the stored record
format) field type by field type, with Airtable's typecast when asked. None means "clear"."""

from __future__ import annotations

import datetime as dt
import math
import mimetypes
import re
import zoneinfo
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import unquote, urlsplit

from dateutil import parser as date_parser

from services.schema.storage import FieldRow
from services.shared.ids import looks_like, new_id

TRUE_WORDS = frozenset({"true", "yes", "y", "1", "on", "checked", "x", "✓", "✔"})
FALSE_WORDS = frozenset({"false", "no", "n", "0", "off", "unchecked", ""})
_DURATION = re.compile(r"^(\d+):([0-5]?\d)(?::([0-5]?\d(?:\.\d+)?))?$")
_ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
# A collaborator as a request names them: ("id", "usr...") or ("email", "a@b.c").
UserRef = tuple[str, str]


class BadCell(Exception):
    def __init__(self, problem: str, reason: str = "INVALID_VALUE_FOR_COLUMN") -> None:
        super().__init__(problem)
        self.problem = problem
        self.reason = reason


@dataclass
class CellContext:
    typecast: bool
    # Resolved collaborators: {"id", "email", "name"}.
    users: Mapping[UserRef, dict[str, str]] = field(default_factory=dict)
    # Select choices to add (typecast), by field id, in order of appearance.
    new_choices: dict[str, list[str]] = field(default_factory=dict)


def is_blank(value: Any) -> bool:
    return value is None or value == "" or value == [] or value is False


def stored(row: FieldRow, value: Any, ctx: CellContext) -> Any:
    """The stored form of `value` in a field, or None to clear the cell."""
    if is_blank(value):
        return None
    result = _CONVERTERS[row.type](row, value, ctx)
    return None if is_blank(result) else result


def _text(row: FieldRow, value: Any, ctx: CellContext) -> str:
    if isinstance(value, str):
        return value
    if ctx.typecast and isinstance(value, (int, float, bool)):
        return str(value).lower() if isinstance(value, bool) else _number_text(value)
    if ctx.typecast and isinstance(value, list):
        return ", ".join(_text(row, v, ctx) for v in value if not is_blank(v))
    raise BadCell("expects a string")


def _number_text(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else str(value)


def _number(row: FieldRow, value: Any, ctx: CellContext) -> int | float:
    number: float
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        number = value
    elif ctx.typecast and isinstance(value, str):
        number = _parse_number(value, percent=row.type == "percent")
    else:
        raise BadCell("expects a number")
    if not math.isfinite(number):
        raise BadCell("expects a finite number")
    return int(number) if float(number).is_integer() else number


def _parse_number(text: str, *, percent: bool) -> float:
    """'1,234.5', '$ 12', '50%' (a fraction in a percent field), '-3e2'."""
    cleaned = re.sub(r"[\s,]", "", text).lstrip("$€£¥")
    is_percent = cleaned.endswith("%")
    try:
        number = float(cleaned.rstrip("%"))
    except ValueError:
        raise BadCell(f"cannot turn {text!r} into a number") from None
    return number / 100 if percent and is_percent else number


def _rating(row: FieldRow, value: Any, ctx: CellContext) -> int | None:
    number = _number(row, value, ctx)
    top = int(row.options.get("max", 5))
    if number == 0:
        return None
    if not isinstance(number, int) or not 1 <= number <= top:
        raise BadCell(f"expects a whole number from 1 to {top}")
    return number


def _duration(row: FieldRow, value: Any, ctx: CellContext) -> int | float:
    if ctx.typecast and isinstance(value, str):
        match = _DURATION.match(value.strip())
        if match:
            hours, minutes, seconds = match.groups()
            total = int(hours) * 3600 + int(minutes) * 60 + float(seconds or 0)
            return int(total) if total.is_integer() else total
    return _number(row, value, ctx)


def _checkbox(row: FieldRow, value: Any, ctx: CellContext) -> bool | None:
    if value is True:
        return True
    if ctx.typecast and isinstance(value, str) and value.strip().lower() in TRUE_WORDS:
        return True
    if ctx.typecast and isinstance(value, str) and value.strip().lower() in FALSE_WORDS:
        return None
    if ctx.typecast and isinstance(value, (int, float)):
        return True if value else None
    raise BadCell("expects true or false")


def _choice(row: FieldRow, value: Any, ctx: CellContext) -> str:
    name = value if isinstance(value, str) else None
    if name is None and ctx.typecast and isinstance(value, (int, float)):
        name = _number_text(value)
    if name is None:
        raise BadCell("expects the name of a choice")
    if any(c["name"] == name for c in row.options.get("choices", [])):
        return name
    if not ctx.typecast:
        raise BadCell(
            f'Insufficient permissions to create new select option ""{name}""',
            reason="INVALID_MULTIPLE_CHOICE_OPTIONS",
        )
    name = name.strip()
    adding = ctx.new_choices.setdefault(row.id, [])
    if name not in adding and not any(c["name"] == name for c in row.options["choices"]):
        adding.append(name)
    return name


def _choices(row: FieldRow, value: Any, ctx: CellContext) -> list[str]:
    items = _items(value, ctx)
    names = [_choice(row, item, ctx) for item in items if not is_blank(item)]
    return list(dict.fromkeys(names))


def _items(value: Any, ctx: CellContext) -> list[Any]:
    """A list cell's items: with typecast, one value or a comma-separated string will do."""
    if isinstance(value, list):
        return value
    if ctx.typecast and isinstance(value, str):
        return [part.strip() for part in value.split(",")]
    if ctx.typecast:
        return [value]
    raise BadCell("expects a list")


def _zone(row: FieldRow) -> dt.tzinfo:
    name = row.options.get("timeZone", "utc")
    return dt.UTC if name in ("utc", "client") else zoneinfo.ZoneInfo(name)


def _parse_when(row: FieldRow, value: Any, ctx: CellContext) -> dt.datetime:
    """The moment a date or date-time cell means (naive when no zone was given)."""
    if not isinstance(value, str):
        raise BadCell("expects a date string such as 2024-01-31")
    text = value.strip()
    if _ISO_DATE.match(text):
        return dt.datetime.fromisoformat(text)
    try:
        return dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        if not ctx.typecast:
            raise BadCell(f"cannot read {value!r} as an ISO 8601 date") from None
    day_first = row.options.get("dateFormat", {}).get("name") == "european"
    try:
        parsed: dt.datetime = date_parser.parse(text, dayfirst=day_first)
    except (ValueError, OverflowError):
        raise BadCell(f"cannot read {value!r} as a date") from None
    return parsed


def _date(row: FieldRow, value: Any, ctx: CellContext) -> str:
    moment = _parse_when(row, value, ctx)
    return moment.date().isoformat()


def _date_time(row: FieldRow, value: Any, ctx: CellContext) -> str:
    moment = _parse_when(row, value, ctx)
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=_zone(row))
    utc = moment.astimezone(dt.UTC)
    return utc.strftime("%Y-%m-%dT%H:%M:%S.") + f"{utc.microsecond // 1000:03d}Z"


def _links(row: FieldRow, value: Any, ctx: CellContext) -> list[str]:
    ids: list[str] = []
    for item in _items(value, ctx):
        record_id = item.get("id") if isinstance(item, dict) else item
        if not isinstance(record_id, str) or not looks_like(record_id, "rec"):
            raise BadCell(f"{item!r} is not a record id", reason="INVALID_RECORD_ID")
        ids.append(record_id)
    return list(dict.fromkeys(ids))


def _attachments(row: FieldRow, value: Any, ctx: CellContext) -> list[dict[str, Any]]:
    items = _items(value, ctx)
    return [_attachment({"url": i} if ctx.typecast and isinstance(i, str) else i) for i in items]


def _attachment(item: Any) -> dict[str, Any]:
    if not isinstance(item, dict) or not isinstance(item.get("url"), str):
        raise BadCell(
            "expects attachments as objects with a url", reason="INVALID_ATTACHMENT_OBJECT"
        )
    url = item["url"]
    if urlsplit(url).scheme not in ("http", "https"):
        raise BadCell(f"{url!r} is not an http(s) URL", reason="INVALID_ATTACHMENT_OBJECT")
    filename = item.get("filename") or unquote(urlsplit(url).path.rsplit("/", 1)[-1]) or "file"
    attachment_id = item.get("id")
    size = item.get("size", 0)
    return {
        "id": attachment_id if isinstance(attachment_id, str) and looks_like(attachment_id, "att")
        else new_id("att"),
        "url": url,
        "filename": str(filename),
        "size": int(size) if isinstance(size, (int, float)) and size >= 0 else 0,
        "type": item.get("type") or mimetypes.guess_type(str(filename))[0]
        or "application/octet-stream",
    }  # fmt: skip


def user_ref(item: Any, typecast: bool) -> UserRef:
    """How a collaborator is named: {"id": ...}, {"email": ...}, or (typecast) either as text."""
    if typecast and isinstance(item, str):
        return ("email", item.strip().lower()) if "@" in item else ("id", item.strip())
    if isinstance(item, dict) and isinstance(item.get("id"), str):
        return ("id", item["id"])
    if isinstance(item, dict) and isinstance(item.get("email"), str):
        return ("email", item["email"].strip().lower())
    raise BadCell("expects a collaborator as {id} or {email}", reason="INVALID_COLLABORATOR")


def user_refs(row: FieldRow, value: Any, typecast: bool) -> list[UserRef]:
    """The collaborators a cell names, before they are looked up."""
    if is_blank(value):
        return []
    if row.type == "singleCollaborator":
        return [user_ref(value, typecast)]
    return [user_ref(item, typecast) for item in _items(value, CellContext(typecast))]


def _collaborator(row: FieldRow, value: Any, ctx: CellContext) -> dict[str, str]:
    return _user(user_ref(value, ctx.typecast), ctx)


def _collaborators(row: FieldRow, value: Any, ctx: CellContext) -> list[dict[str, str]]:
    users = [_user(ref, ctx) for ref in user_refs(row, value, ctx.typecast)]
    return list({u["id"]: u for u in users}.values())


def _user(ref: UserRef, ctx: CellContext) -> dict[str, str]:
    user = ctx.users.get(ref)
    if user is None:
        raise BadCell(f"no collaborator with {ref[0]} {ref[1]!r}", reason="INVALID_COLLABORATOR")
    return user


def _barcode(row: FieldRow, value: Any, ctx: CellContext) -> dict[str, str]:
    if ctx.typecast and isinstance(value, (str, int, float)):
        value = {"text": value if isinstance(value, str) else _number_text(value)}
    if not isinstance(value, dict) or not isinstance(value.get("text"), str):
        raise BadCell("expects a barcode as {text, type}")
    if value.get("type") is not None and not isinstance(value["type"], str):
        raise BadCell("expects a barcode type to be a string")
    barcode = {"text": value["text"]}
    return barcode | ({"type": value["type"]} if value.get("type") else {})


_CONVERTERS: dict[str, Callable[[FieldRow, Any, CellContext], Any]] = {
    "singleLineText": _text,
    "multilineText": _text,
    "richText": _text,
    "email": _text,
    "url": _text,
    "phoneNumber": _text,
    "number": _number,
    "currency": _number,
    "percent": _number,
    "duration": _duration,
    "rating": _rating,
    "checkbox": _checkbox,
    "singleSelect": _choice,
    "multipleSelects": _choices,
    "date": _date,
    "dateTime": _date_time,
    "multipleRecordLinks": _links,
    "multipleAttachments": _attachments,
    "singleCollaborator": _collaborator,
    "multipleCollaborators": _collaborators,
    "barcode": _barcode,
}
