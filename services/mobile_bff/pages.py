"""`next_page` of ListRecords: the gateway's offset, the sync cursor of the listing, and what
the listing is of (tenant, base, table), sealed with an HMAC so the app can't edit it or use
it on another table."""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
from dataclasses import dataclass

from services.shared.config import Settings
from services.shared.errors import InvalidArgument
from services.shared.secret_key import platform_secret

_KEY_LABEL = b"pyat mobile page v1"
_VERSION = "p1"
_MAC_LEN = 16


def page_key(settings: Settings) -> bytes:
    """This use's own key, derived from the platform secret as every other use derives one."""
    secret = platform_secret(settings, "mobile_page_secret")
    return hmac.new(secret, _KEY_LABEL, hashlib.sha256).digest()


@dataclass(frozen=True)
class Page:
    """Where the next page of one listing starts."""

    offset: str
    sync_cursor: str


def invalid_page() -> InvalidArgument:
    return InvalidArgument(
        "this page token is not valid for this table: list it again from the first page",
        fields={"page": "use the next_page of the previous page of this table"},
        reason="INVALID_PAGE_TOKEN",
    )


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


class PageTokens:
    def __init__(self, key: bytes) -> None:
        self._key = key

    def _mac(self, scope: tuple[str, str, str], body: bytes) -> bytes:
        # The scope is signed but not sent: a token checked against another scope fails.
        signed = json.dumps(scope).encode() + b"\n" + body
        return hmac.new(self._key, signed, hashlib.sha256).digest()[:_MAC_LEN]

    def seal(self, tenant_id: str, base_id: str, table_id: str, page: Page) -> str:
        body = json.dumps([_VERSION, page.offset, page.sync_cursor], separators=(",", ":"))
        mac = self._mac((tenant_id, base_id, table_id), body.encode())
        return f"{_b64(body.encode())}.{_b64(mac)}"

    def open(self, token: str, tenant_id: str, base_id: str, table_id: str) -> Page:
        """The page a token points at, or INVALID_ARGUMENT if it was altered or is another
        table's (or base's, or tenant's)."""
        body_part, _, mac_part = token.partition(".")
        try:
            body, mac = _unb64(body_part), _unb64(mac_part)
        except (binascii.Error, ValueError):
            raise invalid_page() from None
        expected = self._mac((tenant_id, base_id, table_id), body)
        if not body_part or not hmac.compare_digest(mac, expected):
            raise invalid_page()
        try:
            version, offset, sync_cursor = json.loads(body)
        except (ValueError, TypeError):
            raise invalid_page() from None
        if version != _VERSION or not isinstance(offset, str) or not isinstance(sync_cursor, str):
            raise invalid_page()
        return Page(offset=offset, sync_cursor=sync_cursor)
