"""Which base a REST request is about: `/v0/{baseId}/...`, `/v0/meta/bases/{baseId}/...` and
`/v0/bases/{baseId}/...`. Its rate limit counts against that base's bucket."""

from __future__ import annotations

from urllib.parse import unquote

from services.shared.ids import looks_like

# Where the base id sits in each kind of path, by the segments before it.
_BASE_AFTER = (("v0", "meta", "bases"), ("v0", "bases"), ("v0",))


def segments(path: str) -> list[str]:
    """The decoded segments of a request path, without its query: "/v0/a%20b?x" → [v0, a b]."""
    path = path.split("?", 1)[0].split("#", 1)[0]
    return [unquote(part) for part in path.split("/")[1:]]


def base_of(path: str) -> str | None:
    """The base id a request path names, or None."""
    parts = segments(path)
    for prefix in _BASE_AFTER:
        if tuple(parts[: len(prefix)]) == prefix and len(parts) > len(prefix):
            candidate = parts[len(prefix)]
            return candidate if looks_like(candidate, "app") else None
    return None


def is_mcp(path: str) -> bool:
    """Whether a request is for the Model Context Protocol at /mcp, whose clients are told how
    to authenticate (`WWW-Authenticate: Bearer`) when refused."""
    return segments(path)[:1] == ["mcp"]
