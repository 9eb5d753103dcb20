"""The expanded record in a real Chromium against the real fabric: every field a control of its
type, saved through the grid's edit path (the grid, undo and refusals agree), the view's hidden
fields too, previous and next, another tab's edit and a deletion seen in the open dialog, and a
read-only member's controls disabled."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import httpx
from playwright.async_api import Browser, BrowserContext, Locator, Page, expect

from tests.web.ui import (
    ApiTable,
    cell_in,
    edit_cell,
    invite,
    join_by_link,
    new_email,
    open_panel,
    person,
    saved,
    sign_in,
    signup_link,
)

FIELDS: list[dict[str, Any]] = [
    {"name": "Name", "type": "singleLineText"},
    {"name": "Notes", "type": "multilineText"},
    {
        "name": "Status",
        "type": "singleSelect",
        "options": {
            "choices": [
                {"name": "Todo", "color": "blueLight2"},
                {"name": "Done", "color": "greenDark1"},
            ]
        },
    },
    {"name": "Count", "type": "number", "options": {"precision": 0}},
    {"name": "Price", "type": "currency", "options": {"precision": 2, "symbol": "$"}},
    {"name": "Done", "type": "checkbox"},
    {"name": "Due", "type": "date"},
    {
        "name": "Tags",
        "type": "multipleSelects",
        "options": {
            "choices": [
                {"name": "Red", "color": "redLight2"},
                {"name": "Blue", "color": "blueBright"},
            ]
        },
    },
    {"name": "Site", "type": "url"},
    {"name": "Double", "type": "formula", "options": {"formula": "{Count} * 2"}},
    {"name": "Secret", "type": "singleLineText"},
]
ROWS: list[dict[str, Any]] = [
    {"Name": "Alpha", "Count": 1, "Secret": "s-alpha"},
    {"Name": "Beta", "Count": 2},
    {"Name": "Gamma", "Count": 3},
]


async def open_table(page: Page, edge: str, email: str = "") -> ApiTable:
    """A table of FIELDS and ROWS made by the API, open in the page of its owner."""
    email = email or new_email()
    async with httpx.AsyncClient(base_url=edge, timeout=30) as http:
        table = ApiTable(http, email)
        await table.create("Desk", "Work", "Jobs", FIELDS)
        await table.add(ROWS)
    await sign_in(page, email)
    await page.get_by_role("region", name="Workspace Desk").get_by_role("link", name="Work").click()
    await expect(page.get_by_role("grid", name="Jobs")).to_be_visible()
    return table


async def records(edge: str, table: ApiTable) -> list[dict[str, Any]]:
    """The table's records as the API lists them (one page: the tests' tables are small)."""
    async with httpx.AsyncClient(base_url=edge, timeout=30) as http:
        listed = await http.get(f"/v0/{table.base_id}/{table.table_id}", headers=table.auth)
    listed.raise_for_status()
    found: list[dict[str, Any]] = listed.json()["records"]
    return found


async def expand(page: Page, row: int, name: str) -> Locator:
    await (await cell_in(page, row, "Name")).click()
    await page.get_by_role("button", name="Expand record").click()
    dialog = page.get_by_role("dialog", name=name)
    await expect(dialog).to_be_visible()
    return dialog


async def test_expanded_record_saves_each_type_through_the_grid(
    page: Page, edge: str, artifacts: Path
) -> None:
    table = await open_table(page, edge)
    # A field hidden in the view: the dialog still shows it, under "Hidden fields".
    panel = await open_panel(page, "Hide fields")
    await panel.get_by_role("checkbox", name="Secret").uncheck()
    await page.keyboard.press("Escape")

    dialog = await expand(page, 1, "Alpha")
    await expect(dialog.get_by_text("Record 1 of 3")).to_be_visible()
    hidden = dialog.get_by_role("region", name="Hidden fields")
    await expect(hidden.get_by_label("Secret")).to_have_value("s-alpha")
    double = dialog.get_by_label("Double")
    await expect(double).to_have_value("2")
    await expect(double).to_have_attribute("readonly", "")
    await expect(double).to_have_accessible_description(re.compile("Computed"))

    # Long text saves on blur, a number on Enter, a choice and a checkbox on change: the grid
    # shows each at once.
    await dialog.get_by_label("Notes").fill("first line\nsecond line")
    await dialog.get_by_label("Notes").blur()
    await expect(await cell_in(page, 1, "Notes")).to_contain_text("second line")
    await dialog.get_by_label("Count").fill("42")
    await dialog.get_by_label("Count").press("Enter")
    await expect(await cell_in(page, 1, "Count")).to_have_text("42")
    await expect(double).to_have_value("84")
    await dialog.get_by_label("Status").select_option("Done")
    await expect(await cell_in(page, 1, "Status")).to_have_text("Done")
    await dialog.get_by_label("Done").check()
    await expect(
        (await cell_in(page, 1, "Done")).get_by_role("img", name="Checked")
    ).to_be_visible()
    await dialog.get_by_role("group", name="Tags").get_by_label("Blue").check()
    await expect(await cell_in(page, 1, "Tags")).to_have_text("Blue")
    await dialog.get_by_label("Due").fill("2026-12-24")
    await dialog.get_by_label("Due").press("Enter")
    await dialog.get_by_label("Price").fill("9.5")
    await dialog.get_by_label("Price").press("Enter")
    await hidden.get_by_label("Secret").fill("s-changed")
    await hidden.get_by_label("Secret").press("Enter")
    await saved(page)
    await page.screenshot(path=artifacts / "record-1-edited.png")

    # A value the server refuses: said next to its control, which goes back to the stored value.
    count = dialog.get_by_label("Count")
    await count.fill("forty")
    await count.press("Enter")
    await expect(dialog.get_by_role("alert").filter(has_text="Count was not saved")).to_be_visible()
    await expect(count).to_have_value("42")
    await expect(count).to_have_attribute("aria-invalid", "true")
    await page.screenshot(path=artifacts / "record-2-refused.png")
    await count.fill("21")
    await count.press("Enter")
    await expect(dialog.get_by_role("alert")).to_have_count(0)
    await expect(await cell_in(page, 1, "Count")).to_have_text("21")
    await saved(page)

    # Next and previous, by buttons and by Ctrl+Down / Ctrl+Up.
    await page.keyboard.press("Control+ArrowDown")
    dialog = page.get_by_role("dialog", name="Beta")
    await expect(dialog.get_by_text("Record 2 of 3")).to_be_visible()
    await expect(dialog.get_by_label("Count")).to_have_value("2")
    await dialog.get_by_role("button", name="Next record").click()
    dialog = page.get_by_role("dialog", name="Gamma")
    await expect(dialog.get_by_label("Count")).to_have_value("3")
    await expect(dialog.get_by_role("button", name="Next record")).to_be_disabled()
    await page.keyboard.press("Control+ArrowUp")
    await (
        page.get_by_role("dialog", name="Beta")
        .get_by_role("button", name="Previous record")
        .click()
    )
    dialog = page.get_by_role("dialog", name="Alpha")
    await expect(dialog.get_by_label("Count")).to_have_value("21")
    await page.keyboard.press("Escape")
    await expect(dialog).to_have_count(0)

    # The dialog's edits are the grid's: Undo takes back the last one.
    await page.get_by_role("button", name="Undo edit of Count").click()
    await expect(await cell_in(page, 1, "Count")).to_have_text("42")
    await saved(page)

    # Shift+Space opens it from the keyboard, as saved on the server.
    await (await cell_in(page, 1, "Count")).click()
    await page.keyboard.press("Shift+Space")
    dialog = page.get_by_role("dialog", name="Alpha")
    await expect(dialog.get_by_label("Count")).to_have_value("42")
    assert (await records(edge, table))[0]["fields"] == {
        "Name": "Alpha",
        "Notes": "first line\nsecond line",
        "Status": "Done",
        "Count": 42,
        "Price": 9.5,
        "Done": True,
        "Due": "2026-12-24",
        "Tags": ["Blue"],
        "Double": 84,
        "Secret": "s-changed",
    }


async def test_open_record_follows_another_tabs_edit_and_its_deletion(
    page: Page, context: BrowserContext, edge: str, artifacts: Path
) -> None:
    table = await open_table(page, edge)
    dialog = await expand(page, 2, "Beta")

    other = await context.new_page()
    await other.goto(page.url)
    await expect(other.get_by_role("grid", name="Jobs")).to_be_visible()
    await edit_cell(other, 2, "Name", "Beta two")
    await edit_cell(other, 2, "Count", "7")
    await saved(other)

    dialog = page.get_by_role("dialog", name="Beta two")
    await expect(dialog.get_by_label("Count")).to_have_value("7")
    await expect(dialog.get_by_label("Name")).to_have_value("Beta two")

    beta = next(r["id"] for r in await records(edge, table) if r["fields"]["Name"] == "Beta two")
    async with httpx.AsyncClient(base_url=edge, timeout=30) as http:
        gone = await http.delete(f"/v0/{table.base_id}/{table.table_id}/{beta}", headers=table.auth)
        assert gone.status_code == 200, gone.text
    await expect(dialog.get_by_role("alert")).to_have_text("This record was deleted.")
    await expect(dialog.get_by_label("Count")).to_be_disabled()
    await page.screenshot(path=artifacts / "record-3-deleted.png")


async def test_read_only_member_sees_every_control_disabled(
    page: Page, browser: Browser, edge: str, artifacts: Path
) -> None:
    await open_table(page, edge)
    table_url = page.url
    reader = new_email()
    await page.goto("/")
    await page.get_by_role("button", name="Share Desk").click()
    share = page.get_by_role("dialog", name="Share Desk")
    await invite(share, reader, "Read-only")
    link = await signup_link(share, reader)

    async with person(browser, edge) as other:
        await join_by_link(other, link, reader, "Desk")
        await other.goto(table_url)
        dialog = await expand(other, 1, "Alpha")
        await expect(dialog.get_by_role("note")).to_contain_text("read-only access")
        for label in ("Name", "Notes", "Status", "Count", "Price", "Done", "Due", "Site"):
            await expect(dialog.get_by_label(label, exact=True)).to_be_disabled()
        await expect(dialog.get_by_role("group", name="Tags").get_by_label("Red")).to_be_disabled()
        await expect(dialog.get_by_label("Double")).to_be_disabled()
        await other.screenshot(path=artifacts / "record-4-read-only.png")
