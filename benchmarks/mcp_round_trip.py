"""The MCP round trip: list_records of 100 records as one raw JSON-RPC POST to /mcp (for the
load generator), as a gRPC CallTool (for mcp-server alone), and through the `mcp` client
library on one ClientSession, timed in an open loop here.
"""

from __future__ import annotations

import asyncio
import json
import time
from typing import Any

import httpx2
from google.protobuf import struct_pb2
from mcp import ClientSession
from mcp.client.streamable_http import streamable_http_client
from pyat.mcp.v1 import mcp_pb2

from benchmarks.feed import percentile
from benchmarks.knowledge import KnowledgeBase, pat
from benchmarks.scenarios import Call

LISTED = 100  # records a list_records returns


def list_arguments(kb: KnowledgeBase) -> dict[str, Any]:
    return {"baseId": kb.base_id, "tableId": kb.directory_id, "maxRecords": LISTED}


def mcp_call(kb: KnowledgeBase) -> Call:
    """tools/call list_records as one JSON-RPC POST: the server is stateless, so no session."""
    message = {
        "jsonrpc": "2.0",
        "id": 1,
        "method": "tools/call",
        "params": {"name": "list_records", "arguments": list_arguments(kb)},
    }
    headers = (*pat(kb), ("accept", "application/json, text/event-stream"))
    return Call(json.dumps(message).encode(), headers)


def grpc_mcp_call(kb: KnowledgeBase) -> Call:
    arguments = struct_pb2.Struct()
    arguments.update(list_arguments(kb))
    request = mcp_pb2.CallToolRequest(name="list_records", arguments=arguments)
    return Call(request.SerializeToString(), kb.caller)


def check_mcp_answer(edge: str, kb: KnowledgeBase) -> None:
    """One raw call first: HTTP 200 is not enough, the tool must succeed with 100 records."""
    call = mcp_call(kb)
    answer = httpx2.post(
        f"http://{edge}/mcp",
        content=call.body,
        timeout=30,
        headers={**dict(call.headers), "content-type": "application/json"},
    )
    if answer.status_code != 200:
        raise RuntimeError(f"/mcp answered HTTP {answer.status_code}: {answer.text[:300]}")
    result = answer.json().get("result") or {}
    if result.get("isError") or "error" in answer.json():
        raise RuntimeError(f"list_records failed: {answer.text[:300]}")
    text = result["content"][0]["text"]
    if text.count('"id"') < LISTED:
        raise RuntimeError(f"list_records returned fewer than {LISTED} records: {text[:300]}")


async def mcp_client_round_trips(
    url: str, kb: KnowledgeBase, rate: float, warmup_s: float, duration_s: float
) -> dict[str, Any]:
    """call_tool("list_records") on one ClientSession, open loop: call n is due at start +
    n / rate, and its latency counts from then."""
    latencies: list[float] = []
    errors: dict[str, int] = {}
    async with (
        httpx2.AsyncClient(headers={"Authorization": f"Bearer {kb.pat}"}, timeout=30) as http,
        streamable_http_client(url, http_client=http, terminate_on_close=False) as (read, write),
        ClientSession(read, write) as session,
    ):

        async def one(due: float, measured: bool) -> None:
            try:
                result = await session.call_tool("list_records", list_arguments(kb))
                outcome = "tool error" if result.is_error else "OK"
            except Exception as exc:  # the library's own errors: count them, go on
                outcome = type(exc).__name__
            if measured and outcome == "OK":
                latencies.append(time.monotonic() - due)
            elif measured:
                errors[outcome] = errors.get(outcome, 0) + 1

        start = time.monotonic()
        tasks = []
        for n in range(int((warmup_s + duration_s) * rate)):
            due = start + n / rate
            await asyncio.sleep(max(0.0, due - time.monotonic()))
            tasks.append(asyncio.create_task(one(due, due - start >= warmup_s)))
        await asyncio.gather(*tasks)
    names = {"p50": 0.5, "p95": 0.95, "p99": 0.99, "max": 1.0}
    latency = (
        {name: round(percentile(latencies, q) * 1e3, 2) for name, q in names.items()}
        if latencies
        else None
    )
    return {"rate": rate, "ok": len(latencies), "errors": errors, "latency_ms": latency}
