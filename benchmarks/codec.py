"""Serialize and parse of representative messages with protobuf (upb) and with betterproto2.

The messages are defined here from descriptors, not in proto/: a record with 20 fields, a page
of 100 records and a permission check. betterproto2 code is generated at run time, by feeding
its protoc plugin the same descriptors.
"""

from __future__ import annotations

import datetime as dt
import functools
import importlib
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from google.protobuf import descriptor_pb2, descriptor_pool, message_factory, timestamp_pb2
from google.protobuf.compiler import plugin_pb2
from google.protobuf.internal import api_implementation
from google.protobuf.message import Message

FILE_NAME = "bench_codec.proto"
PACKAGE = "bench.codec.v1"
_F = descriptor_pb2.FieldDescriptorProto
_TIMESTAMP = ".google.protobuf.Timestamp"

# The Record: the shape of an Airtable-style row with typed columns.
_RECORD_FIELDS: list[tuple[str, int, int, str]] = [
    *[
        (name, _F.TYPE_STRING, _F.LABEL_OPTIONAL, "")
        for name in ("id", "base_id", "table_id", "name", "notes", "status", "owner_email", "url")
    ],
    ("amount", _F.TYPE_DOUBLE, _F.LABEL_OPTIONAL, ""),
    ("quantity", _F.TYPE_INT64, _F.LABEL_OPTIONAL, ""),
    ("rating", _F.TYPE_INT32, _F.LABEL_OPTIONAL, ""),
    ("score", _F.TYPE_DOUBLE, _F.LABEL_OPTIONAL, ""),
    ("done", _F.TYPE_BOOL, _F.LABEL_OPTIONAL, ""),
    ("archived", _F.TYPE_BOOL, _F.LABEL_OPTIONAL, ""),
    ("created_time", _F.TYPE_MESSAGE, _F.LABEL_OPTIONAL, _TIMESTAMP),
    ("updated_time", _F.TYPE_MESSAGE, _F.LABEL_OPTIONAL, _TIMESTAMP),
    ("tags", _F.TYPE_STRING, _F.LABEL_REPEATED, ""),
    ("attachment_ids", _F.TYPE_STRING, _F.LABEL_REPEATED, ""),
    ("linked_record_ids", _F.TYPE_STRING, _F.LABEL_REPEATED, ""),
    ("comment_count", _F.TYPE_INT64, _F.LABEL_OPTIONAL, ""),
]


def _message(
    file: descriptor_pb2.FileDescriptorProto, name: str, fields: list[tuple[str, int, int, str]]
) -> None:
    message = file.message_type.add(name=name)
    for number, (field_name, kind, label, type_name) in enumerate(fields, start=1):
        field = message.field.add(name=field_name, number=number, type=kind, label=label)  # type: ignore[arg-type]
        if type_name:
            field.type_name = type_name


def file_descriptor() -> descriptor_pb2.FileDescriptorProto:
    file = descriptor_pb2.FileDescriptorProto(
        name=FILE_NAME,
        package=PACKAGE,
        syntax="proto3",
        dependency=["google/protobuf/timestamp.proto"],
    )
    _message(file, "Record", _RECORD_FIELDS)
    _message(
        file,
        "RecordPage",
        [
            ("records", _F.TYPE_MESSAGE, _F.LABEL_REPEATED, f".{PACKAGE}.Record"),
            ("offset", _F.TYPE_STRING, _F.LABEL_OPTIONAL, ""),
        ],
    )
    _message(
        file,
        "CheckRequest",
        [
            (name, _F.TYPE_STRING, _F.LABEL_OPTIONAL, "")
            for name in ("tenant_id", "subject", "action", "resource_type", "resource_id")
        ],
    )
    return file


def _timestamp_file() -> descriptor_pb2.FileDescriptorProto:
    proto = descriptor_pb2.FileDescriptorProto()
    timestamp_pb2.DESCRIPTOR.CopyToProto(proto)
    return proto


def upb_classes() -> dict[str, type[Message]]:
    pool = descriptor_pool.DescriptorPool()
    pool.Add(_timestamp_file())
    pool.Add(file_descriptor())
    return {
        name: message_factory.GetMessageClass(pool.FindMessageTypeByName(f"{PACKAGE}.{name}"))
        for name in ("Record", "RecordPage", "CheckRequest")
    }


