"""Snapshots of tables' HNSW graphs under data_dir/search/<tenant>/<table>.usearch, each with a
small JSON beside it (its document count, the latest document time it holds, the model), so a
restart restores a graph in a fraction of a second instead of building it for minutes.

The JSON is written last and removed first: a graph without its JSON is no snapshot. Anything
unreadable or inconsistent is no snapshot either, and the table is built from the database.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import os
import re
from dataclasses import dataclass
from pathlib import Path

from usearch.index import Index

log = logging.getLogger("pyat.search.snapshots")

# Tenant and table ids name directories and files: anything else is not snapshotted.
_SAFE = re.compile(r"[A-Za-z0-9_-]{1,64}")


@dataclass(frozen=True)
class Meta:
    count: int
    # The latest `updated_at` of the documents the graph holds: later ones are caught up.
    mark: dt.datetime
    model: str


class Snapshots:
    def __init__(self, root: Path) -> None:
        self._root = root

    def _paths(self, tenant_id: str, table_id: str) -> tuple[Path, Path] | None:
        if not (_SAFE.fullmatch(tenant_id) and _SAFE.fullmatch(table_id)):
            return None
        folder = self._root / tenant_id
        return folder / f"{table_id}.usearch", folder / f"{table_id}.json"

    def save(self, tenant_id: str, table_id: str, graph: Index, meta: Meta) -> None:
        """Write a graph no other thread is changing, and its JSON. Blocking: run it in a thread."""
        paths = self._paths(tenant_id, table_id)
        if paths is None:
            return
        graph_path, meta_path = paths
        graph_path.parent.mkdir(parents=True, exist_ok=True)
        meta_path.unlink(missing_ok=True)
        partial = graph_path.with_suffix(".usearch.partial")
        graph.save(str(partial))
        os.replace(partial, graph_path)
        described = {"count": meta.count, "mark": meta.mark.isoformat(), "model": meta.model}
        partial = meta_path.with_suffix(".json.partial")
        partial.write_text(json.dumps(described))
        os.replace(partial, meta_path)

    def load(self, tenant_id: str, table_id: str) -> tuple[Index, Meta] | None:
        """The table's graph and what it holds, or None if there is no usable snapshot."""
        paths = self._paths(tenant_id, table_id)
        if paths is None or not paths[1].exists():
            return None
        graph_path, meta_path = paths
        try:
            described = json.loads(meta_path.read_text())
            meta = Meta(
                int(described["count"]),
                dt.datetime.fromisoformat(described["mark"]),
                str(described["model"]),
            )
            graph = Index.restore(str(graph_path))
        except Exception as error:  # a corrupt file may fail in any way: it is rebuilt
            log.warning("the snapshot of %s is unreadable (%s): rebuilding it", table_id, error)
            return None
        if graph is None or len(graph) != meta.count:
            log.warning("the snapshot of %s does not match its description: rebuilding", table_id)
            return None
        return graph, meta

    def remove(self, tenant_id: str, table_id: str) -> None:
        paths = self._paths(tenant_id, table_id)
        if paths is not None:
            for path in reversed(paths):
                path.unlink(missing_ok=True)

    def keep_only(self, tables: set[tuple[str, str]]) -> None:
        """Remove the snapshots of tables that no longer have documents."""
        if not self._root.is_dir():
            return
        for meta_path in self._root.glob("*/*.json"):
            if (meta_path.parent.name, meta_path.stem) not in tables:
                self.remove(meta_path.parent.name, meta_path.stem)
