"""Caller assertions for the benchmarks' direct gRPC calls, signed with the run's secret
(PYAT_JWT_SECRET, which run.py shares with every server it starts). They live a day, so a
call built once serves a whole run."""

from __future__ import annotations

import functools

from services.shared.config import Settings
from services.shared.identity import Assertions, Caller, assertion_key

LIFETIME_S = 24 * 3600.0


@functools.cache
def _assertions() -> Assertions:
    return Assertions(assertion_key(Settings.from_env()), lifetime_s=LIFETIME_S)


def caller_metadata(tenant_id: str, user_id: str, *, via: str = "") -> tuple[tuple[str, str]]:
    """What a call made through the edge by this user carries (`via`: on its behalf)."""
    caller = Caller(user_id=user_id, tenant_id=tenant_id, via=via)
    return (("x-pyat-caller", _assertions().sign(caller)),)
