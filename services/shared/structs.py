"""JSON values and protobuf Structs, both ways: the one place they are converted."""

from __future__ import annotations

from typing import Any

from google.protobuf import json_format, struct_pb2


def plain(value: Any) -> Any:
    """A JSON value with whole floats as ints: Structs carry every number as a double, and
    Airtable writes whole numbers without ".0"."""
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
    """A Struct of `values`; ValueError or TypeError for what JSON can't hold."""
    struct = struct_pb2.Struct()
    struct.update(values)
    return struct
