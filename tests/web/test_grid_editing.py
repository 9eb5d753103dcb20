"""Editing blocks of cells in a real Chromium against the real fabric: a pasted TSV block
saved in as few requests as can be, with new rows for what runs past the end; a selected block
copied as TSV; undo of an edit and of a paste; a refused pasted value shown on its cell; and
select choices in their colours. Values are checked through the /v0 API."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from playwright.async_api import Page, Request, expect

from tests.web.ui import (
    STARTER_FIELDS,
    ApiTable,
    cell_at,
    copy,
    new_email,
    open_base,
    paste,
    saved,
    sign_in,
)

COLUMNS = ("Name", "Notes", "Status", "Count")


def cells(records: list[dict[str, Any]]) -> list[tuple[Any, ...]]:
    return [tuple(record.get(column) for column in COLUMNS) for record in records]


@pytest.fixture
async def http(edge: str) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(base_url=edge, timeout=30) as client:
        yield client


async def open_table(page: Page, http: httpx.AsyncClient, rows: list[dict[str, Any]]) -> ApiTable:
    """A new user's table of the starter columns holding `rows`, open in the grid."""
    table = ApiTable(http, new_email())
    await table.create("Sheets", "Stock", "Items", STARTER_FIELDS)
    await table.add(rows)
    await sign_in(page, table.email)
    await open_base(page, "Sheets", "Stock")
    await expect(cell_at(page, len(rows), "Name")).to_have_text(rows[-1]["Name"])
    return table


async def test_a_pasted_block_fills_cells_adds_rows_and_undo_takes_it_back(
    page: Page, http: httpx.AsyncClient
) -> None:
    table = await open_table(page, http, [{"Name": "Apple", "Count": 1}, {"Name": "Pear"}])
    writes: list[str] = []

    def on_request(request: Request) -> None:
        if "/v0/" in request.url and request.method in ("POST", "PATCH", "DELETE"):
            writes.append(request.method)

    page.on("request", on_request)

    # 3 rows by 4 columns, as a spreadsheet puts them on the clipboard: quoted cells keep
    # their line breaks, tabs and doubled quotes; the last line break ends the block.
    await cell_at(page, 1, "Name").click()
    await paste(
        page,
        'Apple pie\t"line one\nline ""two"""\tDone\t10\r\n'
        "Pear tart\t\tIn progress\t20\r\n"
        'Plum\t"tab\there"\tTodo\t30\r\n',
    )
    await expect(cell_at(page, 3, "Name")).to_have_text("Plum")
    await expect(cell_at(page, 1, "Status")).to_have_text("Done")
    await saved(page)
    # Both existing records in one request, the new one in another.
    assert sorted(writes) == ["PATCH", "POST"], writes
    assert cells(await table.records()) == [
        ("Apple pie", 'line one\nline "two"', "Done", 10),
        ("Pear tart", None, "In progress", 20),
        ("Plum", "tab\there", "Todo", 30),
    ]

    undo = page.get_by_role("button", name="Undo paste of 12 cells")
    await undo.click()
    await expect(cell_at(page, 1, "Name")).to_have_text("Apple")
    await expect(cell_at(page, 3, "Name")).to_have_count(0)
    await saved(page)
    assert cells(await table.records()) == [
        ("Apple", None, None, 1),
        ("Pear", None, None, None),
    ]
    await expect(page.get_by_role("button", name="Undo", exact=True)).to_be_disabled()


