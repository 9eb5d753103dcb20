"""Errors of the services mobile-bff calls, passed on to the app with their code, reason and
field violations intact (a CURSOR_EXPIRED must reach the app as such)."""

from __future__ import annotations

import grpc
from google.protobuf import any_pb2
from google.rpc import error_details_pb2, status_pb2

from services.shared.clients import translate
from services.shared.errors import DomainError

_STATUS_DETAILS_KEY = "grpc-status-details-bin"


class Relayed(DomainError):
    """Another service's error, as it said it."""

    def __init__(self, code: grpc.StatusCode, message: str, details: list[any_pb2.Any]) -> None:
        super().__init__(message)
        self.code = code
        self._details = details

    def details(self) -> list[any_pb2.Any]:
        return list(self._details)


def relayed(service: str, err: grpc.aio.AioRpcError) -> DomainError:
    """The error our caller should see for a failed call to `service`."""
    if err.code() in (
        grpc.StatusCode.UNAVAILABLE,
        grpc.StatusCode.UNAUTHENTICATED,
        grpc.StatusCode.INTERNAL,
        grpc.StatusCode.UNKNOWN,
    ):
        # Nothing the app can act on beyond "try again" (or, for INTERNAL, a bug of ours).
        return translate(service, err)
    raw = next(
        (value for key, value in err.trailing_metadata() or () if key == _STATUS_DETAILS_KEY),
        None,
    )
    details = list(status_pb2.Status.FromString(raw).details) if isinstance(raw, bytes) else []
    return Relayed(err.code(), err.details() or f"{service} failed", details)


def reason_of(err: grpc.aio.AioRpcError) -> str:
    """The google.rpc.ErrorInfo reason a failed call carries, if any."""
    for detail in relayed("", err).details():
        info = error_details_pb2.ErrorInfo()
        if detail.Unpack(info):
            reason: str = info.reason
            return reason
    return ""
