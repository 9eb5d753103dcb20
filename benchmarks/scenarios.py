"""The scenarios: what each calls, with which requests, at which tier and offered load.

Adding one takes a few lines in SCENARIOS: a name, the service it exercises, the gRPC method
or the REST path through Envoy, and a function that builds its calls from the seeded data.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

from pyat.auth.v1 import auth_pb2

from services.shared.identity import TENANT_HEADER, USER_HEADER


@dataclass(frozen=True)
class Tier:
    """A latency target: each percentile must stay under its figure."""

    name: str
    p50_ms: float
    p95_ms: float
    p99_ms: float


FAST = Tier("fast", 5.0, 20.0, 50.0)
AI = Tier("AI", 50.0, 200.0, 500.0)


@dataclass(frozen=True)
class Call:
    """One request as sent: the serialized message (or REST body) and its headers."""

    body: bytes = b""
    headers: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True)
class User:
    user_id: str
    tenant_id: str
    email: str
    token: str


@dataclass(frozen=True)
class Env:
    """What scenarios build their calls from."""

    users: list[User]  # registered through the real API before any scenario runs
    grpc_address: str  # the fabric, for scenarios that need to create more data first


Transport = Literal["grpc", "rest"]


@dataclass(frozen=True)
class Scenario:
    name: str
    service: str  # the service it exercises, as `pyat serve` names it (for the solo runs)
    transport: Transport  # "grpc" straight to the fabric, or "rest" through Envoy
    path: str  # the gRPC method, or the REST path
    calls: Callable[[Env], list[Call]]  # used in turn, round robin
    tier: Tier = FAST
    rate: float = 500.0  # the offered load (calls/s) at which its target is checked
    http_method: str = "GET"


def bearer(user: User) -> tuple[tuple[str, str], ...]:
    return (("authorization", f"Bearer {user.token}"),)


def as_caller(user: User) -> tuple[tuple[str, str], ...]:
    """The identity headers the gateway sets once it has verified a token."""
    return ((TENANT_HEADER, user.tenant_id), (USER_HEADER, user.user_id))


def verify_token(env: Env) -> list[Call]:
    return [Call(auth_pb2.VerifyTokenRequest(token=u.token).SerializeToString()) for u in env.users]


SCENARIOS: list[Scenario] = [
    Scenario("auth.VerifyToken", "auth", "grpc", "/pyat.auth.v1.AuthService/VerifyToken",
             verify_token),
    # With a bearer token user-service asks auth-service who the caller is: two hops.
    Scenario("user.GetMe", "user", "grpc", "/pyat.user.v1.UserService/GetMe",
             lambda env: [Call(headers=bearer(u)) for u in env.users]),
    # The same call with the identity the gateway has already verified: one hop.
    Scenario("user.GetMe as caller", "user", "grpc", "/pyat.user.v1.UserService/GetMe",
             lambda env: [Call(headers=as_caller(u)) for u in env.users]),
    # GetMe through the edge: the difference to the two above is the edge's cost (Envoy and its
    # transcoder, and api-gateway's checks where Envoy asks for them).
    Scenario("REST GET /v1/users/me", "user", "rest", "/v1/users/me",
             lambda env: [Call(headers=bearer(u)) for u in env.users]),
]  # fmt: skip
