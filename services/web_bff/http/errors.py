"""Errors of the HTTP side as Airtable-style `{"error": {"type", "message"}}` answers, and the
one mapping from a failed call to auth-service to them."""

from __future__ import annotations

import grpc
from aiohttp import web
from google.protobuf import duration_pb2

from services.shared.airtable_errors import (
    AUTHENTICATION_REQUIRED,
    INVALID_PERMISSIONS,
    RATE_LIMIT_REACHED,
    error_body,
)
from services.shared.clients import error_details

INVALID_REQUEST = "INVALID_REQUEST_UNKNOWN"
NOT_FOUND = "NOT_FOUND"
FORBIDDEN = "FORBIDDEN"
CONFLICT = "CONFLICT"
SERVICE_UNAVAILABLE = "SERVICE_UNAVAILABLE"
SERVER_ERROR = "SERVER_ERROR"


class HttpError(Exception):
    """An error answer; raise it anywhere in a handler."""

    def __init__(
        self,
        status: int,
        error_type: str,
        message: str,
        *,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.error_type = error_type
        self.message = message
        self.headers = dict(headers or {})

    def response(self) -> web.Response:
        answer = web.json_response(
            error_body(self.error_type, self.message), status=self.status, headers=self.headers
        )
        answer.headers["Cache-Control"] = "no-store"
        return answer


def invalid_request(message: str) -> HttpError:
    return HttpError(422, INVALID_REQUEST, message)


def forbidden(message: str) -> HttpError:
    return HttpError(403, FORBIDDEN, message)


def unauthenticated(message: str) -> HttpError:
    return HttpError(401, AUTHENTICATION_REQUIRED, message)


def from_http(error: web.HTTPException) -> HttpError:
    """aiohttp's own refusals (body too large, wrong method) in the same format."""
    error_type = (error.reason or "error").upper().replace(" ", "_")
    headers = {"Allow": error.headers["Allow"]} if "Allow" in error.headers else None
    return HttpError(error.status, error_type, error.reason, headers=headers)


def from_rpc(err: grpc.aio.AioRpcError) -> HttpError:
    """A failed call to auth-service as the web app should see it; bad input is never a 500."""
    code = err.code()
    message = err.details() or ""
    reason, violations, retry_after = _details(err)
    unsaid = [f"{name}: {text}" for name, text in violations if text not in message]
    if unsaid:
        message = "; ".join([message, *unsaid] if message else unsaid)
    if code in (grpc.StatusCode.INVALID_ARGUMENT, grpc.StatusCode.FAILED_PRECONDITION):
        return HttpError(422, reason or INVALID_REQUEST, message)
    if code is grpc.StatusCode.UNAUTHENTICATED:
        return HttpError(401, reason or AUTHENTICATION_REQUIRED, message)
    if code is grpc.StatusCode.ALREADY_EXISTS:
        return HttpError(409, reason or CONFLICT, message)
    if code is grpc.StatusCode.PERMISSION_DENIED:
        return HttpError(403, reason or INVALID_PERMISSIONS, message)
    if code is grpc.StatusCode.RESOURCE_EXHAUSTED:
        headers = {"Retry-After": retry_after} if retry_after else None
        return HttpError(429, reason or RATE_LIMIT_REACHED, message, headers=headers)
    if code in (grpc.StatusCode.UNAVAILABLE, grpc.StatusCode.DEADLINE_EXCEEDED):
        return HttpError(503, SERVICE_UNAVAILABLE, "The service is unavailable; try again.")
    return HttpError(500, SERVER_ERROR, "Something went wrong on our side.")


def _details(err: grpc.aio.AioRpcError) -> tuple[str, list[tuple[str, str]], str]:
    """The ErrorInfo reason, BadRequest violations and retry delay (whole seconds, from
    RetryInfo or a `retry-after` trailer) a service attached, if any."""
    trailers = list(err.trailing_metadata() or ())
    retry_after = next(
        (str(value) for key, value in trailers if key == "retry-after" and isinstance(value, str)),
        "",
    )
    found = error_details(err)
    if found.retry_delay is not None:
        retry_after = str(_whole_seconds(found.retry_delay))
    return found.reason, list(found.violations), retry_after


def _whole_seconds(delay: duration_pb2.Duration) -> int:
    return max(1, delay.seconds + (1 if delay.nanos > 0 else 0))
