"""The grid in a real Chromium against the real fabric: each cell editor, the keyboard, a
value the server refuses shown on its cell, computed fields read-only, and another tenant
kept out of the base."""

from __future__ import annotations

import re
import time
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import httpx
from playwright.async_api import Browser, BrowserContext, Page, expect

from tests.web.conftest import WAIT_MS
from tests.web.ui import (
    ApiTable,
    add_record,
    cell_at,
    grid_cell,
    new_email,
    open_new_table,
    saved,
    sign_in,
    sign_up,
)

# Grid.tsx's ROW_HEIGHT, in pixels.
ROW_HEIGHT = 33


async def test_cell_editors_save_each_type_by_keyboard(page: Page, artifacts: Path) -> None:
    await sign_up(page, new_email())
    await open_new_table(page, "Shop", "Stock", "Items")
    await add_record(page, "Widget")
    grid = page.get_by_role("grid", name="Items")
    await expect(grid).to_be_focused()

    # Long text: Shift+Enter is a new line, Enter saves.
    await page.keyboard.press("ArrowRight")
    await page.keyboard.press("Enter")
    notes = page.get_by_role("textbox", name="Notes, row 1")
    await expect(notes).to_be_focused()
    await notes.press_sequentially("line one")
    await notes.press("Shift+Enter")
    await notes.press_sequentially("line two")
    await notes.press("Enter")
    await expect(cell_at(page, 1, "Notes")).to_contain_text("line one")

    # Single select: a choice of the field's.
    await page.keyboard.press("ArrowRight")
    await page.keyboard.press("Enter")
    status = page.get_by_role("combobox", name="Status, row 1")
    await status.select_option("In progress")
    await status.press("Enter")
    await expect(cell_at(page, 1, "Status")).to_have_text("In progress")

    # Number: typing on a cell starts editing it; Tab saves and moves right.
    await page.keyboard.press("ArrowRight")
    await page.keyboard.type("42")
    await page.keyboard.press("Tab")
    await expect(cell_at(page, 1, "Count")).to_have_text("42")

    # Checkbox: Space toggles it without an editor.
    await page.keyboard.press("Space")
    await expect(cell_at(page, 1, "Done").get_by_role("img", name="Checked")).to_be_visible()

    # Date.
    await page.keyboard.press("ArrowRight")
    await page.keyboard.press("Enter")
    due = page.get_by_label("Due, row 1")
    await due.fill("2026-12-24")
    await due.press("Enter")
    await expect(cell_at(page, 1, "Due")).to_have_text("2026-12-24")

    # Esc leaves a cell as it was.
    await page.keyboard.press("Home")
    await page.keyboard.press("Enter")
    name = page.get_by_role("textbox", name="Name, row 1")
    await name.fill("Gadget")
    await name.press("Escape")
    await expect(grid).to_be_focused()
    await expect(cell_at(page, 1, "Name")).to_have_text("Widget")
    await saved(page)
    await page.screenshot(path=artifacts / "grid-1-edited.png")

    await page.reload()
    await expect(cell_at(page, 1, "Name")).to_have_text("Widget")
    await expect(cell_at(page, 1, "Notes")).to_contain_text("line two")
    await expect(cell_at(page, 1, "Status")).to_have_text("In progress")
    await expect(cell_at(page, 1, "Count")).to_have_text("42")
    await expect(cell_at(page, 1, "Done").get_by_role("img", name="Checked")).to_be_visible()
    await expect(cell_at(page, 1, "Due")).to_have_text("2026-12-24")

    # Clicking another cell keeps what was typed, as Enter would.
    await cell_at(page, 1, "Name").dblclick()
    await page.get_by_role("textbox", name="Name, row 1").fill("Widget Pro")
    await cell_at(page, 1, "Due").click()
    await expect(cell_at(page, 1, "Name")).to_have_text("Widget Pro")
    await saved(page)
    await page.reload()
    await expect(cell_at(page, 1, "Name")).to_have_text("Widget Pro")

    # Shift+Space shows the whole record; Esc closes it.
    await cell_at(page, 1, "Count").click()
    await page.keyboard.press("Shift+Space")
    dialog = page.get_by_role("dialog", name="Widget Pro")
    await expect(dialog).to_be_visible()
    await expect(dialog.get_by_label("Notes")).to_have_value("line one\nline two")
    await page.screenshot(path=artifacts / "grid-3-expanded.png")
    await page.keyboard.press("Escape")
    await expect(dialog).to_have_count(0)


