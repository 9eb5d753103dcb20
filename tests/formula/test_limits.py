"""The limits that keep every formula bounded: regular expressions on RE2, texts of at most
MAX_TEXT characters, and a time budget per request; on the engine and over gRPC."""

from __future__ import annotations

import asyncio
import datetime as dt
import time
from typing import Any
from zoneinfo import ZoneInfo

import grpc
import pytest
from google.protobuf import struct_pb2
from pyat.formula.v1 import formula_pb2 as pb
from pyat.formula.v1 import formula_pb2_grpc

from services.formula import engine, limits
from services.formula.fields import FieldInfo
from services.formula.limits import MAX_TEXT, MAX_TEXT_PER_VALUE, Budget, OverBudget
from services.formula.sql_dialects import Postgres, Sqlite
from services.formula.syntax import FormulaSyntaxError
from tests.contract.test_auth import field_violations
from tests.formula.conftest import CALLER
from tests.formula.scratch import FULL, table

UTC = ZoneInfo("UTC")
ERROR = {"error": "#ERROR!"}
FIELDS = (
    FieldInfo("fldName", "Name", "singleLineText", "Name"),
    FieldInfo("fldPattern", "Pattern", "singleLineText", "Pattern"),
    FieldInfo("fldN", "N", "number", "N"),
    FieldInfo("fldTags", "Tags", "multipleSelects", "Tags"),
)


def value(formula: str, budget: Budget | None = None, **cells: Any) -> Any:
    [[found]] = engine.evaluate_records([formula], FIELDS, [engine.RecordInput(cells)], UTC, budget)
    return found


def invalid(formula: str, fields: tuple[FieldInfo, ...] = FIELDS) -> str:
    with pytest.raises(FormulaSyntaxError) as caught:
        engine.check(formula, fields)
    return str(caught.value)


# Regular expressions: RE2, as Airtable runs them.


def test_regex_functions_take_re2s_inline_flags() -> None:
    assert value('REGEX_MATCH("Hello", "(?i)^hello$")') == 1
    assert value('REGEX_MATCH("Hello", "^hello$")') == 0
    assert value('REGEX_MATCH("a\\nb", "(?s)a.b")') == 1
    assert value('REGEX_MATCH("a\\nb", "a.b")') == 0
    assert value('REGEX_EXTRACT("Order 1234 shipped", "\\\\d+")') == "1234"
    assert value('REGEX_EXTRACT("Order", "\\\\d+")') is None


def test_re2s_classes_are_ascii_as_airtables_are() -> None:
    # Python's re would take the Arabic-Indic digit for \d; RE2 does not.
    assert value('REGEX_MATCH("\u0663", "\\\\d")') == 0
    assert value('REGEX_MATCH("\u0663", "\\\\pN")') == 1


def test_a_catastrophic_pattern_takes_linear_time() -> None:
    # A backtracking engine tries 2**n ways to split the a's before it gives up on "!".
    names = [{"Name": "a" * (5_000 + n) + "!"} for n in range(200)]
    records = [engine.RecordInput(cells) for cells in names]
    found = engine.evaluate_records(
        ['REGEX_MATCH(Name, "(a+)+$")', 'REGEX_MATCH(Name, "(x+x+)+y")'],
        FIELDS,
        records,
        UTC,
        Budget(30),
    )
    assert found == [[0, 0]] * len(names)
    assert value('REGEX_MATCH(Name, "(a+)+$")', Name="a" * 50_000) == 1


@pytest.mark.parametrize(
    ("pattern", "why"),
    [
        ("(a)\\\\1", "invalid escape sequence: \\1"),
        ("a(?=b)", "invalid perl operator: (?="),
        ("(?<=a)b", "invalid perl operator: (?<="),
        ("a\\\\Z", "invalid escape sequence: \\Z"),
        ("a{1001}", "invalid repetition size: {1001}"),
        ("(unclosed", "missing )"),
    ],
)
def test_a_pattern_re2_cannot_run_makes_the_formula_invalid(pattern: str, why: str) -> None:
    for formula in (
        f'REGEX_MATCH(Name, "{pattern}")',
        f'REGEX_EXTRACT(Name, "{pattern}")',
        f'REGEX_REPLACE(Name, "{pattern}", "x")',
        f'IF(N, REGEX_MATCH(Name, "x" & "{pattern}"))',
    ):
        message = invalid(formula)
        assert "invalid regular expression" in message and why in message, message


