"""FormulaService for records: formulas translated to SQL (cached per table version), and
formulas evaluated in Python over records when SQL cannot express them."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import grpc
from google.protobuf import json_format
from prometheus_client import Counter
from pyat.formula.v1 import formula_pb2, formula_pb2_grpc

from services.airtable_gateway.native.tables import TableSchema
from services.shared.clients import translate
from services.shared.errors import InvalidArgument
from services.shared.runtime import Runtime

# Translations are keyed by the table's version, so they only expire to free memory.
_TRANSLATION_TTL_S = 600.0
# Records filtered or sorted in Python because a formula did not translate: on the hot path it
# stays flat.
RECORDS_SCANNED = Counter(
    "pyat_airtable_records_scanned_total",
    "Records evaluated in Python to filter or sort a list, because SQL could not",
)
_PARAM = re.compile(r"(?<![:\w]):fp(\d+)\b")


@dataclass(frozen=True)
class Translation:
    sql: str
    condition: str
    params: dict[str, Any]

    def bound(self, prefix: str) -> tuple[str, str, dict[str, Any]]:
        """The SQL, condition and params with parameter names made unique by `prefix`, so that
        several translations can share one query."""
        rename = f":{prefix}_\\1"
        params = {f"{prefix}_{name[2:]}": value for name, value in self.params.items()}
        return _PARAM.sub(rename, self.sql), _PARAM.sub(rename, self.condition), params


class Formulas:
    def __init__(self, runtime: Runtime) -> None:
        self._cache = runtime.cache
        self._stub = formula_pb2_grpc.FormulaServiceStub(runtime.clients.channel("formula"))
        self.dialect = (
            formula_pb2.DIALECT_SQLITE if runtime.db.is_sqlite else formula_pb2.DIALECT_POSTGRESQL
        )

    async def translate(
        self, table: TableSchema, formula: str, time_zone: str, argument: str
    ) -> Translation | None:
        """The formula as SQL, or None when it does not translate. `argument` names the request
        field the formula came from, for errors."""
        digest = hashlib.sha256(formula.encode()).hexdigest()[:32]
        key = f"airtable-sql:{table.id}:{table.pb.version}:{self.dialect}:{time_zone}:{digest}"
        cached = await self._cache.get(key)
        if cached is not None:
            answer = formula_pb2.TranslateResponse.FromString(cached)
        else:
            request = formula_pb2.TranslateRequest(
                formula=formula, table=table.pb, dialect=self.dialect, time_zone=time_zone
            )
            answer = await self._call(self._stub.Translate(request), argument)
            await self._cache.set(key, answer.SerializeToString(), ttl_s=_TRANSLATION_TTL_S)
        if not answer.translated:
            return None
        params = json_format.MessageToDict(answer.params)
        return Translation(answer.sql, answer.sql_condition, params)

    async def evaluate(
        self,
        table: TableSchema,
        formulas: Sequence[str],
        records: Sequence[formula_pb2.Record],
        time_zone: str = "",
        argument: str = "formula",
    ) -> list[list[Any]]:
        """Each record's value of each formula, in order, in one call."""
        if not records or not formulas:
            return [[] for _ in records]
        request = formula_pb2.EvaluateRecordsRequest(
            formulas=formulas, table=table.pb, records=records, time_zone=time_zone
        )
        answer = await self._call(self._stub.EvaluateRecords(request), argument)
        return [
            [json_format.MessageToDict(value) for value in record.values]
            for record in answer.records
        ]

    async def _call(self, call: Any, argument: str) -> Any:
        try:
            return await call
        except grpc.aio.AioRpcError as err:
            if err.code() is grpc.StatusCode.INVALID_ARGUMENT:
                raise InvalidArgument(
                    f"invalid formula in {argument}: {err.details()}",
                    fields={argument: err.details() or "invalid formula"},
                    reason="INVALID_FILTER_BY_FORMULA",
                ) from None
            raise translate("formula", err) from None
