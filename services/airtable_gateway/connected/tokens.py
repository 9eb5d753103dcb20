"""Airtable tokens at rest: AES-GCM under a key derived (HKDF) from the platform's secret.

The secret is PYAT_JWT_SECRET, the one secret a deployment already keeps; without it (a
single-machine install) a key made at first start is kept in the data dir. Each token is
bound to its tenant and base, so a sealed token copied onto another row does not open.
"""

from __future__ import annotations

import base64
import os
import secrets
from pathlib import Path

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from services.shared.config import Settings
from services.shared.errors import FailedPrecondition

_VERSION = "v1:"
_NONCE_BYTES = 12
_KEY_FILE = "connections_secret"


def _secret(settings: Settings) -> bytes:
    if settings.jwt_secret:
        return settings.jwt_secret.encode()
    path = Path(settings.data_dir) / _KEY_FILE
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:
            pass  # another process made it first
        else:
            with os.fdopen(fd, "w") as out:
                out.write(secrets.token_urlsafe(48))
    return path.read_text().strip().encode()


class TokenCipher:
    def __init__(self, settings: Settings) -> None:
        key = HKDF(
            algorithm=hashes.SHA256(),
            length=32,
            salt=None,
            info=b"pyat airtable connection tokens",
        ).derive(_secret(settings))
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
