"""Reading a request's JSON body and query string, refusing wrong shapes with a clear 422."""

from __future__ import annotations

import json
import math
from collections.abc import Collection, Mapping
from typing import Any

from aiohttp import web
from multidict import MultiMapping

from services.airtable_gateway.rest.errors import invalid_request

# Airtable's limit on the records one request may create, update or delete.
MAX_RECORDS = 10
JsonObject = dict[str, Any]


async def json_body(request: web.Request) -> JsonObject:
    """The request's body: one JSON object."""
    raw = await request.read()
    if not raw.strip():
        raise invalid_request("The request needs a JSON object as its body.")
    try:
        body = json.loads(raw, parse_constant=_no_constant, parse_float=_finite)
    except (ValueError, RecursionError):
        raise invalid_request("The request body is not valid JSON.") from None
    return an_object(body, "the request body")


def _no_constant(name: str) -> float:
    raise ValueError(f"{name} is not JSON")


def _finite(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):
        raise ValueError(f"{text} is out of range")
    return value


def an_object(value: object, what: str) -> JsonObject:
    if not isinstance(value, dict):
        raise invalid_request(f"Invalid {what}: it must be a JSON object.")
    return value


def only(body: Mapping[str, object], allowed: Collection[str], what: str) -> None:
    """Refuse keys nobody reads, so a typo is an error rather than silently ignored."""
    unknown = sorted(set(body) - set(allowed))
    if unknown:
        raise invalid_request(f"Unknown key {unknown[0]!r} in {what}.")


def string(body: Mapping[str, object], key: str, *, required: bool = False) -> str:
    value = body.get(key)
    if value is None:
        if required:
            raise invalid_request(f"Missing {key!r}: it is required.")
        return ""
    if not isinstance(value, str):
        raise invalid_request(f"Invalid {key!r}: it must be a string.")
    return value


def optional_string(body: Mapping[str, object], key: str) -> str | None:
    """A string that may be absent (None), as opposed to given empty."""
    return string(body, key) if key in body else None


def boolean(body: Mapping[str, object], key: str) -> bool:
    value = body.get(key, False)
    if value is None:
        return False
    if not isinstance(value, bool):
        raise invalid_request(f"Invalid {key!r}: it must be true or false.")
    return value


def integer(body: Mapping[str, object], key: str) -> int:
    value = body.get(key, 0)
    if value is None:
        return 0
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise invalid_request(f"Invalid {key!r}: it must be a positive integer.")
    return value


def strings(body: Mapping[str, object], key: str) -> list[str]:
    value = body.get(key, [])
    if value is None:
        return []
    if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
        raise invalid_request(f"Invalid {key!r}: it must be an array of strings.")
    return value


def objects(body: Mapping[str, object], key: str, *, limit: int | None = None) -> list[JsonObject]:
    """A required, non-empty array of JSON objects, of at most `limit` items."""
    value = body.get(key)
    if not isinstance(value, list) or not value:
        raise invalid_request(f"Invalid {key!r}: it must be a non-empty array.")
    if limit is not None and len(value) > limit:
        raise invalid_request(f"Invalid {key!r}: at most {limit} are allowed per request.")
    return [an_object(item, f"item of {key!r}") for item in value]


def query_value(query: MultiMapping[str], key: str) -> str:
    """A query parameter given once."""
    values = query.getall(key)
    if len(values) != 1:
        raise invalid_request(f"The query parameter {key!r} may be given only once.")
    return values[0]


def query_int(query: MultiMapping[str], key: str) -> int:
    value = query_value(query, key)
    if not value.isdigit():
        raise invalid_request(f"Invalid {key!r}: it must be a positive integer.")
    return int(value)


def query_bool(query: MultiMapping[str], key: str) -> bool:
    value = query_value(query, key).lower()
    if value not in ("true", "false", "1", "0"):
        raise invalid_request(f"Invalid {key!r}: it must be true or false.")
    return value in ("true", "1")
