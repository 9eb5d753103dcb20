"""Tokens and AI clients in a real Chromium against the real fabric: a person makes a read-only
token limited to one base, the page shows it once beside a Claude Desktop config that carries it
and the edge's URL, the token reads through the edge (/v0 and /mcp) but may not write, and
revoked in the page it stops working; bad input gets the server's message, and the screen
fits a phone."""

from __future__ import annotations

import asyncio
import json
import re
import time
from pathlib import Path

import httpx
from playwright.async_api import BrowserContext, Page, expect

from tests.web.ui import new_email, open_new_table, sign_up

# The edge may cache a token's verdict for a second; room for a loaded machine.
REVOKED_WITHIN_S = 10
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


async def open_tokens(page: Page) -> None:
    await page.goto("/")
    await page.get_by_role("link", name="Tokens and AI clients").click()
    await expect(page.get_by_role("heading", name="Tokens and AI clients")).to_be_visible()


async def status_until(
    http: httpx.AsyncClient, path: str, token: str, status: int, within_s: float
) -> int:
    """GET `path` with `token` until it answers `status` or `within_s` passes; the last status."""
    deadline = time.monotonic() + within_s
    while True:
        answer = await http.get(path, headers={"Authorization": f"Bearer {token}"})
        if answer.status_code == status or time.monotonic() > deadline:
            return answer.status_code
        await asyncio.sleep(0.1)


async def test_read_only_token_for_one_base_connects_an_ai_client_until_revoked(
    page: Page, context: BrowserContext, edge: str, artifacts: Path
) -> None:
    await sign_up(page, new_email())
    await open_new_table(page, "Studio", "Catalog", "Prints")
    base_id, table_id = re.findall(r"/(?:bases|tables)/([^/?#]+)", page.url)
    # A second base, which the token won't reach.
    await page.goto("/")
    studio = page.get_by_role("region", name="Workspace Studio")
    await studio.get_by_label("New base in Studio").fill("Archive")
    await studio.get_by_role("button", name="Create base").click()
    await expect(page.get_by_role("heading", name="Archive")).to_be_visible()

    await open_tokens(page)
    await expect(page.get_by_text("You have no tokens yet.")).to_be_visible()
    form = page.get_by_role("form", name="New token")
    await form.get_by_label("Token name").fill("Claude on my laptop")
    await form.get_by_role("button", name="Read and write").click()
    await expect(form.get_by_role("checkbox", name=re.compile("^Change records"))).to_be_checked()
    await form.get_by_role("button", name="Read only").click()
    await expect(form.get_by_role("button", name="Read only")).to_have_attribute(
        "aria-pressed", "true"
    )
    await expect(form.get_by_role("checkbox", name=re.compile("^Read records"))).to_be_checked()
    await expect(
        form.get_by_role("checkbox", name=re.compile("^Change records"))
    ).not_to_be_checked()
    await form.get_by_role("radio", name="Only the bases I choose").check()
    await (
        form.get_by_role("group", name="Bases in Studio")
        .get_by_role("checkbox", name="Catalog")
        .check()
    )
    await form.get_by_label("Expires").select_option(label="In 30 days")
    await form.get_by_role("button", name="Create token").click()

    created = page.get_by_role("region", name="Token “Claude on my laptop” created")
    await expect(created.get_by_text("only time it is shown")).to_be_visible()
    token = await created.get_by_label("Your new token").input_value()
    assert re.fullmatch(r"pat\w{14}\.[0-9a-f]{64}", token), token
    assert await created.get_by_label("MCP URL").input_value() == f"{edge}/mcp"
    config = json.loads(await created.get_by_label("Claude Desktop config").input_value())
    server = config["mcpServers"]["pyairtable"]
    assert server["args"] == ["mcp"]
    assert server["env"] == {"PYAT_URL": edge, "PYAT_TOKEN": token}
    assert server["command"] == "/path/to/PyAirtable/.venv/bin/pyat"
    await expect(created.get_by_text("Replace /path/to/PyAirtable")).to_be_visible()
    # Copy puts the config on the clipboard as shown.
    await context.grant_permissions(["clipboard-read", "clipboard-write"])
    await created.get_by_role("button", name="Copy config").click()
    await expect(created.get_by_text("Copied.")).to_be_visible()
    assert json.loads(await page.evaluate("() => navigator.clipboard.readText()")) == config
    await page.screenshot(path=artifacts / "tokens-1-created.png", full_page=True)

    row = page.get_by_role("listitem", name="Token Claude on my laptop")
    await expect(row).to_contain_text("Read records, Read the schema")
    await expect(row).to_contain_text("Bases: Catalog")
    await expect(row).to_contain_text("Never used")
    await expect(row).to_contain_text("Expires")

    async with httpx.AsyncClient(base_url=edge, timeout=30) as http:
        bearer = {"Authorization": f"Bearer {token}"}
        whoami = await http.get("/v0/meta/whoami", headers=bearer)
        assert whoami.status_code == 200, whoami.text
        assert sorted(whoami.json()["scopes"]) == ["data.records:read", "schema.bases:read"]
        read = await http.get(f"/v0/{base_id}/{table_id}", headers=bearer)
        assert read.status_code == 200, read.text
        write = await http.post(
            f"/v0/{base_id}/{table_id}",
            json={"records": [{"fields": {"Name": "Not mine to add"}}]},
            headers=bearer,
        )
        assert write.status_code == 403, write.text
        mcp = await http.post("/mcp", json=INITIALIZE, headers={**MCP_HEADERS, **bearer})
        assert mcp.status_code == 200, mcp.text

        # The secret leaves the page for good; the token stays listed, then is revoked.
        await page.get_by_role("button", name="Done, I have copied it").click()
        await expect(page.get_by_label("Your new token")).to_have_count(0)
        await page.reload()
        await expect(row).to_contain_text(re.compile("Last used"))
        await row.get_by_role("button", name="Revoke Claude on my laptop").click()
        confirm = row.get_by_role("group", name="Confirm revoking Claude on my laptop")
        await expect(confirm.get_by_role("button", name="Keep it")).to_be_focused()
        await confirm.get_by_role("button", name="Keep it").click()
        await expect(confirm).to_have_count(0)
        await row.get_by_role("button", name="Revoke Claude on my laptop").click()
        await confirm.get_by_role("button", name="Revoke token").click()
        await expect(row).to_have_count(0)
        await expect(page.get_by_role("heading", name="Your tokens")).to_be_focused()
        await expect(page.get_by_text("You have no tokens yet.")).to_be_visible()

        status = await status_until(http, "/v0/meta/whoami", token, 401, REVOKED_WITHIN_S)
        assert status == 401


