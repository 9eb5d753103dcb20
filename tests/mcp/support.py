"""What the MCP tests share: accounts and tokens made through the edge, MCP client sessions
over streamable HTTP (through Envoy) and over stdio (`pyat mcp` as a subprocess, started from
the README's Claude Desktop config), and the one scenario both transports run."""

from __future__ import annotations

import asyncio
import json
import re
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import httpx
import httpx2
from mcp import ClientSession
from mcp.client.stdio import StdioServerParameters, stdio_client
from mcp.client.streamable_http import streamable_http_client
from mcp.types import CallToolResult, TextContent

from tests.e2e.test_airtable_rest import Account, call, create_base, sign_up

REPO = Path(__file__).resolve().parents[2]
EVERY_SCOPE = [
    "data.records:read",
    "data.records:write",
    "schema.bases:read",
    "schema.bases:write",
]
READ_SCOPES = ["data.records:read", "schema.bases:read"]
EXPECTED_TOOLS = {
    "list_bases",
    "list_tables",
    "describe_table",
    "list_records",
    "search_records",
    "get_record",
    "create_record",
    "update_records",
    "delete_records",
    "create_table",
    "update_table",
    "create_field",
    "update_field",
    "semantic_search",
    "evaluate_formula",
    "count_records",
    "aggregate_records",
}
# How long a record may take to become findable by meaning (indexing is asynchronous).
SEARCH_DEADLINE_S = 30.0

Connect = Callable[[str], Any]


async def token(
    http: httpx.AsyncClient, account: Account, scopes: list[str], bases: list[str] | None = None
) -> str:
    created = await call(
        http,
        "POST",
        "/v1/auth/tokens",
        account.session["access_token"],
        json={"name": "mcp", "scopes": scopes, "base_ids": bases or []},
    )
    made: str = created["token"]
    return made


async def account_with_base(http: httpx.AsyncClient) -> tuple[Account, str]:
    account = await sign_up(http)
    base = await create_base(http, account)
    return account, base["id"]


@asynccontextmanager
async def over_http(edge: str, bearer: str | None) -> AsyncIterator[ClientSession]:
    """The real MCP client on streamable HTTP through Envoy."""
    headers = {"Authorization": f"Bearer {bearer}"} if bearer else {}
    async with (
        httpx2.AsyncClient(headers=headers, timeout=30) as client,
        streamable_http_client(f"{edge}/mcp", http_client=client) as (read, write),
        ClientSession(read, write, read_timeout_seconds=30) as session,
    ):
        await session.initialize()
        yield session


def readme_config() -> dict[str, Any]:
    """The claude_desktop_config.json snippet of the README's "Connect Claude Desktop" section."""
    readme = (REPO / "README.md").read_text()
    section = readme.split("### Connect Claude Desktop (MCP)", 1)[1]
    snippet = re.search(r"```json\n(.*?)\n```", section, re.S)
    assert snippet is not None, "the README's MCP section has no JSON snippet"
    config: dict[str, Any] = json.loads(snippet.group(1))
    return config


def stdio_parameters(edge: str, bearer: str) -> StdioServerParameters:
    """The README's config with its placeholders filled: this checkout, the edge, the token."""
    server = readme_config()["mcpServers"]["pyairtable"]
    command = server["command"].replace("/path/to/PyAirtable", str(REPO))
    env = dict(server["env"])
    assert set(env) == {"PYAT_URL", "PYAT_TOKEN"}
    env["PYAT_URL"], env["PYAT_TOKEN"] = edge, bearer
    return StdioServerParameters(command=command, args=server["args"], env=env)


@asynccontextmanager
async def over_stdio(edge: str, bearer: str) -> AsyncIterator[ClientSession]:
    """The real MCP client on stdio, to `pyat mcp` started exactly as the README's config."""
    async with (
        stdio_client(stdio_parameters(edge, bearer)) as (read, write),
        ClientSession(read, write, read_timeout_seconds=60) as session,
    ):
        await session.initialize()
        yield session


def text_of(result: CallToolResult) -> str:
    content = result.content[0]
    assert isinstance(content, TextContent)
    return content.text


async def use(session: ClientSession, tool: str, **arguments: Any) -> Any:
    """A tool's answer, which must not be an error."""
    result = await session.call_tool(tool, arguments)
    assert not result.is_error, f"{tool}: {text_of(result)}"
    return json.loads(text_of(result))


async def refused(session: ClientSession, tool: str, **arguments: Any) -> str:
    """A tool's error message, which it must be."""
    result = await session.call_tool(tool, arguments)
    assert result.is_error, f"{tool} should have failed: {text_of(result)}"
    return text_of(result)


