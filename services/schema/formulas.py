"""Formulas in the schema: checked and normalized by formula-engine, stored with references by
field id, and shown with field names, so that renaming a field never breaks one."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass

import grpc
from pyat.formula.v1 import formula_pb2, formula_pb2_grpc
from pyat.schema.v1 import schema_pb2

from services.shared.clients import error_details, translate
from services.shared.errors import InvalidArgument
from services.shared.ids import looks_like
from services.shared.runtime import Runtime


def _rewrite_refs(formula: str, replace: Callable[[str], str | None]) -> str:
    """The formula with each `{...}` field reference outside string literals passed through
    `replace` (None keeps it as it is)."""
    out: list[str] = []
    i = 0
    while i < len(formula):
        char = formula[i]
        if char in "'\"":
            end = i + 1
            while end < len(formula) and formula[end] != char:
                end += 2 if formula[end] == "\\" else 1
            out.append(formula[i : end + 1])
            i = end + 1
        elif char == "{":
            end = i + 1
            while end < len(formula) and formula[end] != "}":
                end += 2 if formula[end] == "\\" else 1
            inner = formula[i + 1 : end]
            replaced = replace(inner.replace("\\}", "}"))
            out.append(formula[i : end + 1] if replaced is None else replaced)
            i = end + 1
        else:
            out.append(char)
            i += 1
    return "".join(out)


def display(formula: str, names: Mapping[str, str]) -> str:
    """A normalized formula with each `{fldXXXXXXXXXXXXXX}` written as `{Field Name}`."""

    def name_of(ref: str) -> str | None:
        name = names.get(ref) if looks_like(ref, "fld") else None
        return None if name is None else "{" + name.replace("\\", "\\\\").replace("}", "\\}") + "}"

    return _rewrite_refs(formula, name_of)


def referenced_ids(formula: str) -> set[str]:
    """The field ids a normalized formula refers to."""
    found: set[str] = set()

    def note(ref: str) -> None:
        if looks_like(ref, "fld"):
            found.add(ref)

    _rewrite_refs(formula, note)
    return found


@dataclass(frozen=True)
class Checked:
    normalized: str
    referenced_field_ids: list[str]
    result_type: str


class FormulaChecker:
    """Asks formula-engine whether a formula is valid for a table, and what it yields."""

    def __init__(self, runtime: Runtime) -> None:
        self._formulas = formula_pb2_grpc.FormulaServiceStub(runtime.clients.channel("formula"))

    async def check(
        self, formula: str, table: schema_pb2.Table, *, where: str, what: str
    ) -> Checked:
        """`where` is the request path of the formula and `what` names it in errors."""
        if not formula.strip():
            raise InvalidArgument(f"{what}: the formula is required", fields={where: "is required"})
        try:
            answer = await self._formulas.Check(
                formula_pb2.CheckRequest(formula=formula, table=table)
            )
        except grpc.aio.AioRpcError as err:
            if err.code() is grpc.StatusCode.INVALID_ARGUMENT:
                problem = _problem(err)
                raise InvalidArgument(
                    f"{what}: invalid formula: {problem}",
                    fields={where: problem},
                    reason="INVALID_FORMULA",
                ) from None
            raise translate("formula", err) from None
        return Checked(
            normalized=answer.normalized,
            referenced_field_ids=list(answer.referenced_field_ids),
            result_type=answer.result_type,
        )


def _problem(err: grpc.aio.AioRpcError) -> str:
    """The engine's description of what is wrong (from its BadRequest detail, if any)."""
    violations = error_details(err).violations
    if violations:
        return violations[0][1]
    return err.details() or "the formula is not valid"
