"""What evaluating a formula may cost, so that no formula can exhaust the server's memory or
time. A text over its limit fails like any formula error (#ERROR! on that record); when a
constant part of the formula is over one, the formula itself is invalid; a request that runs
past its time budget is refused as a whole.
"""

from __future__ import annotations

import time
from typing import TypeVar

from services.formula.values import FormulaError

# Characters in any text a function or operator makes (ours: Airtable documents no limit).
MAX_TEXT = 100_000
# Characters that all the texts made to work out one value may add up to, so that many texts
# of MAX_TEXT (say, the arguments of one CONCATENATE) cannot pile up.
MAX_TEXT_PER_VALUE = 1_000_000
# Seconds that one request may spend evaluating formulas, checked between steps.
EVALUATION_BUDGET_S = 1.0

V = TypeVar("V")


class Refused(FormulaError):
    """A value the engine will not make: a text over MAX_TEXT, or a regular expression it
    cannot run. In a constant part of a formula, it makes the whole formula invalid."""


class OverBudget(Exception):
    """The request spent its time budget. Not a FormulaError: ISERROR() cannot catch it, and
    evaluation stops rather than going on to the next record."""

    def __init__(self, seconds: float) -> None:
        super().__init__(
            f"evaluating the formula took longer than {seconds:g} s, the limit for one request"
        )


def text_size(size: int, what: str) -> None:
    """Refuse, before making it, a text of `size` characters that is over MAX_TEXT."""
    if size > MAX_TEXT:
        raise Refused(
            f"{what} would make a text of {size:,} characters; "
            f"a formula's texts are at most {MAX_TEXT:,} characters"
        )


class Budget:
    """One request's allowance: a deadline for all its values, and the text made per value."""

    __slots__ = ("_made", "deadline", "seconds")

    def __init__(self, seconds: float | None = None) -> None:
        self.seconds = EVALUATION_BUDGET_S if seconds is None else seconds
        self.deadline = time.monotonic() + self.seconds
        self._made = 0

    def tick(self) -> None:
        """Called at every step of evaluation; raises OverBudget past the deadline."""
        if time.monotonic() > self.deadline:
            raise OverBudget(self.seconds)

    def start_value(self) -> None:
        """A formula's value on a record is next: its texts are counted afresh."""
        self._made = 0
        self.tick()

    def made(self, value: V) -> V:
        """`value`, counted against the limits if it is a text a step just made."""
        if isinstance(value, str):
            text_size(len(value), "the formula")
            self._made += len(value)
            if self._made > MAX_TEXT_PER_VALUE:
                raise Refused(
                    f"the formula makes more than {MAX_TEXT_PER_VALUE:,} characters of text "
                    "for one value"
                )
        return value
