"""Access tokens (HS256 JWTs) and whether their session is still live: what auth-service,
which issues and ends them, and the edge, which checks them on every request, both need.

auth-service records each session's liveness in the shared cache (Redis, or the process's own
in `pyat up`); the edge reads that entry instead of asking auth-service, and asks only when
the cache has no answer (auth-service then reads the database and records one).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import jwt

from services.shared.config import Settings
from services.shared.errors import Unauthenticated
from services.shared.secret_key import platform_secret

ISSUER = "pyat"
ALGORITHM = "HS256"
REQUIRED_CLAIMS = ["exp", "iat", "sub", "tid", "iss", "sid"]

# The liveness entry's values: written by auth-service, read by both.
SESSION_LIVE, SESSION_ENDED = b"1", b"0"


def load_signing_key(settings: Settings) -> bytes:
    """PYAT_JWT_SECRET if given; else a key made at first start and kept in the data dir."""
    return platform_secret(settings, "jwt_secret")


def session_key(session_id: str) -> str:
    """The cache key of a session's liveness entry."""
    return f"auth:session:{session_id}"


@dataclass(frozen=True)
class AccessClaims:
    user_id: str
    tenant_id: str
    email: str
    session_id: str
    expires_at: dt.datetime


def verify_access_token(key: bytes, token: str) -> AccessClaims:
    """The claims of a validly signed, unexpired access token; UNAUTHENTICATED otherwise.
    Says nothing about whether its session has ended since."""
    try:
        claims = jwt.decode(
            token,
            key,
            algorithms=[ALGORITHM],
            issuer=ISSUER,
            options={"require": REQUIRED_CLAIMS},
        )
        return AccessClaims(
            user_id=str(claims["sub"]),
            tenant_id=str(claims["tid"]),
            email=str(claims.get("email", "")),
            session_id=str(claims["sid"]),
            expires_at=dt.datetime.fromtimestamp(claims["exp"], dt.UTC),
        )
    except jwt.ExpiredSignatureError:
        raise Unauthenticated("token has expired", reason="TOKEN_EXPIRED") from None
    except (jwt.PyJWTError, TypeError, ValueError, OverflowError):
        raise Unauthenticated("token is invalid", reason="TOKEN_INVALID") from None
