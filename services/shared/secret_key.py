"""The platform's secret: PYAT_JWT_SECRET, the one secret a deployment keeps. Without it (a
single-machine install) a key made at first start is kept in the data dir, one file per use.
Each use derives what it needs from this, so the uses never share a key."""

from __future__ import annotations

import os
import secrets
from pathlib import Path

from services.shared.config import Settings

MIN_LEN = 32


def platform_secret(settings: Settings, key_file: str) -> bytes:
    """PYAT_JWT_SECRET if set; else the key in `data_dir/key_file`, made on first use."""
    if settings.jwt_secret:
        if len(settings.jwt_secret) < MIN_LEN:
            raise ValueError(f"PYAT_JWT_SECRET must be at least {MIN_LEN} characters")
        return settings.jwt_secret.encode()
    path = Path(settings.data_dir) / key_file
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
