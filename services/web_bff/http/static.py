"""The web app's built files: GET/HEAD only, SPA routes answered with index.html, long-lived
caching for the hashed /assets/, and nothing outside the folder, however the path is spelled."""

from __future__ import annotations

from pathlib import Path, PurePosixPath
from urllib.parse import unquote

from aiohttp import hdrs, web

INDEX = "index.html"
READ_METHODS = frozenset({hdrs.METH_GET, hdrs.METH_HEAD})
ALLOW = "GET, HEAD"
# Vite names every file under assets/ by its content's hash, so it never changes.
IMMUTABLE = "public, max-age=31536000, immutable"
# index.html names the current assets; a stale copy would load files that are gone.
REVALIDATE = "no-cache"

# Explicit, so the answer does not depend on the machine's /etc/mime.types.
_UTF8 = "; charset=utf-8"
CONTENT_TYPES = {
    ".html": "text/html" + _UTF8,
    ".js": "text/javascript" + _UTF8,
    ".mjs": "text/javascript" + _UTF8,
    ".css": "text/css" + _UTF8,
    ".txt": "text/plain" + _UTF8,
    ".json": "application/json",
    ".map": "application/json",
    ".webmanifest": "application/manifest+json",
    ".svg": "image/svg+xml",
    ".png": "image/png",
    ".jpg": "image/jpeg",
    ".jpeg": "image/jpeg",
    ".gif": "image/gif",
    ".webp": "image/webp",
    ".ico": "image/x-icon",
    ".woff": "font/woff",
    ".woff2": "font/woff2",
    ".wasm": "application/wasm",
}
FALLBACK_TYPE = "application/octet-stream"


def content_type(path: Path) -> str:
    return CONTENT_TYPES.get(path.suffix.lower(), FALLBACK_TYPE)


def request_segments(raw_path: str) -> list[str] | None:
    """The decoded segments of a request's path as sent, or None when the path tries to leave
    the folder or name something odd: `..` or `.` (plain or percent-encoded), an encoded
    slash or backslash, NUL, an empty segment (`//etc/passwd`), or a dotfile."""
    path = raw_path.partition("?")[0].partition("#")[0]
    if not path.startswith("/"):
        return None
    raw_segments = path[1:].split("/")
    # A trailing slash names a folder, i.e. an SPA route.
    if raw_segments and raw_segments[-1] == "":
        raw_segments.pop()
    segments = []
    for raw in raw_segments:
        segment = unquote(raw, errors="strict") if "%" in raw else raw
        if not segment or segment.startswith(".") or any(c in segment for c in "/\\\0"):
            return None
        segments.append(segment)
    return segments


class StaticFiles:
    """Serves `root` (the built web app)."""

    def __init__(self, root: Path) -> None:
        self.root = root.resolve()

    async def handle(self, request: web.Request) -> web.StreamResponse:
        if request.method not in READ_METHODS:
            raise web.HTTPMethodNotAllowed(request.method, sorted(READ_METHODS))
        try:
            segments = request_segments(request.raw_path)
        except UnicodeDecodeError:
            segments = None
        if segments is None:
            raise web.HTTPNotFound()
        file = self._file(segments)
        if file is None:
            # A route of the app (`/bases/app123`) has no extension; a missing file has one.
            if segments and PurePosixPath(segments[-1]).suffix:
                raise web.HTTPNotFound()
            file = self._file([INDEX])
            if file is None:
                raise web.HTTPNotFound()
        is_asset = bool(segments) and segments[0] == "assets" and file.name != INDEX
        return web.FileResponse(
            file,
            headers={
                hdrs.CONTENT_TYPE: content_type(file),
                hdrs.CACHE_CONTROL: IMMUTABLE if is_asset else REVALIDATE,
                hdrs.VARY: hdrs.ACCEPT_ENCODING,
            },
        )

    def _file(self, segments: list[str]) -> Path | None:
        """The regular file the segments name inside the folder, symlinks resolved; None when
        nothing is there (or a folder is), and a 404 when what is there lies outside it."""
        if not segments:
            return None
        try:
            file = self.root.joinpath(*segments).resolve(strict=True)
        except (OSError, RuntimeError):
            return None
        if not file.is_relative_to(self.root):
            raise web.HTTPNotFound()
        return file if file.is_file() else None
