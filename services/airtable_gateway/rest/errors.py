"""Airtable's error answers: its HTTP statuses and `{"error": ...}` bodies, and the one mapping
from the gRPC status of a failed call to them."""

from __future__ import annotations

import grpc
from aiohttp import web

from services.shared.airtable_errors import (
    AUTHENTICATION_REQUIRED,
    INVALID_PERMISSIONS,
    RATE_LIMIT_REACHED,
    error_body,
)
from services.shared.clients import error_details

INVALID_REQUEST = "INVALID_REQUEST_UNKNOWN"
NOT_FOUND = "NOT_FOUND"
# Airtable answers a missing record with the bare string; other missing models have a type.
_BARE_NOT_FOUND_REASONS = frozenset({"", "RECORD_NOT_FOUND", "ROW_DOES_NOT_EXIST"})
# Bad input, whichever way a service words it, is Airtable's 422.
_UNPROCESSABLE = frozenset(
    {
        grpc.StatusCode.INVALID_ARGUMENT,
        grpc.StatusCode.FAILED_PRECONDITION,
        grpc.StatusCode.ALREADY_EXISTS,
        grpc.StatusCode.OUT_OF_RANGE,
    }
)


class AirtableError(Exception):
    """An answer in Airtable's error format; raise it anywhere in a handler."""

    def __init__(self, status: int, error_type: str, message: str = "") -> None:
        super().__init__(message or error_type)
        self.status = status
        self.error_type = error_type
        self.message = message

    def response(self) -> web.Response:
        if self.status == 404 and self.error_type == NOT_FOUND:
            return web.json_response({"error": NOT_FOUND}, status=404)
        return web.json_response(error_body(self.error_type, self.message), status=self.status)


def forbidden(why: str) -> AirtableError:
    """Airtable's 403, for a token that may not do what it asked."""
    return AirtableError(
        403,
        INVALID_PERMISSIONS,
        f"Invalid permissions, or the requested model was not found: {why}.",
    )


def invalid_request(message: str) -> AirtableError:
    """A request whose shape is wrong: malformed JSON, a wrong type, an unknown parameter."""
    return AirtableError(422, INVALID_REQUEST, message)


def from_http(error: web.HTTPException) -> AirtableError:
    """aiohttp's own refusals (no such route, wrong method, body too large) in Airtable's format."""
    if error.status == 404:
        return AirtableError(404, NOT_FOUND)
    error_type = (error.reason or "error").upper().replace(" ", "_")
    return AirtableError(error.status, error_type, error.text or error.reason)


def from_rpc(err: grpc.aio.AioRpcError) -> AirtableError:
    """A failed call to a service, as Airtable would have answered."""
    code = err.code()
    message = err.details() or ""
    reason, violations = _details(err)
    # Field details the message does not already say, named as the service named them.
    unsaid = [f"{name}: {text}" for name, text in violations if text not in message]
    if unsaid:
        message = "; ".join([message, *unsaid] if message else unsaid)
    if code in _UNPROCESSABLE:
        return AirtableError(422, reason or INVALID_REQUEST, message)
    if code is grpc.StatusCode.NOT_FOUND:
        if reason in _BARE_NOT_FOUND_REASONS:
            return AirtableError(404, NOT_FOUND)
        return AirtableError(404, reason, message)
    if code is grpc.StatusCode.PERMISSION_DENIED:
        return AirtableError(403, INVALID_PERMISSIONS, message)
    if code is grpc.StatusCode.UNAUTHENTICATED:
        return AirtableError(401, AUTHENTICATION_REQUIRED, message)
    if code is grpc.StatusCode.RESOURCE_EXHAUSTED:
        # A plan's quota is not lifted by waiting, so it is no rate limit.
        if "QUOTA" in reason:
            return AirtableError(422, reason, message)
        return AirtableError(429, RATE_LIMIT_REACHED, message)
    if code in (grpc.StatusCode.UNAVAILABLE, grpc.StatusCode.DEADLINE_EXCEEDED):
        return AirtableError(503, "SERVICE_UNAVAILABLE", "The service is unavailable; try again.")
    return AirtableError(500, "SERVER_ERROR", "Something went wrong on our side.")


def _details(err: grpc.aio.AioRpcError) -> tuple[str, list[tuple[str, str]]]:
    """The google.rpc.ErrorInfo reason and BadRequest violations a service attached, if any."""
    found = error_details(err)
    return found.reason, list(found.violations)