async def test_bad_input_shows_the_servers_message(page: Page) -> None:
    await sign_up(page, new_email())
    await open_tokens(page)
    # Another person's tokens (the tests before) are not listed.
    await expect(page.get_by_text("You have no tokens yet.")).to_be_visible()
    form = page.get_by_role("form", name="New token")
    await form.get_by_label("Token name").fill("   ")
    for scope in ("Read records", "Read the schema"):
        await form.get_by_role("checkbox", name=re.compile(f"^{scope}")).uncheck()
    await form.get_by_role("button", name="Create token").click()
    alert = form.get_by_role("alert")
    await expect(alert).to_contain_text("invalid personal access token request")
    await expect(alert).to_contain_text("Token name: must be 1 to 100 characters")
    await expect(alert).to_contain_text("What it may do: at least one of data.records:read")
    await expect(page.get_by_label("Your new token")).to_have_count(0)


async def test_the_screen_works_at_a_phone_width(page: Page, artifacts: Path) -> None:
    await page.set_viewport_size({"width": 360, "height": 740})
    await sign_up(page, new_email())
    await open_tokens(page)
    form = page.get_by_role("form", name="New token")
    await form.get_by_label("Token name").fill("Phone")
    await form.get_by_role("button", name="Create token").click()
    created = page.get_by_role("region", name="Token “Phone” created")
    await expect(created.get_by_role("button", name="Copy token")).to_be_visible()
    wide = await page.evaluate("() => document.documentElement.scrollWidth")
    assert wide <= 360, f"the page scrolls sideways: {wide}px"
    await page.screenshot(path=artifacts / "tokens-2-phone.png", full_page=True)
