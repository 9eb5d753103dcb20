"""Airtable tokens at rest: AES-GCM under a key derived (HKDF) from the platform's secret.

The secret is the platform's (services/shared/secret_key.py). Each token is bound to its
tenant and base, so a sealed token copied onto another row does not open.
"""

from __future__ import annotations

import base64
import secrets

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from services.shared.config import Settings
from services.shared.errors import FailedPrecondition
from services.shared.secret_key import platform_secret

_VERSION = "v1:"
_NONCE_BYTES = 12
_KEY_FILE = "connections_secret"


class TokenCipher:
    def __init__(self, settings: Settings) -> None:
        key = HKDF(
            algorithm=hashes.SHA256(),
            length=32,
            salt=None,
            info=b"pyat airtable connection tokens",
        ).derive(platform_secret(settings, _KEY_FILE))
        self._aead = AESGCM(key)

    def seal(self, token: str, tenant_id: str, base_id: str) -> str:
        nonce = secrets.token_bytes(_NONCE_BYTES)
        sealed = self._aead.encrypt(nonce, token.encode(), _bound_to(tenant_id, base_id))
        return _VERSION + base64.urlsafe_b64encode(nonce + sealed).decode()

    def open(self, sealed: str, tenant_id: str, base_id: str) -> str:
        raw = base64.urlsafe_b64decode(sealed.removeprefix(_VERSION))
        try:
            token = self._aead.decrypt(
                raw[:_NONCE_BYTES], raw[_NONCE_BYTES:], _bound_to(tenant_id, base_id)
            )
        except InvalidTag:
            raise FailedPrecondition(
                "the stored Airtable token cannot be decrypted (was the secret key changed?); "
                "connect the base again",
                reason="CONNECTION_TOKEN_UNREADABLE",
            ) from None
        return token.decode()


def _bound_to(tenant_id: str, base_id: str) -> bytes:
    return f"{tenant_id}/{base_id}".encode()
