"""FormulaService over a real gRPC server: each RPC, and the statuses bad input gets."""

from __future__ import annotations

from typing import Any

import grpc
import pytest
from google.protobuf import json_format, struct_pb2
from pyat.formula.v1 import formula_pb2 as pb
from pyat.formula.v1 import formula_pb2_grpc

from tests.contract.test_auth import field_violations
from tests.formula.conftest import CALLER
from tests.formula.scratch import EMPTY, FULL, IDS, table

Stub = formula_pb2_grpc.FormulaServiceStub


def fields(**values: Any) -> struct_pb2.Struct:
    struct = struct_pb2.Struct()
    struct.update(values)
    return struct


async def evaluate(stub: Stub, formula: str, **values: Any) -> Any:
    request = pb.EvaluateRequest(formula=formula, fields=fields(**values))
    answer = await stub.Evaluate(request, metadata=CALLER)
    return json_format.MessageToDict(answer.value)


async def test_evaluate_by_field_name(formulas: Stub) -> None:
    assert await evaluate(formulas, "Price * {Unit Count}", Price=2.5, **{"Unit Count": 4}) == 10
    assert await evaluate(formulas, "IF(Done, 'yes', 'no')", Done=True) == "yes"
    assert await evaluate(formulas, "DATEADD(When, 1, 'day')", When="2024-01-01") == (
        "2024-01-02T00:00:00.000Z"
    )
    assert await evaluate(formulas, "ARRAYJOIN(Tags, '/')", Tags=["a", "b"]) == "a/b"
    assert await evaluate(formulas, "1 / 0") == {"error": "#ERROR!"}
    assert await evaluate(formulas, "POWER(10, 400)") == {"specialValue": "Infinity"}
    assert await evaluate(formulas, "LOG(0)") == {"specialValue": "-Infinity"}


async def test_evaluate_reads_record_id_times_and_time_zone(formulas: Stub) -> None:
    request = pb.EvaluateRequest(
        formula="RECORD_ID() & ' ' & DATETIME_FORMAT(CREATED_TIME(), 'YYYY-MM-DD HH:mm')",
        record_id="recAbc", time_zone="Asia/Kolkata",
    )  # fmt: skip
    request.created_time.FromJsonString("2024-05-01T20:00:00Z")
    answer = await formulas.Evaluate(request, metadata=CALLER)
    assert answer.value.string_value == "recAbc 2024-05-02 01:30"


@pytest.mark.parametrize(
    ("formula", "description"),
    [
        ("IF(1, 2", "at position 7: expected ',' or ')' but found end of formula"),
        ("1 +", "at position 3: expected a value, a field or a function but found end of formula"),
        ("(1 + 2", "at position 6: expected ')' but found end of formula"),
        ("1 2", "at position 2: expected an operator or end of formula but found '2'"),
        ("'open", "at position 0: this string has no closing '"),
        ("{Open", "at position 0: this field name has no closing }"),
        ("1 # 2", "at position 2: unexpected character '#'"),
        ("", "at position 0: expected a formula but found end of formula"),
        ("Missing + 1", "at position 0: unknown field {Missing}"),
        ("1 + {No Such Field}", "at position 4: unknown field {No Such Field}"),
        ("NOPE(1)", "at position 0: unknown function NOPE()"),
        ("LEN()", "at position 0: LEN() takes 1 argument, got 0"),
        ("IF(1)", "at position 0: IF() takes 2 to 3 arguments, got 1"),
    ],
)
async def test_bad_formulas_are_invalid_argument_with_where_and_what(
    formulas: Stub, formula: str, description: str
) -> None:
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await evaluate(formulas, formula)
    assert caught.value.code() is grpc.StatusCode.INVALID_ARGUMENT
    assert field_violations(caught.value) == {"formula": description}


async def test_bad_time_zone_is_invalid_argument(formulas: Stub) -> None:
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await formulas.Evaluate(
            pb.EvaluateRequest(formula="NOW()", time_zone="Mars/Olympus"), metadata=CALLER
        )
    assert caught.value.code() is grpc.StatusCode.INVALID_ARGUMENT
    assert "time_zone" in field_violations(caught.value)


async def test_calls_without_credentials_are_unauthenticated(formulas: Stub) -> None:
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await formulas.Evaluate(pb.EvaluateRequest(formula="1"))
    assert caught.value.code() is grpc.StatusCode.UNAUTHENTICATED


