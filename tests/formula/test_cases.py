"""The case table in all three modes: evaluated through EvaluateRecords; translated and run as
a filter on real SQLite and PostgreSQL; and the translated value against the evaluated one."""

from __future__ import annotations

from typing import Any

import asyncpg
import pytest
from google.protobuf import json_format
from pyat.formula.v1 import formula_pb2 as pb
from pyat.formula.v1 import formula_pb2_grpc

from tests.formula.cases import CASES
from tests.formula.conftest import CALLER
from tests.formula.scratch import EMPTY, FULL, SqliteRows, pg_run, shown, table, truthy

FORMULAS = [formula for formula, _ in CASES]


async def evaluate_all(stub: formula_pb2_grpc.FormulaServiceStub) -> list[list[Any]]:
    """Every case on FULL and on EMPTY, in one call."""
    request = pb.EvaluateRecordsRequest(
        formulas=FORMULAS, table=table(), records=[FULL.record(), EMPTY.record()]
    )
    answer = await stub.EvaluateRecords(request, metadata=CALLER)
    return [[json_format.MessageToDict(v) for v in record.values] for record in answer.records]


async def test_every_case_evaluates_to_airtables_value(
    formulas: formula_pb2_grpc.FormulaServiceStub,
) -> None:
    full, _ = await evaluate_all(formulas)
    wrong = [
        (formula, expected, got)
        for (formula, expected), got in zip(CASES, full, strict=True)
        if shown(got) != shown(expected)
    ]
    assert not wrong, "\n".join(f"{f}: expected {e!r}, got {g!r}" for f, e, g in wrong)
    assert len(CASES) >= 150


@pytest.mark.postgres
async def test_translations_agree_with_evaluation_on_sqlite_and_postgres(
    formulas: formula_pb2_grpc.FormulaServiceStub,
    sqlite_rows: SqliteRows,
    pg_rows: tuple[asyncpg.Connection, str],
) -> None:
    evaluated = dict(zip((FULL.id, EMPTY.id), await evaluate_all(formulas), strict=True))
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
                if shown(value) != shown(expected) or truth != truthy(expected):
                    wrong.append(f"{name} {rid} {formula}: SQL {value!r}/{truth}, "
                                 f"evaluated {expected!r}")  # fmt: skip
    print(f"translated of {len(FORMULAS)}: {translated}")
    assert not wrong, "\n".join(wrong)
    assert translated["sqlite"] >= 100 and translated["postgresql"] >= 120