def test_a_pattern_from_a_field_that_re2_cannot_run_fails_on_that_record_only() -> None:
    formula = "REGEX_MATCH(Name, Pattern)"
    assert value(formula, Name="aa", Pattern="(a)\\1") == ERROR
    assert value(formula, Name="aa", Pattern="(a)a") == 1
    assert value(f"ISERROR({formula})", Name="aa", Pattern="a(?=a)") == 1


def test_regex_replace_substitutes_groups_written_with_a_dollar() -> None:
    assert value('REGEX_REPLACE("John Smith", "(\\\\w+) (\\\\w+)", "$2, $1")') == "Smith, John"
    assert value('REGEX_REPLACE("a-b", "-", "[$0]")') == "a[-]b"
    assert value('REGEX_REPLACE("a-b", "(x)?-", "<$1>")') == "a<>b"
    assert value('REGEX_REPLACE("a-b", "-", "\\\\")') == "a\\b"
    assert value('REGEX_REPLACE("abc", "", "-")') == "-a-b-c-"
    assert value('REGEX_REPLACE("a-b", "(-)", "$2")') == ERROR


def test_a_pattern_too_costly_for_its_text_is_refused_rather_than_run() -> None:
    # RE2 is linear in the text, but its factor is the pattern's program: this one takes
    # seconds on 100,000 characters.
    heavy = 'REGEX_MATCH(Name, ".{0,1000}a.{0,1000}b")'
    assert value(heavy, Name="a" * 100_000) == ERROR
    assert value(heavy, Name="a" * 100 + "b") == 1
    assert "the limit is 10,000" in invalid(f'REGEX_MATCH(Name, "{"x" * 10_001}")')


# Texts of at most MAX_TEXT characters.


