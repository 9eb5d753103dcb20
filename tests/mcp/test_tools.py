"""Tools answer bad input with errors a model can act on, over MCP and over gRPC; tables'
schemas are resources; `pyat mcp` fails clearly without a token or a server."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import grpc
import httpx
import pytest
from google.protobuf import struct_pb2
from mcp import ClientSession
from mcp.client.stdio import stdio_client
from mcp.shared.exceptions import MCPError
from pyat.mcp.v1 import mcp_pb2, mcp_pb2_grpc

from services.shared.server import Host
from tests.fixtures.callers import caller_metadata
from tests.fixtures.fabric import free_port
from tests.mcp.support import (
    EVERY_SCOPE,
    EXPECTED_TOOLS,
    READ_SCOPES,
    account_with_base,
    over_http,
    refused,
    stdio_parameters,
    text_of,
    token,
    use,
)

pytestmark = [pytest.mark.envoy]


async def test_bad_arguments_unknown_names_and_limits_are_tool_errors(edge: str) -> None:
    async with httpx.AsyncClient(base_url=edge, timeout=30) as http:
        account, base_id = await account_with_base(http)
        pat = await token(http, account, EVERY_SCOPE)
    async with over_http(edge, pat) as session:
        cases = [
            ("create_record", {"baseId": base_id, "tableId": "Tasks"}, "'fields' is a required"),
            (
                "list_records",
                {"baseId": base_id, "tableId": "Tasks", "maxRecords": "ten"},
                "maxRecords",
            ),
            ("list_records", {"baseId": base_id, "tableId": "Tasks", "colour": "red"}, "colour"),
            ("list_records", {"baseId": base_id, "tableId": "Nowhere"}, "Nowhere"),
            ("describe_table", {"baseId": base_id, "tableId": "Nowhere"}, "Nowhere"),
            (
                "list_records",
                {"baseId": base_id, "tableId": "Tasks", "filterByFormula": "{Nope} > 1"},
                "Nope",
            ),
            (
                "count_records",
                {"baseId": base_id, "tableId": "Tasks", "filterByFormula": "AND(1,"},
                "invalid request",
            ),
            (
                "search_records",
                {"baseId": base_id, "tableId": "Tasks", "searchTerm": "x", "fieldIds": ["Nope"]},
                "unknown field 'Nope'",
            ),
            (
                "create_record",
                {"baseId": base_id, "tableId": "Tasks", "fields": {"Points": "many"}},
                "Points",
            ),
            (
                "update_records",
                {
                    "baseId": base_id,
                    "tableId": "Tasks",
                    "records": [{"id": f"rec{i:014d}", "fields": {}} for i in range(11)],
                },
                "at most 10",
            ),
            (
                "delete_records",
                {"baseId": base_id, "tableId": "Tasks", "recordIds": ["rec" + "x" * 14] * 11},
                "at most 10",
            ),
            ("list_tables", {"baseId": "appDoesNotExist00"}, "not found"),
        ]
        for tool, arguments, expected in cases:
            message = await refused(session, tool, **arguments)
            assert expected in message, (tool, arguments, message)
        unknown = await session.call_tool("drop_everything", {})
        assert unknown.is_error and "unknown tool 'drop_everything'" in text_of(unknown)

        created = await use(
            session,
            "create_record",
            baseId=base_id,
            tableId="Tasks",
            fields={"Name": "A", "Points": 4},
        )
        evaluated = await use(
            session,
            "evaluate_formula",
            baseId=base_id,
            tableId="Tasks",
            formula="{Points} * 2 & ' ' & {Name}",
            recordId=created["id"],
        )
        assert evaluated == {"results": [{"id": created["id"], "value": "8 A"}]}
        bad = await refused(
            session,
            "evaluate_formula",
            baseId=base_id,
            tableId="Tasks",
            formula="SUM(",
            recordId=created["id"],
        )
        assert bad.startswith("invalid request"), bad


async def test_each_tables_schema_is_a_resource(edge: str) -> None:
    async with httpx.AsyncClient(base_url=edge, timeout=30) as http:
        account, base_id = await account_with_base(http)
        pat = await token(http, account, READ_SCOPES)
    async with over_http(edge, pat) as session:
        tables = await use(session, "list_tables", baseId=base_id)
        table_id = tables["tables"][0]["id"]
        uri = f"pyat://bases/{base_id}/tables/{table_id}/schema"
        listed = (await session.list_resources()).resources
        assert [(str(r.uri), r.mime_type) for r in listed] == [(uri, "application/json")]
        read = await session.read_resource(uri)
        schema = json.loads(read.contents[0].text)  # type: ignore[union-attr]
        assert schema["baseId"] == base_id and schema["id"] == table_id
        assert [f["name"] for f in schema["fields"]] == ["Name", "Points", "Done"]
        with pytest.raises(MCPError, match="unknown resource"):
            await session.read_resource(f"pyat://bases/{base_id}/tables/tbl{'0' * 14}/schema")


async def test_mcp_service_lists_and_calls_the_tools_over_grpc(edge: str, fabric: Host) -> None:
    async with httpx.AsyncClient(base_url=edge, timeout=30) as http:
        account, base_id = await account_with_base(http)
    session = caller_metadata(account.session["user"]["tenant_id"], account.user_id)
    read_only = caller_metadata(
        account.session["user"]["tenant_id"], account.user_id, scopes=READ_SCOPES
    )
    async with grpc.aio.insecure_channel(fabric.address) as channel:
        mcp = mcp_pb2_grpc.McpServiceStub(channel)
        listed = await mcp.ListTools(mcp_pb2.ListToolsRequest(), metadata=session)
        assert {t.name for t in listed.tools} == EXPECTED_TOOLS
        by_name = {t.name: t for t in listed.tools}
        assert by_name["list_records"].read_only and not by_name["create_record"].read_only
        assert "baseId" in by_name["list_records"].input_schema["properties"]

        def arguments(**values: object) -> struct_pb2.Struct:
            struct = struct_pb2.Struct()
            struct.update(values)
            return struct

        bases = await mcp.CallTool(mcp_pb2.CallToolRequest(name="list_bases"), metadata=session)
        assert not bases.is_error and base_id in bases.text
        made = await mcp.CallTool(
            mcp_pb2.CallToolRequest(
                name="create_record",
                arguments=arguments(
                    baseId=base_id, tableId="Tasks", fields={"Name": "gRPC", "Points": 2}
                ),
            ),
            metadata=session,
        )
        assert not made.is_error, made.text
        assert json.loads(made.text)["fields"] == {"Name": "gRPC", "Points": 2}
        listed_records = await mcp.CallTool(
            mcp_pb2.CallToolRequest(
                name="list_records",
                arguments=arguments(baseId=base_id, tableId="Tasks", maxRecords=5),
            ),
            metadata=session,
        )
        assert json.loads(listed_records.text)["records"][0]["fields"]["Name"] == "gRPC"
        # Calls made on the caller's behalf are not judged by scope downstream: the tools are.
        denied = await mcp.CallTool(
            mcp_pb2.CallToolRequest(
                name="create_record",
                arguments=arguments(baseId=base_id, tableId="Tasks", fields={}),
            ),
            metadata=read_only,
        )
        assert denied.is_error and "data.records:write" in denied.text
        with pytest.raises(grpc.aio.AioRpcError) as unknown:
            await mcp.CallTool(mcp_pb2.CallToolRequest(name="nope"), metadata=session)
        assert unknown.value.code() is grpc.StatusCode.NOT_FOUND
        with pytest.raises(grpc.aio.AioRpcError) as anonymous:
            await mcp.ListTools(mcp_pb2.ListToolsRequest())
        assert anonymous.value.code() is grpc.StatusCode.UNAUTHENTICATED


def test_pyat_mcp_without_a_token_says_so_and_exits_2() -> None:
    env = {k: v for k, v in os.environ.items() if k not in ("PYAT_TOKEN",)}
    done = subprocess.run(
        [sys.executable, "-m", "services.cli", "mcp"],
        env=env,
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert done.returncode == 2
    assert "PYAT_TOKEN" in done.stderr


@pytest.mark.timeout(60)
async def test_pyat_mcp_with_no_server_answers_with_clear_errors() -> None:
    nowhere = f"http://127.0.0.1:{free_port()}"
    async with (
        stdio_client(stdio_parameters(nowhere, "patanything.x")) as (read, write),
        ClientSession(read, write, read_timeout_seconds=30) as session,
    ):
        await session.initialize()
        with pytest.raises(MCPError, match="can't reach"):
            await session.list_tools()
        result = await session.call_tool("list_bases", {})
        assert result.is_error and "can't reach" in text_of(result)
