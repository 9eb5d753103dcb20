"""How PostgreSQL and SQLite spell what the translator needs over the record table
(`id`, `cells` keyed by field id, `created_time`, `last_modified_time`, `auto_number`)."""

from __future__ import annotations

# The stored form of date and date-time cells.
_STORED_DATE = r"^[0-9]{4}-[0-9]{2}-[0-9]{2}(T[0-9]{2}:[0-9]{2}:[0-9]{2}([.][0-9]+)?Z)?$"


class Postgres:
    name = "postgresql"
    true, false = "TRUE", "FALSE"
    # A bare 0.0 is numeric, whose arithmetic is not the engine's floating point.
    zero = "CAST(0 AS double precision)"
    # Text ordering by code point, as Python and SQLite compare.
    text_order = ' COLLATE "C"'

    def cell_text(self, key: str) -> str:
        return f"(cells->>'{key}')"

    # A retyped field's cells may still hold values of the old type (airtable-gateway converts
    # them after the change): those read as empty rather than fail the cast.
    def cell_number(self, key: str) -> str:
        return (
            f"(CASE WHEN jsonb_typeof(cells->'{key}') = 'number' "
            f"THEN CAST(cells->>'{key}' AS double precision) END)"
        )

    def cell_checkbox(self, key: str) -> str:
        return f"COALESCE(cells->'{key}' = 'true'::jsonb, FALSE)"

    def link_count(self, key: str) -> str:
        """How many records a link cell holds: 0 when it is empty or not an array."""
        return (
            f"CAST((CASE WHEN jsonb_typeof(cells->'{key}') = 'array' "
            f"THEN jsonb_array_length(cells->'{key}') ELSE 0 END) AS double precision)"
        )

    def cell_date(self, key: str) -> str:
        # Cells hold UTC ("...Z" or a bare date), so reading them as UTC ignores the session zone.
        return (
            f"((CASE WHEN (cells->>'{key}') ~ '{_STORED_DATE}' "
            f"THEN CAST(cells->>'{key}' AS timestamp) END) AT TIME ZONE 'UTC')"
        )

    def column_date(self, column: str) -> str:
        return f"date_trunc('milliseconds', {column})"

    def column_number(self, column: str) -> str:
        return f"CAST({column} AS double precision)"

    def number_param(self, name: str) -> str:
        return f"CAST(:{name} AS double precision)"

    def text_param(self, name: str) -> str:
        return f"CAST(:{name} AS text)"

    def date_param(self, name: str) -> str:
        return f"CAST(CAST(:{name} AS text) AS timestamptz)"

    def boolean_number(self, sql: str) -> str:
        return f"CAST((CASE WHEN {sql} THEN 1 ELSE 0 END) AS double precision)"

    def date_text(self, sql: str) -> str:
        return f"to_char({sql} AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.MS\"Z\"')"

    def length(self, sql: str) -> str:
        return f"CAST(length({sql}) AS double precision)"

    def position(self, needle: str, haystack: str) -> str:
        return f"CAST(strpos({haystack}, {needle}) AS double precision)"

    def trim(self, sql: str, chars: str) -> str:
        return f"btrim({sql}, {chars})"

    def integer(self, sql: str) -> str:
        return f"CAST({sql} AS integer)"

    def right(self, sql: str, count: str) -> str:
        return f"right({sql}, {count})"

    def folds_case(self) -> bool:
        return True

    def date_part(self, sql: str, part: str) -> str:
        """A part of a date in UTC: "year", "month", "day", "hour", "minute" or "second"."""
        return f"floor(CAST(EXTRACT({part} FROM {sql} AT TIME ZONE 'UTC') AS double precision))"

    def day_text(self, sql: str) -> str:
        return f"to_char({sql} AT TIME ZONE 'UTC', 'YYYY-MM-DD')"


class Sqlite:
    name = "sqlite"
    true, false = "1", "0"
    zero = "0.0"
    text_order = ""

    def cell_text(self, key: str) -> str:
        return f"json_extract(cells, '$.{key}')"

    def cell_number(self, key: str) -> str:
        # REAL, so that 7 / 2 is 3.5 and not SQLite's integer division.
        return f"CAST(json_extract(cells, '$.{key}') AS REAL)"

    def cell_checkbox(self, key: str) -> str:
        return f"COALESCE(json_extract(cells, '$.{key}'), 0)"

    def link_count(self, key: str) -> str:
        """How many records a link cell holds: 0 when it is empty or not an array."""
        return f"CAST(COALESCE(json_array_length(cells, '$.{key}'), 0) AS REAL)"

    def cell_date(self, key: str) -> str:
        return self.column_date(f"json_extract(cells, '$.{key}')")

    def column_date(self, column: str) -> str:
        # Dates are ISO text in one shape, so that comparing the text compares the instants.
        return f"strftime('%Y-%m-%dT%H:%M:%fZ', {column})"

    def column_number(self, column: str) -> str:
        return f"CAST({column} AS REAL)"

    def number_param(self, name: str) -> str:
        return f":{name}"

    def text_param(self, name: str) -> str:
        return f":{name}"

    def date_param(self, name: str) -> str:
        return f":{name}"

    def boolean_number(self, sql: str) -> str:
        return f"CAST({sql} AS REAL)"

    def date_text(self, sql: str) -> str:
        return sql

    def length(self, sql: str) -> str:
        return f"CAST(length({sql}) AS REAL)"

    def position(self, needle: str, haystack: str) -> str:
        return f"CAST(instr({haystack}, {needle}) AS REAL)"

    def trim(self, sql: str, chars: str) -> str:
        return f"trim({sql}, {chars})"

    def integer(self, sql: str) -> str:
        return sql

    def right(self, sql: str, count: str) -> str:
        return f"substr({sql}, -{count})"

    def folds_case(self) -> bool:
        # SQLite's lower() and upper() change ASCII letters only; Python's change all.
        return False

    def date_part(self, sql: str, part: str) -> str:
        letter = {"year": "Y", "month": "m", "day": "d", "hour": "H", "minute": "M", "second": "S"}
        return f"CAST(strftime('%{letter[part]}', {sql}) AS REAL)"

    def day_text(self, sql: str) -> str:
        return f"strftime('%Y-%m-%d', {sql})"


Dialect = Postgres | Sqlite
