"""Running a tool for a caller: its arguments checked against its schema, the caller's token
judged (scopes and bases), and every failure turned into a message a model can act on.

Services judge a token's scopes only on the caller's own calls, and a tool's calls over gRPC
are made on the caller's behalf, so the token is judged here, before anything is called."""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from typing import Any

import grpc
from jsonschema import Draft202012Validator

from services.mcp.tools import TOOLS, Stubs, Tool, ToolError
from services.shared.clients import error_details
from services.shared.identity import Caller

log = logging.getLogger("pyat.mcp")

_VALIDATORS = {name: Draft202012Validator(tool.schema) for name, tool in TOOLS.items()}


@dataclass(frozen=True)
class Result:
    # Compact JSON, or the error's message.
    text: str
    is_error: bool = False


class Toolbox:
    def __init__(self, stubs: Stubs) -> None:
        self.stubs = stubs

    @staticmethod
    def tools() -> list[Tool]:
        return list(TOOLS.values())

    @staticmethod
    def find(name: str) -> Tool | None:
        return TOOLS.get(name)

    async def call(self, tool: Tool, arguments: dict[str, Any], who: Caller) -> Result:
        """Run `tool` as `who` (who must be the current caller: the stubs call as it)."""
        try:
            _check_arguments(tool, arguments)
            _check_token(tool, arguments, who)
            answer = await tool.run(self.stubs, arguments)
        except ToolError as err:
            return Result(str(err), is_error=True)
        except grpc.aio.AioRpcError as err:
            return Result(_explain(err, tool, arguments), is_error=True)
        except Exception:
            log.exception("a tool failed", extra={"tool": tool.name})
            return Result(f"{tool.name} failed on our side; try again later", is_error=True)
        return Result(json.dumps(answer, separators=(",", ":"), ensure_ascii=False))


def _check_arguments(tool: Tool, arguments: dict[str, Any]) -> None:
    errors = sorted(_VALIDATORS[tool.name].iter_errors(arguments), key=lambda e: list(e.path))
    if errors:
        first = errors[0]
        where = "/".join(str(part) for part in first.absolute_path) or "arguments"
        raise ToolError(f"invalid arguments for {tool.name}: {where}: {first.message}")


def _check_token(tool: Tool, arguments: dict[str, Any], who: Caller) -> None:
    if not who.personal:
        return  # a session may use every tool
    for scope in tool.scopes:
        if scope not in who.scopes:
            raise ToolError(f"this token lacks the scope {scope}, which {tool.name} needs")
    base_id = arguments.get("baseId")
    if who.token_bases and isinstance(base_id, str) and base_id not in who.token_bases:
        # As if it did not exist: a token limited to some bases learns nothing of others.
        raise ToolError(_unknown_base(base_id))


def _unknown_base(base_id: str) -> str:
    return f"unknown base {base_id}: no base with this id is visible to you (see list_bases)"


def _explain(err: grpc.aio.AioRpcError, tool: Tool, arguments: dict[str, Any]) -> str:
    """A failed call to a service, as a message a model can act on."""
    code, message = err.code(), err.details() or ""
    details = error_details(err)
    unsaid = [f"{name}: {text}" for name, text in details.violations if text not in message]
    if unsaid:
        message = "; ".join([message, *unsaid] if message else unsaid)
    if code is grpc.StatusCode.NOT_FOUND:
        if details.reason in ("", "RECORD_NOT_FOUND", "ROW_DOES_NOT_EXIST") and not message:
            return "not found: check the baseId, tableId and record ids"
        return f"not found: {message}"
    if code in (
        grpc.StatusCode.INVALID_ARGUMENT,
        grpc.StatusCode.FAILED_PRECONDITION,
        grpc.StatusCode.OUT_OF_RANGE,
        grpc.StatusCode.ALREADY_EXISTS,
    ):
        return f"invalid request: {message}"
    if code is grpc.StatusCode.PERMISSION_DENIED:
        if details.reason == "BASE_DENIED" and isinstance(arguments.get("baseId"), str):
            return _unknown_base(arguments["baseId"])
        return f"not allowed: {message}"
    if code is grpc.StatusCode.UNAUTHENTICATED:
        return f"not authenticated: {message}"
    if code is grpc.StatusCode.RESOURCE_EXHAUSTED:
        return f"limit reached: {message}; wait a little and try again"
    if code in (grpc.StatusCode.UNAVAILABLE, grpc.StatusCode.DEADLINE_EXCEEDED):
        return f"a service {tool.name} needs is unavailable right now; try again shortly"
    if code is grpc.StatusCode.UNIMPLEMENTED:
        return f"{tool.name} is not available here: {message or 'not implemented'}"
    log.warning(
        "a tool's call failed", extra={"tool": tool.name, "code": code.name, "details": message}
    )
    return f"{tool.name} failed on our side; try again later"
