"""formula-service's gRPC surface: turn messages into engine inputs and back.

The engine's work runs in a worker thread, so that a formula as slow as its budget allows
never holds up the event loop that serves every other call (RE2 lets go of the GIL too).
"""

from __future__ import annotations

import asyncio
import datetime as dt
from collections.abc import Callable
from typing import Any, TypeVar

from google.protobuf import json_format, struct_pb2, timestamp_pb2
from pyat.formula.v1 import formula_pb2 as pb
from pyat.formula.v1 import formula_pb2_grpc

from services.formula import engine
from services.formula.fields import inferred_fields, table_fields
from services.formula.sql_dialects import Dialect, Postgres, Sqlite
from services.formula.syntax import FormulaSyntaxError
from services.shared.errors import InvalidArgument
from services.shared.runtime import Context, Runtime

_DIALECTS: dict[int, Dialect] = {pb.DIALECT_POSTGRESQL: Postgres(), pb.DIALECT_SQLITE: Sqlite()}
T = TypeVar("T")


def _time(stamp: timestamp_pb2.Timestamp, present: bool) -> dt.datetime | None:
    return stamp.ToDatetime(tzinfo=dt.UTC) if present else None


def _value(value: Any) -> struct_pb2.Value:
    message = struct_pb2.Value()
    json_format.ParseDict(value, message)
    return message


def _bad_formula(err: FormulaSyntaxError, field: str = "formula") -> InvalidArgument:
    return InvalidArgument(f"invalid formula: {err}", fields={field: str(err)})


def _zone(name: str) -> Any:
    try:
        return engine.time_zone(name)
    except engine.BadTimeZone as err:
        raise InvalidArgument(str(err), fields={"time_zone": str(err)}) from None


async def _run(work: Callable[[], T], field: str = "formula") -> T:
    """`work` in a worker thread; a bad formula or a spent budget is the caller's error."""
    try:
        return await asyncio.to_thread(work)
    except FormulaSyntaxError as err:
        raise _bad_formula(err, field) from None
    except engine.OverBudget as err:
        raise InvalidArgument(str(err), fields={field: str(err)}) from None


class FormulaServicer(formula_pb2_grpc.FormulaServiceServicer):
    def __init__(self, runtime: Runtime) -> None:
        self.runtime = runtime

    async def Evaluate(self, request: pb.EvaluateRequest, context: Context) -> pb.EvaluateResponse:
        zone = _zone(request.time_zone)

        def evaluate() -> pb.EvaluateResponse:
            cells = json_format.MessageToDict(request.fields)
            record = engine.RecordInput(
                cells,
                request.record_id,
                _time(request.created_time, request.HasField("created_time")),
                _time(request.last_modified_time, request.HasField("last_modified_time")),
            )
            fields = tuple(inferred_fields(cells))
            [[value]] = engine.evaluate_records([request.formula], fields, [record], zone)
            return pb.EvaluateResponse(value=_value(value))

        return await _run(evaluate)

    async def Check(self, request: pb.CheckRequest, context: Context) -> pb.CheckResponse:
        fields = tuple(table_fields(request.table))
        checked = await _run(lambda: engine.check(request.formula, fields))
        return pb.CheckResponse(
            normalized=checked.normalized,
            display=checked.display,
            referenced_field_ids=checked.referenced_field_ids,
            result_type=checked.result_type,
        )

    async def Translate(
        self, request: pb.TranslateRequest, context: Context
    ) -> pb.TranslateResponse:
        dialect = _DIALECTS.get(request.dialect)
        if dialect is None:
            raise InvalidArgument(
                "dialect must be POSTGRESQL or SQLITE", fields={"dialect": "unspecified"}
            )
        zone = _zone(request.time_zone)
        fields = tuple(table_fields(request.table))
        result = await _run(lambda: engine.translate(request.formula, fields, dialect, zone))
        if isinstance(result, str):
            return pb.TranslateResponse(translated=False, reason=result)
        params = struct_pb2.Struct()
        params.update(result.params)
        return pb.TranslateResponse(
            translated=True, sql=result.sql, sql_condition=result.condition, params=params
        )

    async def EvaluateRecords(
        self, request: pb.EvaluateRecordsRequest, context: Context
    ) -> pb.EvaluateRecordsResponse:
        zone = _zone(request.time_zone)
        fields = tuple(table_fields(request.table))

        def evaluate() -> pb.EvaluateRecordsResponse:
            for at, formula in enumerate(request.formulas):
                try:  # each formula alone first, so that a bad one is named by its index
                    engine.compiled(formula, fields)
                except FormulaSyntaxError as err:
                    raise _bad_formula(err, f"formulas[{at}]") from None
            records = [
                engine.RecordInput(
                    json_format.MessageToDict(record.cells),
                    record.id,
                    _time(record.created_time, record.HasField("created_time")),
                    _time(record.last_modified_time, record.HasField("last_modified_time")),
                )
                for record in request.records
            ]
            values = engine.evaluate_records(request.formulas, fields, records, zone)
            return pb.EvaluateRecordsResponse(
                records=[pb.RecordValues(values=[_value(v) for v in row]) for row in values]
            )

        return await _run(evaluate, "formulas")
