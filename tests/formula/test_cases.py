"""The case table in all three modes: evaluated through EvaluateRecords on FULL and on EMPTY,
values and JSON types; translated and run as a filter on real SQLite and PostgreSQL; and the
translated value against the evaluated one. And the table's honesty: every case says where its
values come from."""

from __future__ import annotations

from typing import Any

import asyncpg
import pytest
from google.protobuf import json_format, struct_pb2
from pyat.formula.v1 import formula_pb2 as pb
from pyat.formula.v1 import formula_pb2_grpc

from tests.formula.cases import ALL_CASES, CASES, OUR_DECISIONS, OUR_RULES, REFERENCE
from tests.formula.conftest import CALLER
from tests.formula.scratch import EMPTY, FULL, SqliteRows, pg_run, shown, table, truthy

FORMULAS = [case.formula for case in ALL_CASES]


def json_type(value: Any) -> str:
    """The JSON type a Python value stands for, named as google.protobuf.Value names it."""
    if isinstance(value, bool):
        return "bool_value"
    if isinstance(value, int | float):
        return "number_value"
    if isinstance(value, str):
        return "string_value"
    if value is None:
        return "null_value"
    return "list_value" if isinstance(value, list) else "struct_value"


async def evaluate_all(
    stub: formula_pb2_grpc.FormulaServiceStub,
) -> list[list[struct_pb2.Value]]:
    """Every case on FULL and on EMPTY, in one call, as the Values the service answers."""
    request = pb.EvaluateRecordsRequest(
        formulas=FORMULAS, table=table(), records=[FULL.record(), EMPTY.record()]
    )
    answer = await stub.EvaluateRecords(request, metadata=CALLER)
    return [list(record.values) for record in answer.records]


def test_every_case_names_its_source() -> None:
    assert not set(REFERENCE) & set(OUR_RULES), "a key must say whose rule it is"
    for case in CASES:
        assert case.sources, case
        unknown = [key for key in case.sources if key not in REFERENCE]
        assert not unknown, f"{case.formula}: {unknown} are not in the reference"
    for case in OUR_DECISIONS:
        assert any(key in OUR_RULES for key in case.sources), f"{case.formula}: no rule of ours"
        unknown = [key for key in case.sources if key not in REFERENCE and key not in OUR_RULES]
        assert not unknown, f"{case.formula}: {unknown} are nobody's rules"
    assert len(set(FORMULAS)) == len(FORMULAS), "a formula is in the table twice"
    cited = {key for case in ALL_CASES for key in case.sources}
    assert not (set(REFERENCE) | set(OUR_RULES)) - cited, "a rule no case follows"


async def test_every_case_evaluates_to_its_value_and_json_type_on_both_records(
    formulas: formula_pb2_grpc.FormulaServiceStub,
) -> None:
    full, empty = await evaluate_all(formulas)
    wrong = []
    for at, case in enumerate(ALL_CASES):
        for record, expected, got in (
            ("FULL", case.full, full[at]),
            ("EMPTY", case.empty, empty[at]),
        ):
            value = json_format.MessageToDict(got)
            if shown(value) != shown(expected) or got.WhichOneof("kind") != json_type(expected):
                wrong.append(
                    f"{case.formula} on {record}: expected {expected!r} ({json_type(expected)}), "
                    f"got {value!r} ({got.WhichOneof('kind')})"
                )
    assert not wrong, "\n".join(wrong)
    assert len(CASES) >= 130 and len(ALL_CASES) >= 300


def _sql_json_type(value: Any) -> str:
    """What JSON type an SQL result shows as: booleans come back as 1/0, dates as ISO text."""
    return "number_value" if isinstance(value, int | float) else json_type(value)


@pytest.mark.postgres
async def test_translations_agree_with_evaluation_on_sqlite_and_postgres(
    formulas: formula_pb2_grpc.FormulaServiceStub,
    sqlite_rows: SqliteRows,
    pg_rows: tuple[asyncpg.Connection, str],
) -> None:
    values = await evaluate_all(formulas)
    evaluated = {
        rid: [json_format.MessageToDict(value) for value in record]
        for rid, record in zip((FULL.id, EMPTY.id), values, strict=True)
    }
    conn, pg_table = pg_rows
    translated = {"sqlite": 0, "postgresql": 0}
    wrong = []
    for at, formula in enumerate(FORMULAS):
        for dialect, name in ((pb.DIALECT_SQLITE, "sqlite"), (pb.DIALECT_POSTGRESQL, "postgresql")):
            request = pb.TranslateRequest(formula=formula, table=table(), dialect=dialect)
            answer = await formulas.Translate(request, metadata=CALLER)
            if not answer.translated:
                assert answer.reason and not answer.sql
                continue
            translated[name] += 1
            params = json_format.MessageToDict(answer.params)
            for rid in (FULL.id, EMPTY.id):
                if name == "sqlite":
                    value, truth = sqlite_rows.run(answer.sql, answer.sql_condition, params, rid)
                else:
                    value, truth = await pg_run(
                        conn, pg_table, answer.sql, answer.sql_condition, params, rid
                    )
                expected = evaluated[rid][at]
                if (
                    shown(value) != shown(expected)
                    or _sql_json_type(value) != json_type(expected)
                    or truth != truthy(expected)
                ):
                    wrong.append(f"{name} {rid} {formula}: SQL {value!r}/{truth}, "
                                 f"evaluated {expected!r}")  # fmt: skip
    print(f"translated of {len(FORMULAS)}: {translated}")
    assert not wrong, "\n".join(wrong)
    assert translated["sqlite"] >= 100 and translated["postgresql"] >= 120
