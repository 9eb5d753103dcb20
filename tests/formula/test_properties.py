"""Property: for random small formulas over random records, whenever a formula translates, its
SQL value and filter on real SQLite and PostgreSQL agree with evaluation."""

from __future__ import annotations

import asyncio
import datetime as dt
from typing import Any
from zoneinfo import ZoneInfo

import asyncpg
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from services.formula import engine
from services.formula.fields import table_fields
from services.formula.sql import Translation
from services.formula.sql_dialects import Postgres, Sqlite
from tests.fixtures.infra import make_unique_name
from tests.formula.scratch import (
    IDS,
    Row,
    SqliteRows,
    asyncpg_dsn,
    pg_run,
    pg_setup,
    shown,
    table,
    truthy,
)

FIELDS = tuple(table_fields(table()))
UTC = ZoneInfo("UTC")
NUMBERS = st.one_of(st.integers(-50, 50).map(float), st.floats(-1e6, 1e6, allow_nan=False).map(
    lambda x: round(x, 3)))  # fmt: skip
# ASCII plus a few accented letters; SQLite's lower() would differ beyond ASCII, but it is
# never asked to translate LOWER.
TEXTS = st.text(alphabet="abcAB xé-", max_size=6)
DATES = st.datetimes(dt.datetime(2000, 1, 1), dt.datetime(2030, 1, 1)).map(
    lambda d: d.replace(microsecond=d.microsecond // 1000 * 1000, tzinfo=dt.UTC)
)

number_leaf = st.one_of(
    NUMBERS.map(lambda n: repr(abs(n)) if n >= 0 else f"({n!r})"),
    st.sampled_from(["Qty", "Price", "{Empty Number}", "Discount", "{Auto}", "{Total}"]),
)
text_leaf = st.one_of(
    TEXTS.map(lambda t: '"' + t + '"'), st.sampled_from(["Name", "Notes", "Status", "Email"])
)
bool_leaf = st.sampled_from(["Done", "Archived", "TRUE()", "FALSE()", "BLANK()"])
date_leaf = st.sampled_from(
    ["Due", "Start", "{No Date}", "CREATED_TIME()", '"2024-03-01"', '"2024-03-01T10:00:00Z"']
)


def _numbers(inner: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
    two = st.tuples(inner, inner)
    return st.one_of(
        st.tuples(inner, st.sampled_from(["+", "-", "*"]), inner).map(lambda t: f"({' '.join(t)})"),
        inner.map(lambda a: f"ROUND({a}, 1)"), inner.map(lambda a: f"ABS({a})"),
        inner.map(lambda a: f"INT({a})"), inner.map(lambda a: f"-{a}"),
        inner.map(lambda a: f"({a} / 4)"), two.map(lambda t: f"MAX({t[0]}, {t[1]})"),
        two.map(lambda t: f"SUM({t[0]}, {t[1]})"), text_leaf.map(lambda t: f"LEN({t})"),
        st.tuples(st.sampled_from(["YEAR", "MONTH", "DAY", "HOUR", "MINUTE", "SECOND"]),
                  date_leaf).map(lambda t: f"{t[0]}({t[1]})"),
    )  # fmt: skip


numbers = st.recursive(number_leaf, _numbers, max_leaves=4)
texts = st.recursive(text_leaf, lambda inner: st.one_of(
    st.tuples(inner, inner).map(lambda t: f"({t[0]} & {t[1]})"),
    inner.map(lambda t: f"TRIM({t})"), inner.map(lambda t: f"LEFT({t}, 2)"),
    inner.map(lambda t: f"RIGHT({t}, 1)"), inner.map(lambda t: f"UPPER({t})"),
), max_leaves=3)  # fmt: skip
comparisons = st.one_of(
    st.tuples(numbers, st.sampled_from(["=", "!=", "<", ">=", "<="]), numbers | bool_leaf),
    st.tuples(texts, st.sampled_from(["=", "!=", "<", ">"]), texts),
    st.tuples(date_leaf, st.sampled_from(["=", "!=", "<", ">="]), date_leaf),
).map(lambda t: f"({' '.join(t)})")  # fmt: skip
conditions = st.recursive(st.one_of(comparisons, bool_leaf), lambda inner: st.one_of(
    st.tuples(inner, inner).map(lambda t: f"AND({t[0]}, {t[1]})"),
    st.tuples(inner, inner).map(lambda t: f"OR({t[0]}, {t[1]})"),
    inner.map(lambda c: f"NOT({c})"),
    st.tuples(inner, inner, inner).map(lambda t: f"XOR({', '.join(t)})"),
), max_leaves=3)  # fmt: skip
formulas = st.one_of(
    conditions, numbers, texts,
    st.tuples(conditions, numbers, numbers).map(lambda t: f"IF({t[0]}, {t[1]}, {t[2]})"),
    st.tuples(conditions, texts).map(lambda t: f"IF({t[0]}, {t[1]})"),
    st.tuples(texts, texts, numbers, numbers).map(
        lambda t: f"SWITCH({t[0]}, {t[1]}, {t[2]}, {t[3]})"),
)  # fmt: skip


def _maybe(strategy: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    return st.one_of(st.none(), strategy)


rows = st.fixed_dictionaries({
    "Name": _maybe(TEXTS.filter(bool)), "Notes": _maybe(TEXTS.filter(bool)),
    "Status": _maybe(st.sampled_from(["Done", "In progress"])), "Email": _maybe(TEXTS.filter(bool)),
    "Qty": _maybe(NUMBERS), "Price": _maybe(NUMBERS), "Discount": _maybe(NUMBERS),
    "Done": _maybe(st.just(True)), "Archived": _maybe(st.just(True)),
    "Due": _maybe(DATES.map(lambda d: d.strftime("%Y-%m-%d"))),
    "Start": _maybe(DATES.map(lambda d: d.strftime("%Y-%m-%dT%H:%M:%S.") +
                              f"{d.microsecond // 1000:03d}Z")),
    "auto": st.integers(1, 1000), "created": DATES,
})  # fmt: skip


def make_row(values: dict[str, Any]) -> Row:
    cells = {IDS[name]: value for name, value in values.items()
             if name in IDS and value is not None}  # fmt: skip
    return Row("recProperty000001", cells, values["auto"], values["created"], values["created"])


def evaluated(formula: str, row: Row) -> Any:
    record = engine.RecordInput({**row.cells, IDS["Auto"]: row.auto_number}, row.id,
                                row.created, row.modified)  # fmt: skip
    return engine.evaluate_records([formula], FIELDS, [record], UTC)[0][0]


async def run_on_postgres(dsn: str, sql: Translation, row: Row) -> tuple[Any, bool]:
    conn = await asyncpg.connect(dsn)
    try:
        async with conn.transaction():
            name = make_unique_name("formula_prop_")
            await pg_setup(conn, name, [row])
            result = await pg_run(conn, name, sql.sql, sql.condition, sql.params, row.id)
            await conn.execute(f"DROP TABLE {name}")
            return result
    finally:
        await conn.close()


@pytest.mark.postgres
async def test_translated_formulas_agree_with_evaluation(pg_url: str) -> None:
    dsn = asyncpg_dsn(pg_url)
    seen = {"translated": 0}

    @settings(max_examples=120, deadline=None, suppress_health_check=list(HealthCheck))
    @given(formula=formulas, values=rows)
    def check(formula: str, values: dict[str, Any]) -> None:
        row = make_row(values)
        expected = evaluated(formula, row)
        for dialect in (Sqlite(), Postgres()):
            sql = engine.translate(formula, FIELDS, dialect, UTC)
            if isinstance(sql, str):
                continue
            seen["translated"] += 1
            if dialect.name == "sqlite":
                value, truth = SqliteRows([row]).run(sql.sql, sql.condition, sql.params, row.id)
            else:
                value, truth = asyncio.run(run_on_postgres(dsn, sql, row))
            assert shown(value) == shown(expected), (dialect.name, formula, sql.sql)
            assert truth == truthy(expected), (dialect.name, formula, sql.condition)

    # In a thread of its own, so the session's servers go on answering (Envoy's health checks
    # among them) while the examples run.
    await asyncio.to_thread(check)
    assert seen["translated"] > 100
