"""Steps a person takes in the web app, found by role and accessible name."""

from __future__ import annotations

import re
import secrets

from playwright.async_api import Locator, Page, expect

from tests.contract.test_auth import PASSWORD


def new_email() -> str:
    return f"ada-{secrets.token_hex(5)}@example.com"


def grid_cell(page: Page, text: str) -> Locator:
    return page.get_by_role("grid").get_by_role("gridcell", name=text, exact=True)


def cell_at(page: Page, row: int, column: str) -> Locator:
    """A data cell by its row (1 is the first record) and its column's header."""
    column_index = _COLUMNS.index(column) + 1
    return page.get_by_role("grid").locator(
        f'[role="row"][aria-rowindex="{row + 1}"] [role="gridcell"][aria-colindex="{column_index}"]'
    )


# The columns of a table the app creates (BaseScreen's STARTER_FIELDS), in order.
_COLUMNS = ["Name", "Notes", "Status", "Count", "Done", "Due", "Double"]


async def sign_up(page: Page, email: str) -> None:
    await page.goto("/")
    await expect(page.get_by_role("heading", name="Sign in to PyAirtable")).to_be_visible()
    await page.get_by_role("link", name="Create an account").click()
    await page.get_by_label("Name").fill("Ada Lovelace")
    await page.get_by_label("Email").fill(email)
    await page.get_by_label("Password").fill(PASSWORD)
    await page.get_by_role("button", name="Sign up").click()
    await expect(page.get_by_role("heading", name="Home")).to_be_visible()


async def open_new_table(page: Page, workspace: str, base: str, table: str) -> None:
    await page.get_by_label("Workspace name").fill(workspace)
    await page.get_by_role("button", name="Create workspace").click()
    section = page.get_by_role("region", name=f"Workspace {workspace}")
    await section.get_by_label(f"New base in {workspace}").fill(base)
    await section.get_by_role("button", name="Create base").click()
    await expect(page.get_by_role("heading", name=base)).to_be_visible()
    await page.get_by_label("Table name").fill(table)
    await page.get_by_role("button", name="Create table").click()
    await expect(page.get_by_role("grid", name=table)).to_be_visible()


async def saved(page: Page) -> None:
    """Until no record edit is on its way to the server."""
    await expect(page.get_by_role("region", name=re.compile("^Table "))).to_have_attribute(
        "aria-busy", "false"
    )


async def add_record(page: Page, name: str) -> None:
    await page.get_by_role("button", name="Add record").click()
    editor = page.get_by_role("textbox", name=re.compile(r"^Name, row \d+$"))
    await expect(editor).to_be_focused()
    await editor.press_sequentially(name)
    await editor.press("Enter")
    await expect(grid_cell(page, name)).to_be_visible()
