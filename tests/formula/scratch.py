"""A typed test table, its records, and scratch copies of `airtable_records` on real SQLite and
PostgreSQL where translated formulas run."""

from __future__ import annotations

import datetime as dt
import json
import re
import sqlite3
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import asyncpg
from google.protobuf import json_format, struct_pb2
from pyat.formula.v1 import formula_pb2 as pb
from pyat.schema.v1 import schema_pb2

FIELDS: list[tuple[str, str, str, dict[str, Any]]] = [
    ("fldName0000000001", "Name", "singleLineText", {}),
    ("fldNotes000000001", "Notes", "multilineText", {}),
    ("fldPrice000000001", "Price", "currency", {"precision": 2}),
    ("fldQty00000000001", "Qty", "number", {"precision": 0}),
    ("fldDiscount000001", "Discount", "percent", {"precision": 0}),
    ("fldEmptyNumber001", "Empty Number", "number", {"precision": 0}),
    ("fldDone0000000001", "Done", "checkbox", {}),
    ("fldArchived000001", "Archived", "checkbox", {}),
    ("fldStatus00000001", "Status", "singleSelect", {"choices": []}),
    ("fldTags0000000001", "Tags", "multipleSelects", {"choices": []}),
    ("fldDue00000000001", "Due", "date", {}),
    ("fldStart000000001", "Start", "dateTime", {}),
    ("fldNoDate00000001", "No Date", "date", {}),
    ("fldEmail000000001", "Email", "email", {}),
    ("fldCreated0000001", "Created", "createdTime", {}),
    ("fldAuto0000000001", "Auto", "autoNumber", {}),
    ("fldTotal000000001", "Total", "formula", {"formula": "Price * Qty"}),
    ("fldLabel000000001", "Label", "formula", {"formula": "{Name} & ' (' & Status & ')'"}),
    ("fldLoopA000000001", "Loop A", "formula", {"formula": "{Loop B} + 1"}),
    ("fldLoopB000000001", "Loop B", "formula", {"formula": "{Loop A} + 1"}),
    ("fldOdd}Name000001", "Odd } Name", "singleLineText", {}),
]
IDS = {name: fid for fid, name, _, _ in FIELDS}


def table() -> schema_pb2.Table:
    fields = []
    for fid, name, ftype, options in FIELDS:
        opts = struct_pb2.Struct()
        opts.update(options)
        fields.append(schema_pb2.Field(id=fid, name=name, type=ftype, options=opts))
    return schema_pb2.Table(id="tblFormulaTest001", base_id="appFormulaTest001", name="Items",
                            primary_field_id=IDS["Name"], fields=fields)  # fmt: skip


@dataclass
class Row:
    """One record: cells by field id and the record's own columns."""

    id: str
    cells: dict[str, Any]
    auto_number: int = 1
    created: dt.datetime = dt.datetime(2024, 1, 2, 3, 4, 5, 678000, tzinfo=dt.UTC)
    modified: dt.datetime = dt.datetime(2024, 2, 3, 4, 5, 6, 789000, tzinfo=dt.UTC)
    extra: dict[str, Any] = field(default_factory=dict)

    def record(self) -> pb.Record:
        cells = struct_pb2.Struct()
        # autoNumber is a column in the database and a cell for EvaluateRecords.
        cells.update({**self.cells, IDS["Auto"]: self.auto_number})
        record = pb.Record(id=self.id, cells=cells)
        record.created_time.FromDatetime(self.created)
        record.last_modified_time.FromDatetime(self.modified)
        return record


FULL = Row(
    "recFull0000000001",
    {
        IDS["Name"]: "Widget Pro", IDS["Price"]: 19.99, IDS["Qty"]: 3, IDS["Discount"]: 0.25,
        IDS["Done"]: True, IDS["Status"]: "In progress", IDS["Tags"]: ["red", "blue", "red"],
        IDS["Due"]: "2024-03-15", IDS["Start"]: "2024-03-01T09:30:00.000Z",
        IDS["Email"]: "Ada@Example.com",
    },
    auto_number=7,
)  # fmt: skip
EMPTY = Row("recEmpty000000001", {}, auto_number=8)