def sample_messages(classes: dict[str, type[Message]]) -> dict[str, Message]:
    """The three messages, filled as they would be in real use."""
    created = dt.datetime(2026, 3, 1, 9, 30, tzinfo=dt.UTC)

    def record(n: int) -> Message:
        msg = classes["Record"](
            id=f"rec{n:014d}",
            base_id="appQ3kLm9TxZ2wYv",
            table_id="tblH8sDf4Gj2Kl0P",
            name=f"Order {n} for Ada Lovelace",
            notes="Deliver to the side entrance; call ahead. " * 4,
            status="In progress",
            owner_email="ada@example.com",
            url=f"https://example.com/orders/{n}",
            amount=1234.5 + n,
            quantity=n * 3,
            rating=4,
            score=0.875,
            done=n % 2 == 0,
            archived=False,
            tags=["priority", "wholesale", "q1"],
            attachment_ids=[f"att{n:014d}", f"att{n + 1:014d}"],
            linked_record_ids=[f"rec{n + k:014d}" for k in range(1, 4)],
            comment_count=7,
        )
        msg.created_time.FromDatetime(created)  # type: ignore[attr-defined]
        msg.updated_time.FromDatetime(created + dt.timedelta(hours=n))  # type: ignore[attr-defined]
        return msg

    page = classes["RecordPage"](offset="itrA1b2C3d4/rec00000000000100")
    page.records.extend(record(n) for n in range(100))  # type: ignore[attr-defined]
    check = classes["CheckRequest"](
        tenant_id="tenX8y7Z6w5V4u3T",
        subject="user:usrA1b2C3d4E5f6G7",
        action="records.update",
        resource_type="table",
        resource_id="tblH8sDf4Gj2Kl0P",
    )
    return {"record (20 fields)": record(1), "page of 100 records": page, "permission check": check}


def betterproto2_classes(workdir: Path) -> dict[str, Any]:
    """Generate betterproto2 classes for the same file with its protoc plugin, and import them."""
    bindir = Path(sys.executable).parent
    files = [_timestamp_file(), file_descriptor()]
    for file in files:
        # The plugin reads comments from source info, which protoc always sends; ours is empty.
        file.source_code_info.SetInParent()
    request = plugin_pb2.CodeGeneratorRequest(file_to_generate=[FILE_NAME], proto_file=files)
    # The plugin formats its output with ruff, which lives beside it in the venv.
    env = {**os.environ, "PATH": f"{bindir}{os.pathsep}{os.environ.get('PATH', '')}"}
    done = subprocess.run(
        [str(bindir / "protoc-gen-python_betterproto2")],
        input=request.SerializeToString(),
        capture_output=True,
        env=env,
        check=True,
    )
    response = plugin_pb2.CodeGeneratorResponse.FromString(done.stdout)
    if response.error:
        raise RuntimeError(response.error)
    package = workdir / "bp2gen"
    for generated in response.file:
        path = package / generated.name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(generated.content)
    sys.path.insert(0, str(workdir))
    module = importlib.import_module("bp2gen." + PACKAGE)
    return {name: getattr(module, name) for name in ("Record", "RecordPage", "CheckRequest")}


def per_call_us(fn: Callable[[], object], repeat_s: float) -> float:
    """The best of five timings, each of a loop long enough to last about repeat_s."""
    number = 1
    while True:
        started = time.perf_counter()
        for _ in range(number):
            fn()
        elapsed = time.perf_counter() - started
        if elapsed >= repeat_s / 4:
            break
        number *= 2
    number = max(1, int(number * repeat_s / elapsed))
    best = float("inf")
    for _ in range(5):
        started = time.perf_counter()
        for _ in range(number):
            fn()
        best = min(best, (time.perf_counter() - started) / number)
    return round(best * 1e6, 2)


def run(quick: bool) -> dict[str, Any]:
    """The figures for every message and codec, as the report's "codec" section."""
    repeat_s = 0.01 if quick else 0.1
    classes = upb_classes()
    samples = sample_messages(classes)
    upb_name = f"protobuf {api_implementation.Type()}"
    rows: list[dict[str, Any]] = []
    with tempfile.TemporaryDirectory(prefix="pyat-bench-codec-") as tmp:
        try:
            bp2: dict[str, Any] | None = betterproto2_classes(Path(tmp))
            bp2_error = None
        except (ImportError, OSError, RuntimeError, subprocess.CalledProcessError) as exc:
            bp2, bp2_error = None, f"{type(exc).__name__}: {exc}"
        for label, message in samples.items():
            data = message.SerializeToString()
            cls = type(message)
            row: dict[str, Any] = {
                "message": label,
                "bytes": len(data),
                "upb": {
                    "serialize_us": per_call_us(message.SerializeToString, repeat_s),
                    "parse_us": per_call_us(functools.partial(cls.FromString, data), repeat_s),
                },
            }
            if bp2 is not None:
                bp2_cls = bp2[message.DESCRIPTOR.name]
                bp2_message = bp2_cls.parse(data)
                # The two must agree on the wire, or the comparison means nothing.
                if cls.FromString(bytes(bp2_message)) != message:
                    raise RuntimeError(f"betterproto2 does not round-trip the {label}")
                row["betterproto2"] = {
                    "serialize_us": per_call_us(bp2_message.__bytes__, repeat_s),
                    "parse_us": per_call_us(functools.partial(bp2_cls.parse, data), repeat_s),
                }
            rows.append(row)
    return {"upb": upb_name, "betterproto2_error": bp2_error, "messages": rows}


if __name__ == "__main__":
    import json

    print(json.dumps(run(quick="--quick" in sys.argv), indent=2))