async def test_refused_value_is_shown_on_its_cell_and_computed_fields_are_read_only(
    page: Page, artifacts: Path
) -> None:
    await sign_up(page, new_email())
    await open_new_table(page, "Lab", "Samples", "Runs")
    await add_record(page, "First")

    count = cell_at(page, 1, "Count")
    await count.click()
    await page.keyboard.type("12")
    await page.keyboard.press("Enter")
    await expect(count).to_have_text("12")
    await saved(page)

    # Not a number: the server refuses it, the cell keeps its value and says why.
    await count.click()
    await page.keyboard.press("Enter")
    editor = page.get_by_role("textbox", name="Count, row 1")
    await editor.fill("twelve")
    await editor.press("Enter")
    await expect(count).to_have_attribute("aria-invalid", "true")
    await expect(count).to_have_text("12")
    await expect(page.get_by_role("alert").filter(has_text="Count was not saved")).to_be_visible()
    await page.screenshot(path=artifacts / "grid-2-refused.png")

    # A good value clears the error.
    await count.click()
    await page.keyboard.type("21")
    await page.keyboard.press("Enter")
    await expect(count).to_have_text("21")
    await expect(count).not_to_have_attribute("aria-invalid", "true")
    await saved(page)

    await page.get_by_role("button", name="Add field").click()
    form = page.get_by_role("form", name="Add field")
    await form.get_by_label("Field name").fill("Double")
    await form.get_by_label("Field type").select_option("formula")
    await form.get_by_label("Formula").fill("{Count} * 2")
    await form.get_by_role("button", name="Create field").click()
    await expect(page.get_by_role("columnheader", name=re.compile("^Double"))).to_be_visible()

    # Formula values of existing records are computed after the field is created (the schema
    # change travels as an event): reload until they are there.
    double = cell_at(page, 1, "Double")
    deadline = time.monotonic() + WAIT_MS / 1000
    while await double.text_content() != "42" and time.monotonic() < deadline:
        await page.reload()
        await expect(double).to_be_visible()
    await expect(double).to_have_text("42")
    await expect(double).to_have_attribute("aria-readonly", "true")
    await double.click()
    await page.keyboard.press("Enter")
    await page.keyboard.type("7")
    await expect(page.get_by_role("textbox", name="Double, row 1")).to_have_count(0)
    await expect(double).to_have_text("42")


async def test_another_tenant_cannot_open_the_base(page: Page, browser: Browser, edge: str) -> None:
    await sign_up(page, new_email())
    await open_new_table(page, "Private", "Secrets", "Keys")
    await add_record(page, "launch code")
    await saved(page)
    table_url = page.url

    stranger = await browser.new_context(base_url=edge)
    stranger.set_default_timeout(WAIT_MS)
    try:
        other = await stranger.new_page()
        await sign_up(other, new_email())
        await other.goto(table_url)
        # The grid asks at once, beside the base's tabs: either may say so first.
        refusal = other.get_by_role("alert").filter(has_text=re.compile(r"\w")).first
        await expect(refusal).to_be_visible()
        await expect(other.get_by_role("grid")).to_have_count(0)
        await expect(other.get_by_text("launch code")).to_have_count(0)
        await expect(other.get_by_role("heading", name="Secrets")).to_have_count(0)
    finally:
        await stranger.close()


async def test_the_scrollbar_covers_every_row_and_the_end_is_one_jump_away(
    page: Page, edge: str
) -> None:
    email, total = new_email(), 350
    async with httpx.AsyncClient(base_url=edge, timeout=30) as http:
        table = ApiTable(http, email)
        await table.create("Bulk", "Many", "Rows", [{"name": "Name", "type": "singleLineText"}])
        await table.add([{"Name": f"Row {n:03d}"} for n in range(1, total + 1)])

    starts: list[str] = []
    page.on(
        "request",
        lambda request: (
            starts.append(parse_qs(urlsplit(request.url).query)["start"][0])
            if "/rows?" in request.url
            else None
        ),
    )
    await sign_in(page, email)
    await page.get_by_role("region", name="Workspace Bulk").get_by_role("link", name="Many").click()
    grid = page.get_by_role("grid", name="Rows")
    await expect(grid).to_be_visible()
    # Every row counted, and the scrollbar long enough for all of them, before any is loaded.
    await expect(page.get_by_text(f"{total} records", exact=True)).to_be_visible()
    await expect(grid).to_have_attribute("aria-rowcount", str(total + 1))
    height = await grid.evaluate("grid => grid.scrollHeight")
    assert height >= total * ROW_HEIGHT
    await expect(grid_cell(page, "Row 350")).to_have_count(0)

    await grid.focus()
    await page.keyboard.press("Control+End")
    await expect(grid_cell(page, "Row 350")).to_be_visible()
    await expect(grid_cell(page, "Row 340")).to_be_visible()
    # Only the rows in view are in the DOM, and only the pages they need were asked for: the
    # first came with the grid, the second ahead of the view; the third was jumped over.
    assert await grid.get_by_role("row").count() < 60
    assert "0" not in starts
    assert "300" in starts
    assert "200" not in starts
    assert len(starts) == len(set(starts)), starts

    # Back up into the rows jumped over: they load when shown.
    await grid.evaluate(f"grid => {{ grid.scrollTop = {250 * ROW_HEIGHT}; }}")
    await expect(grid_cell(page, "Row 251")).to_be_visible()


