"""What proving a caller costs per call, in µs: a service verifying the edge's signed
assertion (services/shared/identity.py `Assertions.verify`) the first time it sees it and
then from its memo, and the edge checking an access token itself (the HS256 JWT).

Best of 5 rounds, each timing many calls in a row on this process: CPU cost, not latency.
"""

from __future__ import annotations

import datetime as dt
import secrets
import time
from collections.abc import Callable
from typing import Any

from services.auth.tokens import TokenIssuer
from services.shared.access_tokens import verify_access_token
from services.shared.identity import Assertions, Caller
from services.shared.ids import new_id

ROUNDS = 5


def _best_us(run: Callable[[int], None], calls: int) -> float:
    """The best of ROUNDS rounds of `run(calls)`, per call, in µs."""
    best = float("inf")
    for _ in range(ROUNDS):
        started = time.perf_counter()
        run(calls)
        best = min(best, time.perf_counter() - started)
    return round(best / calls * 1e6, 2)


def run(quick: bool) -> dict[str, Any]:
    calls = 2_000 if quick else 20_000
    key = secrets.token_bytes(32)
    signer = Assertions(key)
    caller = Caller(user_id=new_id("usr"), tenant_id=new_id("ten"))
    # Distinct assertions, so that each uncached verify really checks a MAC.
    fresh = [signer.sign(Caller(user_id=new_id("usr"), tenant_id=caller.tenant_id))
             for _ in range(calls)]  # fmt: skip
    warm = signer.sign(caller)

    def uncached(n: int) -> None:
        verifier = Assertions(key)  # an empty memo
        for value in fresh[:n]:
            verifier.verify(value)

    verifier = Assertions(key)
    verifier.verify(warm)

    def cached(n: int) -> None:
        for _ in range(n):
            verifier.verify(warm)

    def sign(n: int) -> None:
        for _ in range(n):
            signer.sign(caller)

    def for_caller(n: int) -> None:
        for _ in range(n):
            signer.for_caller(caller)

    jwt_key = secrets.token_bytes(48)
    token, _ = TokenIssuer(jwt_key, 3600, 3600).access_token(
        user_id=caller.user_id,
        tenant_id=caller.tenant_id,
        email="bench@example.com",
        session_id=new_id("rtk"),
        now=dt.datetime.now(dt.UTC),
    )

    def jwt_verify(n: int) -> None:
        for _ in range(n):
            verify_access_token(jwt_key, token)

    return {
        "calls": calls,
        "rows": [
            {"what": "Assertions.verify, uncached (HMAC-SHA256 and JSON)",
             "us": _best_us(uncached, calls)},
            {"what": "Assertions.verify, cached (its memo)", "us": _best_us(cached, calls)},
            {"what": "Assertions.sign", "us": _best_us(sign, calls)},
            {"what": "Assertions.for_caller, cached (what the edge pays per request)",
             "us": _best_us(for_caller, calls)},
            {"what": "access token (HS256 JWT) verify, as ext_authz does on a memo miss",
             "us": _best_us(jwt_verify, calls)},
        ],
    }  # fmt: skip


def markdown(costs: dict[str, Any]) -> list[str]:
    lines = [
        "## Proving the caller: per-call CPU cost",
        "",
        f"Best of {ROUNDS} rounds of {costs['calls']:,} calls each, in µs per call "
        "(`benchmarks/identity_costs.py`). The intercepted echo above verifies the assertion "
        "of every call that carries one, from its memo after the first.",
        "",
        "| operation | µs/call |",
        "|---|---|",
    ]
    lines += [f"| {row['what']} | {row['us']:.2f} |" for row in costs["rows"]]
    return lines
