"""Who is calling: the verified identity that travels with every call as gRPC metadata.

At the edge Envoy strips these headers from whatever a client sends; only the gateway, or a
service passing its own caller on, sets them, so a service behind the edge can trust them.
A call that carries none may carry `authorization: Bearer <token>` instead, which is
verified with auth-service.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextvars import ContextVar
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import grpc

from services.shared.errors import Unauthenticated

if TYPE_CHECKING:
    from services.shared.clients import Clients

TENANT_HEADER = "x-pyat-tenant-id"
USER_HEADER = "x-pyat-user-id"
SCOPES_HEADER = "x-pyat-scopes"
# The bases a personal access token is limited to (space-separated), when it is; set by the
# edge for the REST front, which must not list other bases to such a token.
TOKEN_BASES_HEADER = "x-pyat-token-bases"
IDENTITY_HEADERS = (TENANT_HEADER, USER_HEADER, SCOPES_HEADER, TOKEN_BASES_HEADER)


@dataclass(frozen=True)
class Caller:
    user_id: str
    tenant_id: str
    scopes: tuple[str, ...] = ()

    def headers(self) -> Iterator[tuple[str, str]]:
        yield TENANT_HEADER, self.tenant_id
        yield USER_HEADER, self.user_id
        if self.scopes:
            yield SCOPES_HEADER, " ".join(self.scopes)


_caller: ContextVar[Caller | None] = ContextVar("pyat_caller", default=None)


def current_caller() -> Caller | None:
    """The caller of the call being served, once `authenticate` has established it."""
    return _caller.get()


def act_as(caller: Caller) -> None:
    """Make calls from here on carry `caller` (e.g. after a login established who it is)."""
    _caller.set(caller)


def parse_bearer(authorization: str) -> str | None:
    """The token of an `Authorization: Bearer <token>` value, or None."""
    scheme, _, token = authorization.strip().partition(" ")
    token = token.strip()
    return token if scheme.lower() == "bearer" and token else None


def _bearer_from(metadata: dict[str, Any]) -> str:
    value = metadata.get("authorization")
    if not isinstance(value, str) or not value:
        raise Unauthenticated("missing credentials: send 'Authorization: Bearer <token>'")
    token = parse_bearer(value)
    if token is None:
        raise Unauthenticated("the Authorization header must be 'Bearer <token>'")
    return token


def bearer_token(context: grpc.aio.ServicerContext[Any, Any]) -> str:
    """The token of the call's `authorization: Bearer <token>` metadata, or UNAUTHENTICATED."""
    return _bearer_from(dict(context.invocation_metadata() or ()))


async def authenticate(context: grpc.aio.ServicerContext[Any, Any], clients: Clients) -> Caller:
    """The verified caller of this call, or UNAUTHENTICATED."""
    metadata = dict(context.invocation_metadata() or ())
    tenant_id, user_id = metadata.get(TENANT_HEADER), metadata.get(USER_HEADER)
    if isinstance(tenant_id, str) and isinstance(user_id, str) and tenant_id and user_id:
        scopes = str(metadata.get(SCOPES_HEADER, "")).split()
        caller = Caller(user_id=user_id, tenant_id=tenant_id, scopes=tuple(scopes))
    else:
        caller = await clients.verify_token(_bearer_from(metadata))
    act_as(caller)
    return caller