async def until(
    check: Callable[[], Awaitable[bool]], deadline_s: float, what: Callable[[], str]
) -> None:
    deadline = time.monotonic() + deadline_s
    while not await check():
        assert time.monotonic() < deadline, f"{what()} within {deadline_s} s"
        await asyncio.sleep(0.2)


PEOPLE_FIELDS = [
    {"name": "Name", "type": "singleLineText"},
    {"name": "Job", "type": "multilineText"},
    {"name": "Points", "type": "number", "options": {"precision": 0}},
    {
        "name": "Team",
        "type": "singleSelect",
        "options": {"choices": [{"name": "North"}, {"name": "South"}]},
    },
]
JOBS = [
    "auto mechanic at a garage",
    "pastry chef baking croissants",
    "violin teacher",
    "tax accountant",
    "florist arranging tulips",
]


def person(i: int) -> dict[str, Any]:
    return {
        "Name": f"Person {i}",
        "Job": JOBS[i % len(JOBS)] if i < len(JOBS) else f"clerk number {i}",
        "Points": i,
        "Team": "North" if i % 2 else "South",
    }


async def scenario(session: ClientSession, base_id: str) -> None:
    """The tools end to end: create a table, 30 records, list with a formula, search by a
    word and by meaning, update, aggregate and delete."""
    listed = await session.list_tools()
    assert {t.name for t in listed.tools} == EXPECTED_TOOLS
    assert all(t.description and t.input_schema.get("type") == "object" for t in listed.tools)

    table = await use(session, "create_table", baseId=base_id, name="People", fields=PEOPLE_FIELDS)
    assert [f["name"] for f in table["fields"]] == ["Name", "Job", "Points", "Team"]
    table_id = table["id"]

    ids = []
    for i in range(30):
        created = await use(
            session, "create_record", baseId=base_id, tableId=table_id, fields=person(i)
        )
        assert created["fields"]["Name"] == f"Person {i}"
        ids.append(created["id"])

    high = await use(
        session,
        "list_records",
        baseId=base_id,
        tableId="People",
        filterByFormula="{Points} >= 25",
        sort=[{"field": "Points", "direction": "desc"}],
        fields=["Name", "Points"],
    )
    assert [r["fields"] for r in high["records"]] == [
        {"Name": f"Person {i}", "Points": i} for i in range(29, 24, -1)
    ]

    found = await use(
        session, "search_records", baseId=base_id, tableId=table_id, searchTerm="CROISSANTS"
    )
    assert [r["id"] for r in found["records"]] == [ids[1]]

    hits: list[dict[str, Any]] = []

    async def mechanic_first() -> bool:
        answer = await use(
            session,
            "semantic_search",
            baseId=base_id,
            tableId=table_id,
            query="someone who fixes cars",
            maxRecords=3,
        )
        hits[:] = answer["records"]
        return bool(hits) and hits[0]["id"] == ids[0] and "Name" in hits[0]["fields"]

    await until(mechanic_first, SEARCH_DEADLINE_S, lambda: f"the mechanic first, not {hits}")

    updated = await use(
        session,
        "update_records",
        baseId=base_id,
        tableId=table_id,
        records=[{"id": ids[3], "fields": {"Points": 100}}],
    )
    assert updated["records"][0]["fields"]["Points"] == 100
    got = await use(session, "get_record", baseId=base_id, tableId=table_id, recordId=ids[3])
    assert got == {"id": ids[3], "fields": {**person(3), "Points": 100}}

    points = {i: (100 if i == 3 else i) for i in range(30)}
    aggregated = await use(
        session,
        "aggregate_records",
        baseId=base_id,
        tableId=table_id,
        aggregations=[
            {"function": "sum", "field": "Points"},
            {"function": "max", "field": "Points"},
        ],
        groupBy="Team",
    )
    by_team = {g["key"]: g for g in aggregated["groups"]}
    for team, parity in (("North", 1), ("South", 0)):
        mine = [p for i, p in points.items() if i % 2 == parity]
        assert by_team[team]["records"] == 15
        assert by_team[team]["values"] == {"sum(Points)": sum(mine), "max(Points)": max(mine)}

    deleted = await use(
        session, "delete_records", baseId=base_id, tableId=table_id, recordIds=ids[:10]
    )
    assert sorted(deleted["deleted"]) == sorted(ids[:10])
    counted = await use(session, "count_records", baseId=base_id, tableId=table_id)
    assert counted == {"count": 20}
