"""Airtable's formula functions, by category. Importing this package registers them all."""

from services.formula.functions import arrays, dates, logical, numeric, records, text
from services.formula.functions.registry import FUNCTIONS, Context, Function

__all__ = ["FUNCTIONS", "Context", "Function", "arrays", "dates", "logical", "numeric",
           "records", "text"]  # fmt: skip