async def test_check_normalizes_to_ids_and_back_to_names(formulas: Stub) -> None:
    request = pb.CheckRequest(formula="Price * {fldQty00000000001} + {Odd \\} Name}", table=table())
    answer = await formulas.Check(request, metadata=CALLER)
    assert answer.normalized == (
        "{fldPrice000000001} * {fldQty00000000001} + {fldOdd\\}Name000001}"
    )
    assert answer.display == "{Price} * {Qty} + {Odd \\} Name}"
    assert list(answer.referenced_field_ids) == [IDS["Price"], IDS["Qty"], IDS["Odd } Name"]]
    assert answer.result_type == "number"


@pytest.mark.parametrize(
    ("formula", "result_type"),
    [("Name & '!'", "text"), ("Qty > 1", "boolean"), ("DATEADD(Due, 1, 'days')", "date"),
     ("ARRAYUNIQUE(Tags)", "array"), ("IF(Done, 1, 'x')", "any"), ("{Total}", "number"),
     ("IF(Done, Due)", "date")],
)  # fmt: skip
async def test_check_gives_the_result_type(formulas: Stub, formula: str, result_type: str) -> None:
    answer = await formulas.Check(pb.CheckRequest(formula=formula, table=table()), metadata=CALLER)
    assert answer.result_type == result_type


async def test_check_rejects_unknown_fields(formulas: Stub) -> None:
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await formulas.Check(pb.CheckRequest(formula="{Nope}", table=table()), metadata=CALLER)
    assert caught.value.code() is grpc.StatusCode.INVALID_ARGUMENT


async def test_translate_binds_constants_and_explains_what_it_cannot_do(formulas: Stub) -> None:
    done = await formulas.Translate(
        pb.TranslateRequest(formula="Name = 'x\\'; DROP TABLE t'", table=table(),
                            dialect=pb.DIALECT_POSTGRESQL), metadata=CALLER,
    )  # fmt: skip
    assert done.translated and ":fp0" in done.sql and "DROP" not in done.sql
    assert json_format.MessageToDict(done.params) == {"fp0": "x'; DROP TABLE t"}
    assert done.sql_condition
    left = await formulas.Translate(
        pb.TranslateRequest(formula="DATETIME_FORMAT(Due, 'YYYY')", table=table(),
                            dialect=pb.DIALECT_SQLITE), metadata=CALLER,
    )  # fmt: skip
    assert not left.translated and not left.sql
    assert left.reason == "DATETIME_FORMAT() is evaluated in Python"


async def test_translate_needs_a_dialect_and_a_valid_formula(formulas: Stub) -> None:
    for request in (
        pb.TranslateRequest(formula="1", table=table()),
        pb.TranslateRequest(formula="{Nope}", table=table(), dialect=pb.DIALECT_SQLITE),
    ):
        with pytest.raises(grpc.aio.AioRpcError) as caught:
            await formulas.Translate(request, metadata=CALLER)
        assert caught.value.code() is grpc.StatusCode.INVALID_ARGUMENT


async def test_evaluate_records_gives_values_per_record_in_order(formulas: Stub) -> None:
    request = pb.EvaluateRecordsRequest(
        formulas=["Name", "{Total}", "{fldQty00000000001} * 2"], table=table(),
        records=[FULL.record(), EMPTY.record()],
    )  # fmt: skip
    answer = await formulas.EvaluateRecords(request, metadata=CALLER)
    values = [[json_format.MessageToDict(v) for v in r.values] for r in answer.records]
    assert values == [["Widget Pro", 59.97, 6], [None, 0, 0]]


async def test_evaluate_records_names_the_bad_formula(formulas: Stub) -> None:
    request = pb.EvaluateRecordsRequest(formulas=["1", "LEN("], table=table(),
                                        records=[FULL.record()])  # fmt: skip
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await formulas.EvaluateRecords(request, metadata=CALLER)
    assert caught.value.code() is grpc.StatusCode.INVALID_ARGUMENT
    assert list(field_violations(caught.value)) == ["formulas[1]"]


async def test_evaluate_records_is_fast_for_many_records(formulas: Stub) -> None:
    records = [FULL.record()] * 2000
    request = pb.EvaluateRecordsRequest(
        formulas=["IF(AND(Qty > 1, Done), Price * Qty, 0)", "UPPER(Name) & '-' & Status"],
        table=table(), records=records,
    )  # fmt: skip
    answer = await formulas.EvaluateRecords(request, metadata=CALLER, timeout=5)
    assert len(answer.records) == 2000
    assert answer.records[-1].values[1].string_value == "WIDGET PRO-In progress"
