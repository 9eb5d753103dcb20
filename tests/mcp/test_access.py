"""A token's scopes and bases apply to every tool, tenants never see each other, and /mcp
serves only authenticated callers, whichever way it is reached."""

from __future__ import annotations

import httpx
import pytest

from services.mcp import http as mcp_http
from services.shared.server import Host
from tests.e2e.test_airtable_rest import create_base, sign_up
from tests.fixtures.callers import caller_metadata
from tests.mcp.support import (
    EVERY_SCOPE,
    READ_SCOPES,
    account_with_base,
    over_http,
    refused,
    token,
    use,
)

pytestmark = [pytest.mark.envoy]

INITIALIZE = {
    "jsonrpc": "2.0",
    "id": 1,
    "method": "initialize",
    "params": {
        "protocolVersion": "2025-11-25",
        "capabilities": {},
        "clientInfo": {"name": "test", "version": "1"},
    },
}
MCP_HEADERS = {"Accept": "application/json, text/event-stream"}


async def test_a_read_only_tokens_writes_are_tool_errors_and_change_nothing(edge: str) -> None:
    async with httpx.AsyncClient(base_url=edge, timeout=30) as http:
        account, base_id = await account_with_base(http)
        writer, reader = (
            await token(http, account, EVERY_SCOPE),
            await token(http, account, READ_SCOPES),
        )
    async with over_http(edge, writer) as session:
        kept = await use(
            session, "create_record", baseId=base_id, tableId="Tasks", fields={"Name": "Keep"}
        )
    before = {"records": [kept]}
    async with over_http(edge, reader) as session:
        attempts = {
            "create_record": {"tableId": "Tasks", "fields": {"Name": "Sneaky"}},
            "update_records": {
                "tableId": "Tasks",
                "records": [{"id": kept["id"], "fields": {"Name": "Changed"}}],
            },
            "delete_records": {"tableId": "Tasks", "recordIds": [kept["id"]]},
            "create_table": {"name": "Nope", "fields": [{"name": "A", "type": "singleLineText"}]},
            "update_table": {"tableId": "Tasks", "name": "Renamed"},
            "create_field": {"tableId": "Tasks", "field": {"name": "X", "type": "number"}},
        }
        for tool, arguments in attempts.items():
            message = await refused(session, tool, baseId=base_id, **arguments)
            scope = (
                "schema.bases:write" if "table" in tool or "field" in tool else "data.records:write"
            )
            assert message == f"this token lacks the scope {scope}, which {tool} needs"
        assert await use(session, "list_records", baseId=base_id, tableId="Tasks") == before
        tables = await use(session, "list_tables", baseId=base_id, detailLevel="identifiersOnly")
        assert [t["name"] for t in tables["tables"]] == ["Tasks"]
        assert "X" not in [f["name"] for f in tables["tables"][0]["fields"]]


async def test_a_token_limited_to_one_base_sees_no_other(edge: str) -> None:
    async with httpx.AsyncClient(base_url=edge, timeout=30) as http:
        account, first = await account_with_base(http)
        second = (await create_base(http, account))["id"]
        limited = await token(http, account, EVERY_SCOPE, bases=[second])
    async with over_http(edge, limited) as session:
        bases = await use(session, "list_bases")
        assert [b["id"] for b in bases["bases"]] == [second]
        for tool, arguments in (
            ("list_tables", {}),
            ("list_records", {"tableId": "Tasks"}),
            ("create_record", {"tableId": "Tasks", "fields": {"Name": "x"}}),
            ("count_records", {"tableId": "Tasks"}),
        ):
            message = await refused(session, tool, baseId=first, **arguments)
            assert message.startswith(f"unknown base {first}"), message
        assert [r.name for r in (await session.list_resources()).resources] == ["Sprint / Tasks"]
        assert await use(session, "count_records", baseId=second, tableId="Tasks") == {"count": 0}


async def test_another_tenants_token_finds_nothing(edge: str) -> None:
    async with httpx.AsyncClient(base_url=edge, timeout=30) as http:
        owner, base_id = await account_with_base(http)
        owner_pat = await token(http, owner, EVERY_SCOPE)
        stranger = await sign_up(http)
        stranger_pat = await token(http, stranger, EVERY_SCOPE)
    async with over_http(edge, owner_pat) as session:
        secret = await use(
            session,
            "create_record",
            baseId=base_id,
            tableId="Tasks",
            fields={"Name": "Secret plan"},
        )
    async with over_http(edge, stranger_pat) as session:
        assert base_id not in str(await use(session, "list_bases"))
        assert (await session.list_resources()).resources == []
        for tool, arguments in (
            ("list_records", {"tableId": "Tasks"}),
            ("get_record", {"tableId": "Tasks", "recordId": secret["id"]}),
            ("search_records", {"tableId": "Tasks", "searchTerm": "Secret"}),
            ("semantic_search", {"query": "a secret plan"}),
            ("count_records", {"tableId": "Tasks"}),
            ("describe_table", {"tableId": "Tasks"}),
        ):
            message = await refused(session, tool, baseId=base_id, **arguments)
            assert "Secret plan" not in message


async def test_mcp_without_a_valid_token_is_401_at_the_edge(edge: str) -> None:
    async with httpx.AsyncClient(base_url=edge, timeout=30) as http:
        for headers in (
            {},
            {"Authorization": "Bearer patnotarealtoken.nope"},
            {"Authorization": "Basic x"},
        ):
            for path in ("/mcp", "/mcp/"):
                answer = await http.post(path, json=INITIALIZE, headers={**MCP_HEADERS, **headers})
                assert answer.status_code == 401, answer.text
                assert answer.headers["www-authenticate"] == "Bearer"
                assert answer.headers["content-type"].startswith("application/json")
                assert "error" in answer.json()


async def test_the_mcp_listener_reached_directly_needs_a_valid_assertion(fabric: Host) -> None:
    assert fabric.runtime is not None
    url = f"http://127.0.0.1:{fabric.runtime.http_ports[mcp_http.NAME]}/mcp"
    forged = caller_metadata("ten-x", "usr-x")[0][1][:-4] + "AAAA"
    async with httpx.AsyncClient(timeout=10) as http:
        for headers in ({}, {"x-pyat-caller": forged}, {"Authorization": "Bearer anything"}):
            answer = await http.post(url, json=INITIALIZE, headers={**MCP_HEADERS, **headers})
            assert answer.status_code == 401, answer.text
            assert answer.headers["www-authenticate"] == "Bearer"
        signed = dict(caller_metadata("ten-x", "usr-x"))
        answer = await http.post(url, json=INITIALIZE, headers={**MCP_HEADERS, **signed})
        assert answer.status_code == 200, answer.text
        assert answer.json()["result"]["serverInfo"]["name"] == mcp_http.SERVER_NAME
        assert (await http.get(url.replace("/mcp", "/other"), headers=signed)).status_code == 404
