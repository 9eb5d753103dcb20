"""Access tokens (short-lived HS256 JWTs) and refresh tokens (random, stored only as a hash)."""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets

import jwt

from services.shared.access_tokens import (
    ALGORITHM,
    ISSUER,
    AccessClaims,
    load_signing_key,
    verify_access_token,
)
from services.shared.ids import new_id

__all__ = ["AccessClaims", "TokenIssuer", "hash_secret", "load_signing_key"]


class TokenIssuer:
    def __init__(self, key: bytes, access_ttl_s: int, refresh_ttl_s: int) -> None:
        self._key = key
        self.access_ttl = dt.timedelta(seconds=access_ttl_s)
        self.refresh_ttl = dt.timedelta(seconds=refresh_ttl_s)

    def access_token(
        self, *, user_id: str, tenant_id: str, email: str, session_id: str, now: dt.datetime
    ) -> tuple[str, dt.datetime]:
        expires_at = now + self.access_ttl
        claims = {
            "iss": ISSUER,
            "sub": user_id,
            "tid": tenant_id,
            "sid": session_id,
            "email": email,
            "iat": int(now.timestamp()),
            "exp": int(expires_at.timestamp()),
            "jti": new_id("jti"),
        }
        return jwt.encode(claims, self._key, algorithm=ALGORITHM), expires_at

    def verify(self, token: str) -> AccessClaims:
        """The claims of a valid access token; UNAUTHENTICATED for anything else."""
        return verify_access_token(self._key, token)

    def refresh_token(self, now: dt.datetime) -> tuple[str, str, dt.datetime]:
        """A new refresh token, the hash to store for it, and when it expires."""
        token = "rt_" + secrets.token_urlsafe(32)
        return token, hash_secret(token), now + self.refresh_ttl


def hash_secret(secret: str) -> str:
    # Our secrets have 256 random bits, so a fast hash is enough to make a stolen table useless.
    return hashlib.sha256(secret.encode()).hexdigest()
