"""Links between records kept two-sided: when A links to B, B's inverse field lists A, and
removing the link (or deleting either record) removes it from the other side too."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from services.airtable_gateway.native.storage import (
    Row,
    Scope,
    ids_matching,
    records,
    rows_by_id,
    save_cells,
)
from services.airtable_gateway.native.tables import LINK, TableSchema
from services.shared.errors import InvalidArgument
from services.shared.identity import Caller


@dataclass
class Change:
    """A record's cells before and after a write ({} before a create, {} after a delete)."""

    record_id: str
    before: dict[str, Any]
    after: dict[str, Any]


@dataclass
class LinkedEdit:
    """A record of another table whose inverse link cells changed, with their old values."""

    scope: Scope
    row: Row
    previous: dict[str, Any] = field(default_factory=dict)


async def sync_links(
    session: AsyncSession,
    caller: Caller,
    scope: Scope,
    table: TableSchema,
    changes: Sequence[Change],
    now: dt.datetime,
) -> list[LinkedEdit]:
    """Check that new links point to existing records, then update the inverse side. Returns
    the linked records it changed (already saved), for their events."""
    edits: dict[str, LinkedEdit] = {}
    for link in (f for f in table.fields if f.type == LINK):
        options = table.options(link)
        linked = Scope(scope.tenant_id, scope.base_id, str(options.get("linkedTableId", "")))
        added: dict[str, list[str]] = {}
        removed: dict[str, list[str]] = {}
        for change in changes:
            old = change.before.get(link.id, [])
            new = change.after.get(link.id, [])
            for target in new:
                if target not in old:
                    added.setdefault(target, []).append(change.record_id)
            for target in old:
                if target not in new:
                    removed.setdefault(target, []).append(change.record_id)
        await _require_records(session, linked, link.name, list(added))
        inverse = str(options.get("inverseLinkFieldId", ""))
        if not inverse or linked.table_id == scope.table_id:
            # A table linked to itself has no inverse field to keep.
            continue
        targets = [t for t in {*added, *removed} if t not in edits]
        for row in (await rows_by_id(session, linked, targets, for_update=True)).values():
            edits[row.id] = LinkedEdit(linked, row)
        for target, sources in added.items():
            _edit(edits[target], inverse, add=sources, remove=[])
        for target, sources in removed.items():
            if target in edits:
                _edit(edits[target], inverse, add=[], remove=sources)
    changed = [edit for edit in edits.values() if edit.previous]
    for edit in changed:
        edit.row.last_modified_time = now
        edit.row.last_modified_by = caller.user_id
        await save_cells(session, edit.scope, edit.row)
    return changed


async def _require_records(
    session: AsyncSession, scope: Scope, field_name: str, record_ids: list[str]
) -> None:
    if not record_ids:
        return
    found = set(await ids_matching(session, scope, [records.c.id.in_(record_ids)], len(record_ids)))
    missing = [record_id for record_id in record_ids if record_id not in found]
    if missing:
        raise InvalidArgument(
            f"field {field_name!r} links to records that do not exist: {', '.join(missing)}",
            fields={field_name: f"no record {missing[0]} in the linked table"},
            reason="ROW_DOES_NOT_EXIST",
        )


def _edit(edit: LinkedEdit, field_id: str, *, add: list[str], remove: list[str]) -> None:
    current: list[str] = list(edit.row.cells.get(field_id, []))
    updated = [record_id for record_id in current if record_id not in remove]
    updated += [record_id for record_id in add if record_id not in updated]
    if updated == current:
        return
    edit.previous.setdefault(field_id, current)
    if updated:
        edit.row.cells[field_id] = updated
    else:
        edit.row.cells.pop(field_id, None)
