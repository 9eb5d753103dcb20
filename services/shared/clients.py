"""Channels for calling other services: one per address, with the standard interceptors.

Wrap one in a generated stub: `UserServiceStub(runtime.clients.channel("user"))`.
"""

from __future__ import annotations

from dataclasses import dataclass

import grpc
from google.protobuf import any_pb2, duration_pb2
from google.rpc import error_details_pb2, status_pb2
from pyat.auth.v1 import auth_pb2, auth_pb2_grpc

from services.shared.config import Settings
from services.shared.errors import DomainError, Unauthenticated, Unavailable
from services.shared.identity import (
    CALLER_HEADER,
    PERSONAL,
    SESSION,
    Assertions,
    Caller,
    assertion_key,
)
from services.shared.interceptors import client_interceptors

_CHANNEL_OPTIONS = [
    ("grpc.keepalive_time_ms", 30_000),
    ("grpc.keepalive_timeout_ms", 10_000),
    ("grpc.http2.max_pings_without_data", 0),
]


class Clients:
    """Hands out generated stubs for other services, found by `Settings.addr_of`."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.assertions = Assertions(assertion_key(settings))
        self._channels: dict[str, grpc.aio.Channel] = {}

    def channel(self, service: str) -> grpc.aio.Channel:
        address = self.settings.addr_of(service)
        channel = self._channels.get(address)
        if channel is None:
            channel = grpc.aio.insecure_channel(
                address,
                options=_CHANNEL_OPTIONS,
                interceptors=client_interceptors(
                    self.settings.default_call_timeout_s, self.assertions
                ),
            )
            self._channels[address] = channel
        return channel

    async def verify_token(self, token: str) -> Caller:
        """Ask auth-service who a bearer token belongs to: the caller it makes its calls as."""
        auth = auth_pb2_grpc.AuthServiceStub(self.channel("auth"))
        verifier = self.assertions.for_caller(Caller.service("token-verifier"))
        try:
            claims = await auth.VerifyToken(
                auth_pb2.VerifyTokenRequest(token=token), metadata=((CALLER_HEADER, verifier),)
            )
        except grpc.aio.AioRpcError as err:
            raise translate("auth", err) from None
        personal = claims.kind == auth_pb2.TOKEN_KIND_PERSONAL
        return Caller(
            user_id=claims.user_id,
            tenant_id=claims.tenant_id,
            kind=PERSONAL if personal else SESSION,
            scopes=tuple(claims.scopes),
            token_bases=tuple(claims.base_ids),
        )

    async def close(self) -> None:
        for channel in self._channels.values():
            await channel.close()
        self._channels.clear()


# The trailer in which gRPC carries a google.rpc.Status with the error's details.
STATUS_DETAILS_TRAILER = "grpc-status-details-bin"


@dataclass(frozen=True)
class CallErrorDetails:
    """What a service attached to an error it answered (google.rpc.Status details)."""

    details: tuple[any_pb2.Any, ...] = ()
    # The last google.rpc.ErrorInfo reason, if any.
    reason: str = ""
    # Every google.rpc.BadRequest violation, (field, description), in order.
    violations: tuple[tuple[str, str], ...] = ()
    # The last google.rpc.RetryInfo delay, if any.
    retry_delay: duration_pb2.Duration | None = None


def error_details(err: grpc.aio.AioRpcError) -> CallErrorDetails:
    """The details a failed call carries, read from its trailers once."""
    raw = next(
        (value for key, value in err.trailing_metadata() or () if key == STATUS_DETAILS_TRAILER),
        None,
    )
    if not isinstance(raw, bytes):
        return CallErrorDetails()
    details = tuple(status_pb2.Status.FromString(raw).details)
    reason, violations, retry_delay = "", [], None
    for detail in details:
        info = error_details_pb2.ErrorInfo()
        bad = error_details_pb2.BadRequest()
        retry = error_details_pb2.RetryInfo()
        if detail.Unpack(info):
            reason = info.reason
        elif detail.Unpack(bad):
            violations += [(v.field, v.description) for v in bad.field_violations]
        elif detail.Unpack(retry):
            retry_delay = retry.retry_delay
    return CallErrorDetails(details, reason, tuple(violations), retry_delay)


def translate(service: str, err: grpc.aio.AioRpcError) -> DomainError:
    """A failed call to another service, as the error our own caller should see."""
    if err.code() is grpc.StatusCode.UNAUTHENTICATED:
        return Unauthenticated(err.details() or "unauthenticated")
    if err.code() is grpc.StatusCode.UNAVAILABLE:
        return Unavailable(f"{service} is unavailable, try again")
    error = DomainError(err.details() or f"{service} failed")
    error.code = err.code()
    return error
