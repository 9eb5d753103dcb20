"""A person's first visit, through Envoy to the real fabric in a real Chromium: sign up, create
a workspace, a base and a table, type three records into the grid, see them after a reload,
and sign out. Elements are found by role and name, as assistive technology finds them."""

from __future__ import annotations

from pathlib import Path

from playwright.async_api import BrowserContext, Page, expect

from tests.contract.test_auth import PASSWORD
from tests.web.ui import add_record, grid_cell, new_email, open_new_table, saved, sign_up

NAMES = ("Alpha", "Beta", "Gamma")


async def test_sign_up_build_a_table_type_records_reload_sign_out(
    page: Page, artifacts: Path
) -> None:
    await sign_up(page, new_email())
    await page.screenshot(path=artifacts / "journey-1-home.png")
    await open_new_table(page, "Research", "Engines", "Tasks")

    for name in NAMES:
        await add_record(page, name)
    await saved(page)
    await page.screenshot(path=artifacts / "journey-2-typed.png")

    await page.reload()
    grid = page.get_by_role("grid", name="Tasks")
    await expect(grid).to_be_visible()
    for name in NAMES:
        await expect(grid_cell(page, name)).to_be_visible()
    # In the order they were typed, one per row.
    rows = grid.get_by_role("row")
    await expect(rows).to_have_count(len(NAMES) + 1)
    for index, name in enumerate(NAMES, start=1):
        await expect(rows.nth(index).get_by_role("gridcell").first).to_have_text(name)
    await page.screenshot(path=artifacts / "journey-3-reloaded.png")

    await page.get_by_role("button", name="Sign out").click()
    await expect(page.get_by_role("heading", name="Sign in to PyAirtable")).to_be_visible()
    # The session is gone on the server too: a reload does not bring it back.
    await page.reload()
    await expect(page.get_by_role("heading", name="Sign in to PyAirtable")).to_be_visible()
    await page.screenshot(path=artifacts / "journey-4-signed-out.png")


async def test_signing_in_again_restores_the_home_and_a_reload_keeps_the_session(
    page: Page,
) -> None:
    email = new_email()
    await sign_up(page, email)
    await page.get_by_label("Workspace name").fill("Kept")
    await page.get_by_role("button", name="Create workspace").click()
    await expect(page.get_by_role("heading", name="Kept")).to_be_visible()
    # The access token is in memory only: a reload restores it from the refresh cookie.
    await page.reload()
    await expect(page.get_by_role("heading", name="Kept")).to_be_visible()
    assert await page.evaluate("() => Object.keys(localStorage).length") == 0

    await page.get_by_role("button", name="Sign out").click()
    await page.get_by_label("Email").fill(email)
    await page.get_by_label("Password").fill("not-the-password-1")
    await page.get_by_role("button", name="Sign in").click()
    await expect(page.get_by_role("alert")).to_be_visible()
    await expect(page.get_by_role("heading", name="Sign in to PyAirtable")).to_be_visible()
    await page.get_by_label("Password").fill(PASSWORD)
    await page.get_by_role("button", name="Sign in").click()
    await expect(page.get_by_role("heading", name="Kept")).to_be_visible()


async def test_signing_out_in_one_tab_ends_the_session_for_every_tab(
    page: Page, context: BrowserContext
) -> None:
    await sign_up(page, new_email())
    other = await context.new_page()
    await other.goto("/")
    # The second tab restored the session from the shared refresh cookie.
    await expect(other.get_by_role("heading", name="Home")).to_be_visible()

    await page.get_by_role("button", name="Sign out").click()
    await expect(page.get_by_role("heading", name="Sign in to PyAirtable")).to_be_visible()

    # Access tokens are short-lived JWTs that stay good until they expire, but the session
    # behind them is gone: the other tab cannot get a new one.
    await other.reload()
    await expect(other.get_by_role("heading", name="Sign in to PyAirtable")).to_be_visible()
