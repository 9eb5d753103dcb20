"""The HTTP client for Airtable's Web API, shared by every call in the process.

It keeps to Airtable's limit of 5 requests a second per base (one token bucket per base in
the cache, so processes sharing Redis share it too), waits out a 429 as Airtable asks, and
turns Airtable's errors into ours. The token is sent in a header and never logged.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote, urlencode

import aiohttp
from yarl import URL

from services.shared.cache import Cache
from services.shared.errors import (
    DomainError,
    FailedPrecondition,
    InvalidArgument,
    NotFound,
    PermissionDenied,
    ResourceExhausted,
    Unavailable,
)

log = logging.getLogger("pyat.airtable_gateway.connected")

# Module settings rather than Settings fields: only tests have reason to change them.
# A little under Airtable's 5 a second per base: requests sent exactly 0.2 s apart can reach
# Airtable closer together, and a sixth within its second costs a 30 s back-off.
RATE_PER_S = 4.5
# Airtable asks a client that got a 429 to wait 30 s when it gives no Retry-After.
BACKOFF_S = 30.0
# How many times one call waits out a 429 before giving up.
MAX_RETRIES = 3
TIMEOUT_S = 30.0
# Airtable refuses longer URLs; a longer list request goes as POST .../listRecords.
MAX_URL_LENGTH = 16_000

Query = Sequence[tuple[str, str]]


@dataclass(frozen=True)
class Target:
    """Where one base lives at Airtable and the token that opens it."""

    endpoint_url: str
    airtable_base_id: str
    token: str = field(repr=False)

    def url(self, *path: str, query: Query = ()) -> str:
        """The URL of /v0/{base}/{path...}, every part quoted."""
        parts = "/".join(quote(part, safe="") for part in (self.airtable_base_id, *path))
        url = f"{self.endpoint_url}/v0/{parts}"
        return f"{url}?{urlencode(query)}" if query else url


class AirtableClient:
    def __init__(self, cache: Cache) -> None:
        self._cache = cache
        self._session: aiohttp.ClientSession | None = None

    def _http(self) -> aiohttp.ClientSession:
        # Made on first use, inside the event loop that serves the calls.
        if self._session is None or self._session.closed:
            self._session = aiohttp.ClientSession(raise_for_status=False)
        return self._session

    async def call(
        self, target: Target, method: str, url: str, body: dict[str, Any] | None = None
    ) -> dict[str, Any]:
        """One request to Airtable, in turn with the other requests to the same base."""
        for _ in range(MAX_RETRIES + 1):
            await self._take_turn(target)
            status, retry_after, answer = await self._send(target, method, url, body)
            if status != 429:
                if status >= 400:
                    raise _error_of(status, answer)
                return answer
            wait = BACKOFF_S if retry_after is None else retry_after
            log.info("Airtable rate limit hit on %s, waiting %.1f s", target.airtable_base_id, wait)
            await asyncio.sleep(wait)
        raise ResourceExhausted(
            "Airtable keeps refusing requests to this base (rate limit); try again later",
            reason="AIRTABLE_RATE_LIMITED",
        )

    async def verify(self, target: Target) -> None:
        """One cheap call that proves the token opens the base: read the base's schema."""
        url = f"{target.endpoint_url}/v0/meta/bases/{quote(target.airtable_base_id)}/tables"
        try:
            await self.call(target, "GET", url)
        except NotFound:
            raise FailedPrecondition(
                f"Airtable has no base {target.airtable_base_id!r} that this token can open",
                reason="AIRTABLE_BASE_NOT_FOUND",
            ) from None
        except PermissionDenied as err:
            raise PermissionDenied(
                f"Airtable refused this token for base {target.airtable_base_id!r}: it needs "
                "access to the base and the scopes data.records:read, data.records:write "
                "and schema.bases:read",
                reason=err.reason,
            ) from None

    async def _take_turn(self, target: Target) -> None:
        key = f"airtable-rate:{target.endpoint_url}:{target.airtable_base_id}"
        # A bucket of one: requests to a base go out at least 1/RATE_PER_S apart.
        while True:
            wait = await self._cache.take_token(key, RATE_PER_S, 1)
            if not wait:
                return
            await asyncio.sleep(wait)

    async def _send(
        self, target: Target, method: str, url: str, body: dict[str, Any] | None
    ) -> tuple[int, float | None, dict[str, Any]]:
        headers = {"Authorization": f"Bearer {target.token}"}
        try:
            async with self._http().request(
                method,
                URL(url, encoded=True),
                json=body,
                headers=headers,
                timeout=aiohttp.ClientTimeout(total=TIMEOUT_S),
            ) as response:
                text = await response.text()
                retry_after = _seconds(response.headers.get("Retry-After"))
                status = response.status
        except (aiohttp.ClientError, TimeoutError) as exc:
            log.warning("Airtable %s %s failed: %s", method, URL(url).path, type(exc).__name__)
            raise Unavailable("Airtable could not be reached, try again") from None
        try:
            answer = json.loads(text) if text else {}
        except ValueError:
            answer = None
        if not isinstance(answer, dict):
            if status < 400:
                raise Unavailable("Airtable answered with something other than JSON")
            answer = {}
        return status, retry_after, answer

    async def close(self) -> None:
        if self._session is not None:
            await self._session.close()


def _seconds(header: str | None) -> float | None:
    try:
        return max(0.0, float(header)) if header else None
    except ValueError:
        return None  # an HTTP date: fall back to Airtable's documented wait


def _error_of(status: int, answer: dict[str, Any]) -> DomainError:
    """Airtable's error, as the status our caller should see. Airtable writes errors as
    {"error": {"type", "message"}} or, for a missing thing, {"error": "NOT_FOUND"}."""
    error = answer.get("error")
    if isinstance(error, dict):
        kind, text = str(error.get("type", "")), str(error.get("message", ""))
    else:
        kind, text = str(error or ""), ""
    message = f"Airtable: {text or kind or f'HTTP {status}'}"
    reason = kind or f"HTTP_{status}"
    if status == 401:
        return PermissionDenied(
            "Airtable rejected the token; check it, or connect the base again with a valid one",
            reason=reason,
        )
    if status == 403:
        return PermissionDenied(message, reason=reason)
    if status == 404:
        return NotFound(message, reason=reason)
    if status in (400, 413, 422):
        return InvalidArgument(message, reason=reason)
    if status >= 500:
        return Unavailable(f"Airtable failed (HTTP {status}), try again")
    return FailedPrecondition(message, reason=reason)
