"""What the service does, as plain Python: check, evaluate and translate formulas."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Any
from zoneinfo import ZoneInfo

from services.formula.compiler import Bound, bind
from services.formula.evaluator import Compiled, Env, compile_bound, evaluate
from services.formula.fields import ANY, BLANK, FieldInfo, by_reference
from services.formula.functions import Context
from services.formula.limits import Budget, OverBudget
from services.formula.sql import Translation, Translator, Untranslatable
from services.formula.sql_dialects import Dialect
from services.formula.sql_functions import RULES
from services.formula.syntax import TOO_DEEP, FieldRef, FormulaSyntaxError, field_refs, parse
from services.shared.time_zones import airtable_zone


class BadTimeZone(ValueError):
    pass


def time_zone(name: str) -> ZoneInfo:
    zone = airtable_zone(name or "UTC")
    if zone is None:
        raise BadTimeZone(f"unknown time zone {name!r}")
    return zone


@lru_cache(maxsize=1024)
def compiled(formula: str, fields: tuple[FieldInfo, ...]) -> Compiled:
    """The closure for `formula` on a table with `fields`, built once per formula and table."""
    try:
        return compile_bound(bind(formula, fields))
    except RecursionError:
        # Formula fields inlined into one another can nest deeper than any one formula.
        raise FormulaSyntaxError(0, TOO_DEEP) from None


def compiled_and_bound(formula: str, fields: tuple[FieldInfo, ...]) -> Bound:
    """The bound formula, once it is known to compile (so that it is not too deep)."""
    compiled(formula, fields)
    return bind(formula, fields)


@dataclass(frozen=True)
class RecordInput:
    cells: Mapping[str, Any]
    record_id: str = ""
    created_time: dt.datetime | None = None
    last_modified_time: dt.datetime | None = None


def evaluate_records(
    formulas: Sequence[str],
    fields: tuple[FieldInfo, ...],
    records: Sequence[RecordInput],
    zone: ZoneInfo,
    budget: Budget | None = None,
) -> list[list[Any]]:
    """Each record's value of each formula, within one request's budget. Raises
    FormulaSyntaxError for a bad formula and OverBudget when the budget runs out."""
    budget = budget or Budget()
    closures = [compiled(formula, fields) for formula in formulas]
    now = dt.datetime.now(dt.UTC)
    values = []
    for record in records:
        ctx = Context(record.record_id, _ms(record.created_time),
                      _ms(record.last_modified_time), zone, now, budget)  # fmt: skip
        env = Env(ctx, record.cells)
        row = []
        for closure in closures:
            budget.start_value()
            row.append(evaluate(closure, env))
        values.append(row)
    return values


def _ms(stamp: dt.datetime | None) -> dt.datetime | None:
    """Times to the millisecond, as Airtable keeps them (and as SQL compares them)."""
    return None if stamp is None else stamp.replace(microsecond=stamp.microsecond // 1000 * 1000)


@dataclass(frozen=True)
class Checked:
    normalized: str
    display: str
    referenced_field_ids: list[str]
    result_type: str


def check(formula: str, fields: tuple[FieldInfo, ...]) -> Checked:
    node = compiled_and_bound(formula, fields)
    known = by_reference(list(fields))
    refs = field_refs(parse(formula))
    ids = list(dict.fromkeys(known[ref.name].id for ref in refs))
    kind = node.kind if node.kind != BLANK else ANY
    return Checked(
        _rewrite(formula, refs, lambda ref: known[ref.name].id),
        _rewrite(formula, refs, lambda ref: known[ref.name].name),
        ids,
        kind,
    )


def _rewrite(formula: str, refs: list[FieldRef], name_of: Any) -> str:
    out, position = [], 0
    for ref in refs:
        escaped = str(name_of(ref)).replace("\\", "\\\\").replace("}", "\\}")
        out += [formula[position : ref.start], "{", escaped, "}"]
        position = ref.end
    out.append(formula[position:])
    return "".join(out)


def translate(
    formula: str, fields: tuple[FieldInfo, ...], dialect: Dialect, zone: ZoneInfo
) -> Translation | str:
    """The formula as SQL, or the reason it stays in Python."""
    node: Bound = compiled_and_bound(formula, fields)
    try:
        translation = Translator(dialect, zone, RULES).translation(node)
    except Untranslatable as why:
        return str(why)
    except RecursionError:
        return TOO_DEEP
    return translation


__all__ = ["BadTimeZone", "FormulaSyntaxError", "OverBudget", "RecordInput", "check",
           "evaluate_records", "translate"]  # fmt: skip
