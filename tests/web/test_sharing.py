"""Sharing in a real Chromium against the real fabric, one browser profile per person: an owner
invites a colleague, who signs up by the link and accepts; edits travel live both ways; a
read-only member can look but not change (and the server refuses them too); an owner manages
members, and removing one takes their access away."""

from __future__ import annotations

import re
import time
from pathlib import Path

import httpx
from playwright.async_api import Browser, BrowserContext, Page, expect

from tests.web.ui import (
    COLLEAGUE,
    OWNER,
    add_record,
    cell_at,
    grid_cell,
    invite,
    join_by_link,
    new_email,
    open_new_table,
    open_share,
    person,
    saved,
    session_token,
    sign_up,
    signup_link,
)


async def rename_first(page: Page, name: str) -> float:
    """Type a new name into row 1; the moment it was sent (Enter), by time.monotonic()."""
    await cell_at(page, 1, "Name").dblclick()
    editor = page.get_by_role("textbox", name="Name, row 1")
    await editor.fill(name)
    sent = time.monotonic()
    await editor.press("Enter")
    return sent


async def test_invited_editor_joins_by_link_and_edits_travel_live_both_ways(
    page: Page, context: BrowserContext, browser: Browser, edge: str, artifacts: Path
) -> None:
    await sign_up(page, new_email())
    await open_new_table(page, "Team", "Plans", "Tasks")
    await add_record(page, "Kickoff")
    await saved(page)
    table_url = page.url

    colleague = new_email()
    dialog = await open_share(page, "Team")
    await expect(dialog.get_by_label(f"Role of {OWNER}")).to_have_value("ROLE_OWNER")
    await expect(dialog.get_by_text("does not send email yet")).to_be_visible()
    await invite(dialog, colleague, "Editor")
    link = await signup_link(dialog, colleague)
    await expect(
        dialog.get_by_role("button", name=f"Revoke invitation to {colleague}")
    ).to_be_visible()
    # Copy puts the link on the clipboard.
    await context.grant_permissions(["clipboard-read", "clipboard-write"])
    await dialog.get_by_role("button", name="Copy link").click()
    await expect(dialog.get_by_text("Link copied.")).to_be_visible()
    assert await page.evaluate("() => navigator.clipboard.readText()") == link
    await page.screenshot(path=artifacts / "sharing-1-invited.png")
    await dialog.get_by_role("button", name="Close").click()

    async with person(browser, edge) as other:
        await join_by_link(
            other, link, colleague, "Team", screenshot=artifacts / "sharing-2-signup.png"
        )
        await other.screenshot(path=artifacts / "sharing-2-joined.png")
        await (
            other.get_by_role("region", name="Workspace Team")
            .get_by_role("link", name="Plans")
            .click()
        )
        await expect(grid_cell(other, "Kickoff")).to_be_visible()
        await expect(other.get_by_role("button", name="Add record")).to_be_visible()
        await page.goto(table_url)
        await expect(grid_cell(page, "Kickoff")).to_be_visible()

        sent = await rename_first(page, "Kickoff (owner)")
        await expect(grid_cell(other, "Kickoff (owner)")).to_be_visible()
        owner_to_colleague = time.monotonic() - sent
        await saved(page)

        sent = await rename_first(other, "Kickoff (colleague)")
        await expect(grid_cell(page, "Kickoff (colleague)")).to_be_visible()
        colleague_to_owner = time.monotonic() - sent
        print(
            f"\nlive edit seen by the other person: owner -> colleague {owner_to_colleague:.3f}s, "
            f"colleague -> owner {colleague_to_owner:.3f}s"
        )
        await saved(other)
        await other.screenshot(path=artifacts / "sharing-3-live.png")

        # Accepted: no longer pending, and a member with the invited role.
        dialog = await open_share(page, "Team")
        await expect(dialog.get_by_label(f"Role of {COLLEAGUE}")).to_have_value("ROLE_EDITOR")
        await expect(dialog.get_by_text("No pending invitations.")).to_be_visible()


