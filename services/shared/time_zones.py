"""Airtable's time zone names, resolved in one place for every path that takes a `timeZone`:
filters, sorts, formula fields, string cells and formula-engine's SET_TIMEZONE all see the
same zone for the same name.

Airtable accepts the IANA names of its "Supported timezones for SET_TIMEZONE" list and writes
UTC as 'utc'; the tz database spells it 'UTC', so that one name is matched in any case.
"""

from __future__ import annotations

import functools
import zoneinfo

from services.shared.errors import InvalidArgument

# Names Airtable's list writes in lower case, by the tz database's spelling.
_LOWER_CASE_NAMES = {"utc": "UTC"}


@functools.cache
def _known() -> frozenset[str]:
    # Only names the tz database lists: ZoneInfo alone would also open any file under its path.
    return frozenset(zoneinfo.available_timezones())


def airtable_zone(name: str) -> zoneinfo.ZoneInfo | None:
    """The zone Airtable means by `name`, or None for a name it doesn't know. The zone's `key`
    is the canonical name to pass on to other services."""
    key = _LOWER_CASE_NAMES.get(name.lower(), name)
    return zoneinfo.ZoneInfo(key) if key in _known() else None


def time_zone(name: str, argument: str = "output.time_zone") -> zoneinfo.ZoneInfo:
    """The zone Airtable means by `name`; INVALID_ARGUMENT naming `argument` for an unknown one."""
    zone = airtable_zone(name)
    if zone is None:
        raise InvalidArgument(
            f"unknown time zone {name!r}",
            fields={argument: "not one of Airtable's supported time zones"},
        )
    return zone