async def test_multiple_select_field_and_deleting_a_record(page: Page) -> None:
    await sign_up(page, new_email())
    await open_new_table(page, "Garden", "Beds", "Plants")
    await add_record(page, "Tomato")
    await add_record(page, "Basil")
    await saved(page)

    await page.get_by_role("button", name="Add field").click()
    form = page.get_by_role("form", name="Add field")
    await form.get_by_label("Field name").fill("Tags")
    await form.get_by_label("Field type").select_option("multipleSelects")
    new_choices = form.get_by_label("New choices (comma-separated)")
    await new_choices.fill("sun, shade, water")
    await expect(form.get_by_role("textbox", name="Choice 3 name")).to_have_value("water")
    # Straight from the box to the button: the typed choices count, and nothing moves away
    # from under the click.
    await form.get_by_role("button", name="Create field").click()
    tags_header = page.get_by_role("columnheader", name="Tags")
    await expect(tags_header).to_be_visible()
    column = await tags_header.get_attribute("aria-colindex")

    tags = page.get_by_role("grid").locator(
        f'[role="row"][aria-rowindex="2"] [role="gridcell"][aria-colindex="{column}"]'
    )
    await tags.click()
    await page.keyboard.press("Enter")
    editor = page.get_by_role("listbox", name="Tags, row 1")
    await editor.select_option(["sun", "water"])
    await editor.press("Enter")
    await expect(tags).to_have_text("sunwater")
    await saved(page)

    # Delete the second record, after saying yes.
    page.once("dialog", lambda dialog: dialog.accept())
    await grid_cell(page, "Basil").click()
    await page.get_by_role("button", name="Delete record").click()
    await expect(grid_cell(page, "Basil")).to_have_count(0)
    await saved(page)

    await page.reload()
    await expect(grid_cell(page, "Tomato")).to_be_visible()
    await expect(tags).to_have_text("sunwater")
    await expect(grid_cell(page, "Basil")).to_have_count(0)


async def test_keyboard_reaches_columns_out_of_view(page: Page) -> None:
    await page.set_viewport_size({"width": 640, "height": 700})
    await sign_up(page, new_email())
    await open_new_table(page, "Narrow", "Screen", "Wide")
    await add_record(page, "Left")
    await saved(page)

    due = cell_at(page, 1, "Due")
    await page.get_by_role("grid", name="Wide").focus()
    await page.keyboard.press("End")
    await expect(due).to_have_attribute("aria-selected", "true")
    await expect(due).to_be_in_viewport()
    await page.keyboard.press("Enter")
    editor = page.get_by_label("Due, row 1")
    await editor.fill("2027-01-02")
    await editor.press("Enter")
    await expect(due).to_have_text("2027-01-02")

    await page.keyboard.press("Home")
    name = cell_at(page, 1, "Name")
    await expect(name).to_have_attribute("aria-selected", "true")
    await expect(name).to_be_in_viewport()


async def test_changes_from_another_tab_appear_live(page: Page, context: BrowserContext) -> None:
    await sign_up(page, new_email())
    await open_new_table(page, "Team", "Board", "Cards")
    await add_record(page, "Existing")
    await saved(page)

    watcher = await context.new_page()
    await watcher.goto(page.url)
    await expect(grid_cell(watcher, "Existing")).to_be_visible()

    # Typed in one tab, seen in the other without a reload (web-bff's change feed, SSE).
    await add_record(page, "Fresh")
    await expect(grid_cell(watcher, "Fresh")).to_be_visible()
    await grid_cell(page, "Existing").dblclick()
    await page.get_by_role("textbox", name="Name, row 1").fill("Renamed")
    await page.keyboard.press("Enter")
    await expect(grid_cell(watcher, "Renamed")).to_be_visible()
    await expect(grid_cell(watcher, "Existing")).to_have_count(0)