def test_a_text_may_be_as_long_as_the_limit_and_no_longer() -> None:
    assert value(f'LEN(REPT("x", {MAX_TEXT}))') == MAX_TEXT
    assert value("LEN(REPT(Name, N))", Name="ab", N=MAX_TEXT // 2) == MAX_TEXT
    assert value("REPT(Name, N)", Name="ab", N=MAX_TEXT // 2 + 1) == ERROR


def test_a_constant_part_over_the_limit_makes_the_formula_invalid() -> None:
    expected = "REPT() would make a text of 1,000,000,000 characters"
    for formula in (
        'REPT("x", 1000000000)',
        'REPT("x", 1e9)',
        'REPT("x", POWER(10, 9))',
        'IF(N, REPT("x", 1e9), "small")',
        'LEN(REPT("x", 1e9)) > 0',
    ):
        message = invalid(formula)
        assert expected in message and "at most 100,000 characters" in message, message
    assert "at position 9" in invalid('IF(N, 1, REPT("x", 1e9))')
    # A constant part that merely fails is left to each record, as any failure is.
    assert value("IF(N, 1 / 0, 2)", N=1) == ERROR
    assert value("IF(N, 1 / 0, 2)", N=0) == 2


@pytest.mark.parametrize(
    ("formula", "cells"),
    [
        ("REPT(Name, N)", {"Name": "x", "N": 1e9}),
        ("REPT(Name, N)", {"Name": "x", "N": 1e300}),
        ("Name & Name", {"Name": "x" * 60_000}),
        ("CONCATENATE(Name, Name, Name)", {"Name": "x" * 40_000}),
        ('SUBSTITUTE(Name, "a", REPT("b", 1000))', {"Name": "a" * 200}),
        ('REGEX_REPLACE(Name, "", REPT("b", 1000))', {"Name": "a" * 200}),
        ('REGEX_REPLACE(Name, "a", REPT("b", 1000))', {"Name": "a" * 200}),
        ('ARRAYJOIN(Tags, REPT("-", 50000))', {"Tags": ["a", "b", "c"]}),
        ("UPPER(REPT(Name, 100000))", {"Name": "\u00df"}),  # ß is SS in capitals
        ("ENCODE_URL_COMPONENT(REPT(Name, N))", {"Name": " ", "N": 50_000}),
    ],
)
def test_a_text_over_the_limit_is_an_error_on_that_record(
    formula: str, cells: dict[str, Any]
) -> None:
    assert value(formula, **cells) == ERROR
    assert value(f"ISERROR({formula})", **cells) == 1


def test_the_texts_made_for_one_value_add_up_to_a_limit() -> None:
    chunk = "REPT(Name, 10000)"  # 100,000 characters: at the limit for one text
    many = MAX_TEXT_PER_VALUE // MAX_TEXT + 1
    formula = f"LEN(CONCATENATE({', '.join([chunk] * many)}))"
    assert value(formula, Name="0123456789") == ERROR
    assert value("LEN(CONCATENATE(" + ", ".join([chunk] * 2) + "))", Name="x") == 20_000


def test_a_formula_field_over_the_limit_fails_on_its_records_only() -> None:
    fields = (
        *FIELDS,
        FieldInfo("fldHuge", "Huge", "formula", "Huge", 'REPT("x", 1e9)'),
        FieldInfo("fldUses", "Uses", "formula", "Uses", "IF(N, {Huge}, Name)"),
    )
    records = [engine.RecordInput({"N": 1, "Name": "a"}), engine.RecordInput({"N": 0, "Name": "b"})]
    found = engine.evaluate_records(["{Huge}", "{Uses}"], fields, records, UTC)
    assert found == [[ERROR, ERROR], [ERROR, "b"]]


# The time budget.


def test_evaluation_stops_when_the_budget_runs_out() -> None:
    slow = 'WORKDAY("2024-01-01", 99900 + N)'
    records = [engine.RecordInput({"N": n}) for n in range(1000)]
    started = time.monotonic()
    with pytest.raises(OverBudget, match=r"took longer than 0\.2 s"):
        engine.evaluate_records([slow], FIELDS, records, UTC, Budget(0.2))
    # It stopped soon after the budget ran out, not after 1,000 slow records.
    assert time.monotonic() - started < 5
    with pytest.raises(OverBudget):
        # ISERROR() catches a record's failure, not the request running out of time.
        engine.evaluate_records([f"ISERROR({slow})"], FIELDS, records, UTC, Budget(0.2))


def test_formula_fields_built_on_each_other_stay_bounded() -> None:
    # Each field uses the one before twice: evaluated naively, {F40} is 2**40 steps.
    chain = [FieldInfo("fldF0", "F0", "formula", "F0", "N + N")]
    chain += [
        FieldInfo(f"fldF{n}", f"F{n}", "formula", f"F{n}", f"{{F{n - 1}}} + {{F{n - 1}}}")
        for n in range(1, 41)
    ]
    fields = (*FIELDS, *chain)
    assert engine.check("{F40}", fields).result_type == "number"
    reason = engine.translate("{F40}", fields, Postgres(), UTC)
    assert reason == "the SQL would be too long"
    with pytest.raises(OverBudget):
        engine.evaluate_records(["{F40}"], fields, [engine.RecordInput({"N": 1})], UTC, Budget(0.2))
    # Texts doubling the same way reach the text limit first.
    texts = [FieldInfo("fldT0", "T0", "formula", "T0", "Name & Name")]
    texts += [
        FieldInfo(f"fldT{n}", f"T{n}", "formula", f"T{n}", f"{{T{n - 1}}} & {{T{n - 1}}}")
        for n in range(1, 41)
    ]
    found = engine.evaluate_records(
        ["{T40}", "LEN({T10})"], (*FIELDS, *texts), [engine.RecordInput({"Name": "ab"})], UTC
    )
    assert found == [[ERROR, 4096]]


def test_date_functions_are_bounded_too() -> None:
    # Forty name tokens in a row: a backtracking engine would try every way to split the text.
    tokens = "dddd" * 40
    assert value(f'DATETIME_PARSE(Name, "{tokens}")', Name="a" * 30) == ERROR
    assert value('DATETIME_PARSE(Name, "YYYY")', Name="2024" + " " * 1000) == ERROR
    assert value("IS_BEFORE(Name, NOW())", Name="x" * 5_000) == ERROR
    # Working days over four centuries are counted, not walked.
    first, last = dt.date(2001, 1, 1), dt.date(2400, 12, 31)
    weekdays = sum(
        (first + dt.timedelta(days=n)).weekday() < 5 for n in range((last - first).days + 1)
    )
    assert value(f'WORKDAY_DIFF("{first}", "{last}")') == weekdays
    assert value(f'WORKDAY_DIFF("{last}", "{first}", "2001-01-01, 2001-01-06")') == -(weekdays - 1)


# SQL: what could run away is never sent to the database.


@pytest.mark.parametrize("dialect", [Postgres(), Sqlite()], ids=["postgresql", "sqlite"])
@pytest.mark.parametrize(
    "formula",
    [
        'REGEX_MATCH(Name, "(a+)+$")',
        'REGEX_EXTRACT(Name, "(a+)+$")',
        'REGEX_REPLACE(Name, "(a+)+$", "b")',
        "REPT(Name, N)",
        'LEN(REPT("x", 100)) > 1',
    ],
)
def test_regexes_and_rept_stay_in_python(formula: str, dialect: Postgres | Sqlite) -> None:
    reason = engine.translate(formula, FIELDS, dialect, UTC)
    assert isinstance(reason, str) and "evaluated in Python" in reason


def test_max_of_many_values_is_not_squared_into_sql() -> None:
    formula = "MAX(" + ", ".join(["N"] * 500) + ")"
    assert engine.translate(formula, FIELDS, Postgres(), UTC) == "MAX() of too many values for SQL"
    assert not isinstance(engine.translate("MAX(N, 1)", FIELDS, Postgres(), UTC), str)


# Over gRPC: INVALID_ARGUMENT, and the service answers others meanwhile.

Stub = formula_pb2_grpc.FormulaServiceStub


async def test_a_formula_over_a_limit_is_invalid_argument(formulas: Stub) -> None:
    for formula, expected in (
        ('REPT("x", 1e9)', "REPT() would make a text of 1,000,000,000 characters"),
        ('REGEX_MATCH("aa", "(a)\\\\1")', "invalid regular expression"),
    ):
        with pytest.raises(grpc.aio.AioRpcError) as caught:
            await formulas.Evaluate(pb.EvaluateRequest(formula=formula), metadata=CALLER)
        assert caught.value.code() is grpc.StatusCode.INVALID_ARGUMENT
        assert expected in field_violations(caught.value)["formula"]
        check = pb.CheckRequest(formula=formula, table=table())
        with pytest.raises(grpc.aio.AioRpcError) as caught:
            await formulas.Check(check, metadata=CALLER)
        assert caught.value.code() is grpc.StatusCode.INVALID_ARGUMENT


async def test_a_request_past_its_budget_is_invalid_argument_and_others_are_served(
    formulas: Stub, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(limits, "EVALUATION_BUDGET_S", 0.5)
    slow = pb.EvaluateRecordsRequest(
        formulas=['WORKDAY("2024-01-01", 99900 + {Qty})'],
        table=table(),
        records=[FULL.record()] * 500,
    )
    started = time.monotonic()
    evaluating = asyncio.ensure_future(formulas.EvaluateRecords(slow, metadata=CALLER))
    await asyncio.sleep(0.05)
    fields = struct_pb2.Struct()
    fields.update({"Qty": 2})
    quick = await formulas.Evaluate(
        pb.EvaluateRequest(formula="Qty * 21", fields=fields), metadata=CALLER
    )
    answered = time.monotonic()
    assert quick.value.number_value == 42
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await evaluating
    refused = time.monotonic()
    assert caught.value.code() is grpc.StatusCode.INVALID_ARGUMENT
    assert "took longer than 0.5 s" in field_violations(caught.value)["formulas"]
    # The quick call did not wait for the slow one, which stopped at its budget.
    assert answered < refused
    assert refused - started < 10
