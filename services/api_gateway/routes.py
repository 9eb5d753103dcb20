"""The scope a personal access token needs on each REST route: the one table the edge judges by."""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import unquote

from services.shared.ids import looks_like

RECORDS_READ = "data.records:read"
RECORDS_WRITE = "data.records:write"
SCHEMA_READ = "schema.bases:read"
SCHEMA_WRITE = "schema.bases:write"
WEBHOOKS = "webhook:manage"

READS = frozenset({"GET"})
WRITES = frozenset({"POST", "PATCH", "PUT", "DELETE"})
EVERY_METHOD = READS | WRITES


@dataclass(frozen=True)
class Route:
    methods: frozenset[str]
    # Segments after the first "/": `{base}` is a base id, `*` any one segment, `**` (last
    # only) whatever follows, nothing included.
    pattern: str
    # None: any personal access token may call it, whatever its scopes.
    scope: str | None


# The first route that fits decides. A PAT is refused wherever none fits: on /v1 (account
# routes are for sessions only) and on any path not listed here.
ROUTES: tuple[Route, ...] = (
    Route(READS, "/v0/meta/whoami", None),
    Route(READS, "/v0/meta/bases", SCHEMA_READ),
    Route(READS, "/v0/meta/bases/{base}/**", SCHEMA_READ),
    Route(WRITES, "/v0/meta/bases", SCHEMA_WRITE),
    Route(WRITES, "/v0/meta/bases/{base}/**", SCHEMA_WRITE),
    Route(EVERY_METHOD, "/v0/bases/{base}/webhooks/**", WEBHOOKS),
    # Airtable's way to list records with a long formula: a POST that only reads.
    Route(frozenset({"POST"}), "/v0/{base}/*/listRecords", RECORDS_READ),
    Route(READS, "/v0/{base}/**", RECORDS_READ),
    Route(WRITES, "/v0/{base}/**", RECORDS_WRITE),
)


@dataclass(frozen=True)
class Match:
    route: Route
    # The base the path names, if it names one.
    base_id: str | None


def segments(path: str) -> list[str]:
    """The decoded segments of a request path, without its query: "/v0/a%20b?x" → [v0, a b]."""
    path = path.split("?", 1)[0].split("#", 1)[0]
    return [unquote(part) for part in path.split("/")[1:]]


def match(method: str, path: str) -> Match | None:
    """The route a REST request falls under, or None when no route fits it."""
    parts = segments(path)
    for route in ROUTES:
        if method in route.methods:
            fitted = _fit(route, parts)
            if fitted is not None:
                return fitted
    return None


def _fit(route: Route, parts: list[str]) -> Match | None:
    pattern = route.pattern.split("/")[1:]
    base_id: str | None = None
    for index, expected in enumerate(pattern):
        if expected == "**":
            return Match(route, base_id)
        if index >= len(parts):
            return None
        part = parts[index]
        if expected == "{base}":
            if not looks_like(part, "app"):
                return None
            base_id = part
        elif expected not in ("*", part):
            return None
    return Match(route, base_id) if len(parts) == len(pattern) else None