def shown(value: Any) -> Any:
    """A value from evaluation or SQL in one representation: numbers as floats, bools as 1/0."""
    if isinstance(value, bool):
        return 1.0 if value else 0.0
    if isinstance(value, int | float):
        return float(value)
    return value


def truthy(value: Any) -> bool:
    """Truthiness of a shown value; errors and special values are falsy in a filter."""
    if isinstance(value, dict):
        return False
    return bool(value) and value != 0


_PARAM = re.compile(r":(fp\d+)\b")


class SqliteRows:
    def __init__(self, rows: Sequence[Row]) -> None:
        self.db = sqlite3.connect(":memory:")
        self.db.execute(
            "CREATE TABLE airtable_records (id TEXT PRIMARY KEY, tenant_id TEXT, base_id TEXT,"
            " table_id TEXT, cells TEXT, auto_number INTEGER, created_time DATETIME,"
            " last_modified_time DATETIME, created_by TEXT, last_modified_by TEXT)"
        )
        for row in rows:
            self.db.execute(
                "INSERT INTO airtable_records VALUES (?, 't', 'a', 't', ?, ?, ?, ?, 'u', 'u')",
                (row.id, json.dumps(row.cells), row.auto_number,
                 _sqlalchemy_text(row.created), _sqlalchemy_text(row.modified)),
            )  # fmt: skip

    def run(
        self, sql: str, condition: str, params: Mapping[str, Any], rid: str
    ) -> tuple[Any, bool]:
        query = (
            f"SELECT {sql}, CASE WHEN {condition} THEN 1 ELSE 0 END"
            " FROM airtable_records WHERE id = :rid"
        )
        value, truth = self.db.execute(query, {**params, "rid": rid}).fetchone()
        return value, bool(truth)


def _sqlalchemy_text(stamp: dt.datetime) -> str:
    """How SQLAlchemy stores a datetime on SQLite."""
    return stamp.astimezone(dt.UTC).replace(tzinfo=None).isoformat(sep=" ", timespec="microseconds")


def asyncpg_dsn(pg_url: str) -> str:
    return pg_url.replace("postgresql+asyncpg://", "postgresql://")


async def pg_setup(conn: asyncpg.Connection, table_name: str, rows: Sequence[Row]) -> None:
    await conn.execute(
        f"CREATE TABLE {table_name} (id TEXT PRIMARY KEY, tenant_id TEXT, base_id TEXT,"
        " table_id TEXT, cells JSONB NOT NULL, auto_number INTEGER, created_time TIMESTAMPTZ,"
        " last_modified_time TIMESTAMPTZ, created_by TEXT, last_modified_by TEXT)"
    )
    for row in rows:
        await conn.execute(
            f"INSERT INTO {table_name} VALUES ($1, 'ten', 'app', 'tbl', $2, $3, $4, $5, 'u', 'u')",
            row.id, json.dumps(row.cells), row.auto_number, row.created, row.modified,
        )  # fmt: skip


async def pg_run(
    conn: asyncpg.Connection, table_name: str, sql: str, condition: str,
    params: Mapping[str, Any], rid: str,
) -> tuple[Any, bool]:  # fmt: skip
    """Run with asyncpg's $n placeholders standing in for the :fpN names."""
    names: list[str] = []

    def number(match: re.Match[str]) -> str:
        if match.group(1) not in names:
            names.append(match.group(1))
        return f"${names.index(match.group(1)) + 1}"

    query = _PARAM.sub(
        number, f"SELECT {sql}, ({condition}) FROM {table_name} WHERE id = :fprid"
    ).replace(":fprid", "$" + str(len(names) + 1))
    args = [params[name] for name in names]
    row = await conn.fetchrow(query, *args, rid)
    assert row is not None
    return _pg_value(row[0]), bool(row[1])


def _pg_value(value: Any) -> Any:
    return float(value) if isinstance(value, int | float) and not isinstance(value, bool) else value


def evaluated(answer: struct_pb2.Value) -> Any:
    return json_format.MessageToDict(answer)
