"""Airtable's error answers, as both the edge (api-gateway) and the /v0 front give them: the
error types (https://support.airtable.com/docs/airtable-api-common-troubleshooting) and the
`{"error": {"type", "message"}}` body."""

from __future__ import annotations

import json

AUTHENTICATION_REQUIRED = "AUTHENTICATION_REQUIRED"
UNAUTHORIZED = "UNAUTHORIZED"
INVALID_PERMISSIONS = "INVALID_PERMISSIONS_OR_MODEL_NOT_FOUND"
RATE_LIMIT_REACHED = "RATE_LIMIT_REACHED"


def error_body(error_type: str, message: str) -> dict[str, dict[str, str]]:
    return {"error": {"type": error_type, "message": message}}


def error_json(error_type: str, message: str) -> str:
    return json.dumps(error_body(error_type, message))
