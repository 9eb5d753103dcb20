"""The real MCP client drives mcp-server end to end, over streamable HTTP through Envoy and
over stdio (`pyat mcp`, started from the README's Claude Desktop config): the same scenario."""

from __future__ import annotations

import httpx
import pytest

from tests.mcp.support import EVERY_SCOPE, account_with_base, over_http, over_stdio, scenario, token

pytestmark = [pytest.mark.envoy]


@pytest.mark.timeout(120)
async def test_the_tools_work_end_to_end_over_streamable_http(edge_url: str) -> None:
    """On SQLite, then on PostgreSQL, Redis and NATS."""
    async with httpx.AsyncClient(base_url=edge_url, timeout=30) as http:
        account, base_id = await account_with_base(http)
        pat = await token(http, account, EVERY_SCOPE)
    async with over_http(edge_url, pat) as session:
        await scenario(session, base_id)


@pytest.mark.timeout(120)
async def test_the_readme_config_serves_the_tools_over_stdio(edge: str) -> None:
    async with httpx.AsyncClient(base_url=edge, timeout=30) as http:
        account, base_id = await account_with_base(http)
        pat = await token(http, account, EVERY_SCOPE)
    async with over_stdio(edge, pat) as session:
        await scenario(session, base_id)
