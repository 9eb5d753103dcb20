"""Cell values between protobuf Structs, stored JSON and Airtable's API."""

from __future__ import annotations

import datetime as dt
from typing import Any

from google.protobuf import json_format, struct_pb2


def plain(value: Any) -> Any:
    """A JSON value with whole floats as ints: Structs carry every number as a double."""
    if isinstance(value, float) and value.is_integer() and abs(value) < 2**53:
        return int(value)
    if isinstance(value, list):
        return [plain(item) for item in value]
    if isinstance(value, dict):
        return {key: plain(item) for key, item in value.items()}
    return value


def from_struct(struct: struct_pb2.Struct) -> dict[str, Any]:
    converted: dict[str, Any] = plain(json_format.MessageToDict(struct))
    return converted


def to_struct(values: dict[str, Any]) -> struct_pb2.Struct:
    struct = struct_pb2.Struct()
    struct.update(values)
    return struct


def is_empty(value: Any) -> bool:
    """Airtable leaves these cells out of answers and never stores them."""
    return value is None or value is False or value == "" or value == [] or value == {}


def iso(stamp: dt.datetime) -> str:
    """Airtable's timestamp form: UTC with milliseconds, e.g. 2024-01-02T03:04:05.000Z."""
    utc = stamp.astimezone(dt.UTC)
    return utc.strftime("%Y-%m-%dT%H:%M:%S.") + f"{utc.microsecond // 1000:03d}Z"
