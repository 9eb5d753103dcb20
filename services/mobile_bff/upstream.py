"""Errors of the services mobile-bff calls, passed on to the app with their code, reason and
field violations intact (a CURSOR_EXPIRED must reach the app as such)."""

from __future__ import annotations

import grpc
from google.protobuf import any_pb2

from services.shared.clients import error_details, translate
from services.shared.errors import DomainError


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
    details = list(error_details(err).details)
    return Relayed(err.code(), err.details() or f"{service} failed", details)


def reason_of(err: grpc.aio.AioRpcError) -> str:
    """The google.rpc.ErrorInfo reason a failed call carries, if any."""
    return error_details(err).reason
