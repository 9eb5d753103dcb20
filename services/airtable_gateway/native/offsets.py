"""The `offset` of a list: an opaque token holding the position and a hash of the query, signed
so that a token from another query, or a tampered one, is refused."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from typing import Any

from services.shared.errors import InvalidArgument


def query_hash(*parts: Any) -> str:
    """A hash of everything that decides which records come in which order."""
    return hashlib.sha256(json.dumps(parts, sort_keys=True).encode()).hexdigest()[:24]


class Offsets:
    def __init__(self, secret: bytes) -> None:
        self._key = hashlib.sha256(b"airtable-offset:" + secret).digest()

    def issue(self, query: str, position: int) -> str:
        payload = f"{query}.{position}"
        token = f"{payload}.{self._sign(payload)}"
        return base64.urlsafe_b64encode(token.encode()).decode().rstrip("=")

    def position(self, token: str, query: str) -> int:
        """The position a token issued for `query` points at, or INVALID_ARGUMENT."""
        try:
            padded = token + "=" * (-len(token) % 4)
            issued_for, position, signature = (
                base64.urlsafe_b64decode(padded.encode()).decode().split(".")
            )
            valid = hmac.compare_digest(signature, self._sign(f"{issued_for}.{position}"))
            if valid and issued_for == query and int(position) >= 0:
                return int(position)
        except (ValueError, UnicodeDecodeError):
            pass
        raise InvalidArgument(
            "this offset is not valid for this list: start again without it",
            fields={"offset": "not an offset of this query"},
            reason="LIST_RECORDS_ITERATOR_NOT_AVAILABLE",
        )

    def _sign(self, payload: str) -> str:
        return hmac.new(self._key, payload.encode(), hashlib.sha256).hexdigest()[:32]