async def test_read_only_member_can_look_but_not_change(
    page: Page, browser: Browser, edge: str, artifacts: Path
) -> None:
    await sign_up(page, new_email())
    await open_new_table(page, "Books", "Ledger", "Bills")
    await add_record(page, "Rent")
    await saved(page)
    table_url = page.url

    colleague = new_email()
    await invite(await open_share(page, "Books"), colleague, "Read-only")
    link = await signup_link(page.get_by_role("dialog"), colleague)

    async with person(browser, edge) as other:
        await join_by_link(other, link, colleague, "Books")
        region = other.get_by_role("region", name="Workspace Books")
        await expect(region.get_by_text("Read-only", exact=True)).to_be_visible()
        await expect(region.get_by_role("button", name="Share Books")).to_have_count(0)
        await expect(region.get_by_label("New base in Books")).to_have_count(0)
        await other.goto(table_url)

        grid = other.get_by_role("grid", name="Bills")
        await expect(grid_cell(other, "Rent")).to_be_visible()
        await expect(other.get_by_role("note")).to_contain_text("read-only access")
        await expect(grid).to_have_attribute("aria-readonly", "true")
        for control in ("Add record", "Delete record", "Add field", "Create table"):
            await expect(other.get_by_role("button", name=control)).to_have_count(0)
        # Neither a double click nor the keyboard opens an editor.
        await grid_cell(other, "Rent").dblclick()
        await other.keyboard.press("Enter")
        await other.keyboard.type("x")
        await expect(other.get_by_role("textbox", name="Name, row 1")).to_have_count(0)
        await expect(cell_at(other, 1, "Name")).to_have_attribute("aria-readonly", "true")
        await other.screenshot(path=artifacts / "sharing-4-read-only.png")

        # The server refuses them anyway, with Airtable's error body.
        base_id, table_id = re.findall(r"/(?:bases|tables)/([^/]+)", table_url)
        async with httpx.AsyncClient(base_url=edge, timeout=30) as http:
            records = await http.get(
                f"/v0/{base_id}/{table_id}",
                headers={"Authorization": f"Bearer {await session_token(other)}"},
            )
            assert records.status_code == 200, records.text
            record_id = records.json()["records"][0]["id"]
            refused = await http.patch(
                f"/v0/{base_id}/{table_id}",
                json={"records": [{"id": record_id, "fields": {"Name": "Paid"}}]},
                headers={"Authorization": f"Bearer {await session_token(other)}"},
            )
        assert refused.status_code == 403
        assert refused.json()["error"]["type"] == "INVALID_PERMISSIONS_OR_MODEL_NOT_FOUND"
        await page.goto(table_url)
        await expect(grid_cell(page, "Rent")).to_be_visible()


async def test_owner_manages_members_and_removal_takes_access_away(
    page: Page, browser: Browser, edge: str, artifacts: Path
) -> None:
    await sign_up(page, new_email())
    await open_new_table(page, "Ops", "Rota", "Shifts")
    await add_record(page, "Night")
    await saved(page)
    table_url = page.url

    colleague = new_email()
    dialog = await open_share(page, "Ops")
    # The last owner can neither step down nor leave: the server's refusal is shown.
    await dialog.get_by_label(f"Role of {OWNER}").select_option("ROLE_EDITOR")
    await expect(dialog.get_by_role("alert")).to_contain_text("last owner cannot be demoted")
    await expect(dialog.get_by_label(f"Role of {OWNER}")).to_have_value("ROLE_OWNER")
    page.once("dialog", lambda question: question.accept())
    await dialog.get_by_role("button", name=f"Remove {OWNER}").click()
    await expect(dialog.get_by_role("alert")).to_contain_text("last owner cannot leave")

    # A bad address is refused with the server's reason; a revoked invitation is gone.
    await invite(dialog, "not-an-email", "Editor")
    await expect(dialog.get_by_role("alert").filter(has_text="not a valid address")).to_be_visible()
    stranger = new_email()
    await invite(dialog, stranger, "Creator")
    await signup_link(dialog, stranger)
    await dialog.get_by_role("button", name=f"Revoke invitation to {stranger}").click()
    await expect(dialog.get_by_text("No pending invitations.")).to_be_visible()

    await invite(dialog, colleague, "Editor")
    link = await signup_link(dialog, colleague)

    async with person(browser, edge) as other:
        await join_by_link(other, link, colleague, "Ops")
        await other.goto(table_url)
        await expect(grid_cell(other, "Night")).to_be_visible()

        dialog = await open_share(page, "Ops")
        await dialog.get_by_label(f"Role of {COLLEAGUE}").select_option("ROLE_READ_ONLY")
        await expect(dialog.get_by_label(f"Role of {COLLEAGUE}")).to_have_value("ROLE_READ_ONLY")
        await other.reload()
        await expect(other.get_by_role("note")).to_contain_text("read-only access")

        page.once("dialog", lambda question: question.accept())
        await dialog.get_by_role("button", name=f"Remove {COLLEAGUE}").click()
        await expect(dialog.get_by_label(f"Role of {COLLEAGUE}")).to_have_count(0)
        await page.screenshot(path=artifacts / "sharing-5-removed.png")

        await other.reload()
        await expect(other.get_by_role("alert").filter(has_text=re.compile(r"\w"))).to_be_visible()
        await expect(other.get_by_role("grid")).to_have_count(0)
        await other.goto("/")
        await expect(other.get_by_text("You have no workspaces yet.")).to_be_visible()

        # Invited again: they have an account now, so no link; the invitation is on their home.
        await invite(dialog, colleague, "Editor")
        await expect(dialog.get_by_role("status")).to_contain_text("already have an account")
        await other.reload()
        await other.get_by_role("button", name="Accept invitation to Ops").click()
        await (
            other.get_by_role("region", name="Workspace Ops")
            .get_by_role("link", name="Rota")
            .click()
        )
        await expect(grid_cell(other, "Night")).to_be_visible()
        await expect(other.get_by_role("button", name="Add record")).to_be_visible()
        await other.screenshot(path=artifacts / "sharing-6-back.png")