async def test_a_selected_block_copies_as_tsv_and_ctrl_z_undoes_an_edit(
    page: Page, http: httpx.AsyncClient
) -> None:
    table = await open_table(
        page,
        http,
        [
            {"Name": "Apple", "Notes": "crisp\tred", "Status": "Todo", "Count": 3},
            {"Name": 'Pear "Bartlett"', "Status": "Done", "Count": 5},
        ],
    )
    grid = page.get_by_role("grid", name="Items")

    # Shift+arrows stretch the selection from the active cell.
    await cell_at(page, 1, "Name").click()
    await page.keyboard.press("Shift+ArrowDown")
    for _ in range(3):
        await page.keyboard.press("Shift+ArrowRight")
    await expect(cell_at(page, 1, "Notes")).to_have_attribute("aria-selected", "true")
    await expect(cell_at(page, 2, "Count")).to_have_attribute("aria-selected", "true")
    await expect(cell_at(page, 1, "Done")).to_have_attribute("aria-selected", "false")
    assert await copy(page) == 'Apple\t"crisp\tred"\tTodo\t3\n"Pear ""Bartlett"""\t\tDone\t5'

    # Shift+click too; a plain click leaves one cell selected.
    await cell_at(page, 2, "Notes").click()
    await cell_at(page, 1, "Status").click(modifiers=["Shift"])
    assert await copy(page) == '"crisp\tred"\tTodo\n\tDone'
    await cell_at(page, 2, "Count").click()
    await expect(cell_at(page, 1, "Status")).to_have_attribute("aria-selected", "false")
    assert await copy(page) == "5"

    # An edit, then Ctrl+Z: the value before it is back, in the grid and on the server.
    await page.keyboard.type("8")
    await page.keyboard.press("Enter")
    await expect(cell_at(page, 2, "Count")).to_have_text("8")
    await saved(page)
    await expect(page.get_by_role("button", name="Undo edit of Count")).to_be_enabled()
    await expect(grid).to_be_focused()
    await page.keyboard.press("Control+z")
    await expect(cell_at(page, 2, "Count")).to_have_text("5")
    await saved(page)
    assert [record.get("Count") for record in await table.records()] == [3, 5]

    # The keys themselves: Ctrl+C on a block, Ctrl+V at another cell.
    await cell_at(page, 1, "Notes").click()
    await cell_at(page, 1, "Status").click(modifiers=["Shift"])
    await page.keyboard.press("Control+c")
    await cell_at(page, 2, "Notes").click()
    await page.keyboard.press("Control+v")
    await expect(cell_at(page, 2, "Status")).to_have_text("Todo")
    await saved(page)
    assert cells(await table.records())[1] == ('Pear "Bartlett"', "crisp\tred", "Todo", 5)


async def test_a_refused_pasted_value_is_shown_on_its_cell_and_the_rest_saved(
    page: Page, http: httpx.AsyncClient
) -> None:
    table = await open_table(page, http, [{"Name": "Apple", "Count": 1}, {"Name": "Pear"}])

    await cell_at(page, 1, "Status").click()
    await paste(page, "In progress\tlots\nDone\t9")
    count = cell_at(page, 1, "Count")
    await expect(count).to_have_attribute("aria-invalid", "true")
    await expect(count).to_have_text("1")
    await expect(cell_at(page, 2, "Count")).to_have_text("9")
    await saved(page)
    assert cells(await table.records()) == [
        ("Apple", None, "In progress", 1),
        ("Pear", None, "Done", 9),
    ]


async def test_select_choices_show_their_colours(page: Page, http: httpx.AsyncClient) -> None:
    await open_table(
        page, http, [{"Name": "Apple", "Status": "Todo"}, {"Name": "Pear", "Status": "Done"}]
    )

    # blueLight2 with dark text; greenDark1 with white.
    todo = cell_at(page, 1, "Status").get_by_text("Todo")
    await expect(todo).to_have_css("background-color", "rgb(207, 223, 255)")
    await expect(todo).to_have_css("color", "rgb(29, 31, 37)")
    done = cell_at(page, 2, "Status").get_by_text("Done")
    await expect(done).to_have_css("background-color", "rgb(51, 138, 23)")
    await expect(done).to_have_css("color", "rgb(255, 255, 255)")

    # The editor's choices wear them too: yellowBright.
    await cell_at(page, 1, "Status").click()
    await page.keyboard.press("Enter")
    editor = page.get_by_role("combobox", name="Status, row 1")
    option = editor.get_by_role("option", name="In progress")
    await expect(option).to_have_css("background-color", "rgb(252, 180, 0)")
