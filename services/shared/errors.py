"""Domain errors and their one mapping to gRPC status codes.

Handlers raise these; the error interceptor turns them into a status with `google.rpc`
details. Anything else that escapes a handler is logged and becomes INTERNAL with no detail.
"""

from __future__ import annotations

from collections.abc import Mapping

import grpc
from google.protobuf import any_pb2
from google.rpc import error_details_pb2, status_pb2

MAX_MESSAGE = 500


class DomainError(Exception):
    """An error that the caller caused or should know about, with a status that says which."""

    code: grpc.StatusCode = grpc.StatusCode.UNKNOWN

    def __init__(self, message: str, *, reason: str = "") -> None:
        super().__init__(message)
        self.message = message
        # A stable machine-readable reason, e.g. "EMAIL_TAKEN", sent as google.rpc.ErrorInfo.
        self.reason = reason

    def details(self) -> list[any_pb2.Any]:
        if not self.reason:
            return []
        info = error_details_pb2.ErrorInfo(reason=self.reason, domain="pyat")
        packed = any_pb2.Any()
        packed.Pack(info)
        return [packed]

    def to_status(self) -> status_pb2.Status:
        code_value: int = self.code.value[0]
        # Messages may quote the caller's input; keep them well inside HTTP/2 header limits.
        message = (
            self.message if len(self.message) <= MAX_MESSAGE else self.message[:MAX_MESSAGE] + "..."
        )
        return status_pb2.Status(code=code_value, message=message, details=self.details())


class InvalidArgument(DomainError):
    """The request is malformed. `fields` names each bad field and what is wrong with it."""

    code = grpc.StatusCode.INVALID_ARGUMENT

    def __init__(
        self, message: str, *, fields: Mapping[str, str] | None = None, reason: str = ""
    ) -> None:
        super().__init__(message, reason=reason)
        self.fields = dict(fields or {})

    def details(self) -> list[any_pb2.Any]:
        details = super().details()
        if self.fields:
            bad = error_details_pb2.BadRequest(
                field_violations=[
                    error_details_pb2.BadRequest.FieldViolation(field=name, description=text)
                    for name, text in self.fields.items()
                ]
            )
            packed = any_pb2.Any()
            packed.Pack(bad)
            details.append(packed)
        return details


class NotFound(DomainError):
    code = grpc.StatusCode.NOT_FOUND


class AlreadyExists(DomainError):
    code = grpc.StatusCode.ALREADY_EXISTS


class Unauthenticated(DomainError):
    code = grpc.StatusCode.UNAUTHENTICATED


class PermissionDenied(DomainError):
    code = grpc.StatusCode.PERMISSION_DENIED


class FailedPrecondition(DomainError):
    code = grpc.StatusCode.FAILED_PRECONDITION


class ResourceExhausted(DomainError):
    code = grpc.StatusCode.RESOURCE_EXHAUSTED


class Unavailable(DomainError):
    code = grpc.StatusCode.UNAVAILABLE
