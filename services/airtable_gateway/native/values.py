"""Cell values as Airtable's API and storage see them (Struct conversion: shared/structs.py)."""

from __future__ import annotations

import datetime as dt
from typing import Any


def is_empty(value: Any) -> bool:
    """Airtable leaves these cells out of answers and never stores them."""
    return value is None or value is False or value == "" or value == [] or value == {}


def iso(stamp: dt.datetime) -> str:
    """Airtable's timestamp form: UTC with milliseconds, e.g. 2024-01-02T03:04:05.000Z."""
    utc = stamp.astimezone(dt.UTC)
    return utc.strftime("%Y-%m-%dT%H:%M:%S.") + f"{utc.microsecond // 1000:03d}Z"
