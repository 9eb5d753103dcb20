"""Steps a person takes in the web app, found by role and accessible name."""

from __future__ import annotations

import re
import secrets
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import httpx
from playwright.async_api import Browser, Locator, Page, expect

from tests.contract.test_auth import PASSWORD
from tests.web.conftest import WAIT_MS


def new_email() -> str:
    return f"ada-{secrets.token_hex(5)}@example.com"


def grid_cell(page: Page, text: str) -> Locator:
    return page.get_by_role("grid").get_by_role("gridcell", name=text, exact=True)


def cell_at(page: Page, row: int, column: str) -> Locator:
    """A data cell by its row (1 is the first record) and its column's header."""
    return _cell(page, row, str(_COLUMNS.index(column) + 1))


async def cell_in(page: Page, row: int, column: str) -> Locator:
    """A data cell by its row and its column's name, in a table of any columns (the column's
    header must be rendered: in view, or near it)."""
    colindex = await column_header(page, column).get_attribute("aria-colindex")
    return _cell(page, row, colindex or "")


def column_header(page: Page, column: str) -> Locator:
    """A column's header by its field's name (the header's accessible name goes on with
    "(read-only)" and its menu button's label)."""
    return page.get_by_role("columnheader", name=re.compile(rf"^{re.escape(column)}(\s|$)"))


def _cell(page: Page, row: int, colindex: str) -> Locator:
    return page.get_by_role("grid").locator(
        f'[role="row"][aria-rowindex="{row + 1}"] [role="gridcell"][aria-colindex="{colindex}"]'
    )


# The columns of a table the app creates (BaseScreen's STARTER_FIELDS), in order.
_COLUMNS = ["Name", "Notes", "Status", "Count", "Done", "Due", "Double"]


@asynccontextmanager
async def person(browser: Browser, base_url: str) -> AsyncIterator[Page]:
    """A page in a browser profile of its own (no cookies): a person at their own computer."""
    profile = await browser.new_context(base_url=base_url, viewport={"width": 1400, "height": 900})
    profile.set_default_timeout(WAIT_MS)
    try:
        yield await profile.new_page()
    finally:
        await profile.close()


async def sign_up(page: Page, email: str) -> None:
    await page.goto("/")
    await expect(page.get_by_role("heading", name="Sign in to PyAirtable")).to_be_visible()
    await page.get_by_role("link", name="Create an account").click()
    await page.get_by_label("Name").fill("Ada Lovelace")
    await page.get_by_label("Email").fill(email)
    await page.get_by_label("Password").fill(PASSWORD)
    await page.get_by_role("button", name="Sign up").click()
    await expect(page.get_by_role("heading", name="Home")).to_be_visible()


async def sign_in(page: Page, email: str) -> None:
    await page.goto("/signin")
    await page.get_by_label("Email").fill(email)
    await page.get_by_label("Password").fill(PASSWORD)
    await page.get_by_role("button", name="Sign in").click()
    await expect(page.get_by_role("heading", name="Home")).to_be_visible()


# The app's starter columns (in _COLUMNS order), with Airtable's choice colours.
STARTER_FIELDS: list[dict[str, Any]] = [
    {"name": "Name", "type": "singleLineText"},
    {"name": "Notes", "type": "multilineText"},
    {
        "name": "Status",
        "type": "singleSelect",
        "options": {
            "choices": [
                {"name": "Todo", "color": "blueLight2"},
                {"name": "In progress", "color": "yellowBright"},
                {"name": "Done", "color": "greenDark1"},
            ]
        },
    },
    {"name": "Count", "type": "number", "options": {"precision": 0}},
    {"name": "Done", "type": "checkbox"},
    {"name": "Due", "type": "date"},
]


class ApiTable:
    """A user, workspace, base and table made through the HTTP API, for tests that need data
    (or a token to check it) before the browser opens."""

    def __init__(self, http: httpx.AsyncClient, email: str) -> None:
        self.http, self.email = http, email
        self.auth: dict[str, str] = {}
        self.base_id = self.table_id = ""

    @classmethod
    def opened(cls, http: httpx.AsyncClient, table_url: str, token: str) -> ApiTable:
        """The table open at `table_url` in the app, as the holder of `token` reaches it."""
        table = cls(http, "")
        table.auth = {"Authorization": f"Bearer {token}"}
        table.base_id, table.table_id = re.findall(r"/(?:bases|tables)/([^/?#]+)", table_url)
        return table

    async def create(
        self, workspace: str, base: str, table: str, fields: list[dict[str, Any]]
    ) -> None:
        signed_up = await self.http.post(
            "/v1/auth/register", json={"email": self.email, "password": PASSWORD, "name": "Ada"}
        )
        signed_up.raise_for_status()
        self.auth = {"Authorization": f"Bearer {signed_up.json()['access_token']}"}
        made = await self.http.post("/v1/workspaces", json={"name": workspace}, headers=self.auth)
        made.raise_for_status()
        made = await self.http.post(
            f"/v1/workspaces/{made.json()['workspace']['id']}/bases",
            json={"name": base},
            headers=self.auth,
        )
        made.raise_for_status()
        self.base_id = made.json()["base"]["id"]
        made = await self.http.post(
            f"/v1/bases/{self.base_id}/tables",
            json={"tables": [{"name": table, "fields": fields}]},
            headers=self.auth,
        )
        made.raise_for_status()
        self.table_id = made.json()["tables"][0]["id"]

    async def add(self, rows: list[dict[str, Any]]) -> None:
        """Create records (cells by field name), 10 a request."""
        for start in range(0, len(rows), 10):
            batch = [{"fields": fields} for fields in rows[start : start + 10]]
            created = await self.http.post(
                f"/v0/{self.base_id}/{self.table_id}", json={"records": batch}, headers=self.auth
            )
            created.raise_for_status()

    async def records(self) -> list[dict[str, Any]]:
        """Every record's cells by field name, in the table's order."""
        found: list[dict[str, Any]] = []
        offset = ""
        for _ in range(1_000):  # pages of 100: far more than any test's table
            params = {"offset": offset} if offset else {}
            page = await self.http.get(
                f"/v0/{self.base_id}/{self.table_id}", params=params, headers=self.auth
            )
            page.raise_for_status()
            found += [r["fields"] for r in page.json()["records"]]
            offset = page.json().get("offset", "")
            if not offset:
                return found
        raise AssertionError("the table's pages never ended")


async def open_base(page: Page, workspace: str, base: str) -> None:
    """From the home screen, a base's first table."""
    section = page.get_by_role("region", name=f"Workspace {workspace}")
    await section.get_by_role("link", name=base).click()
    await expect(page.get_by_role("grid")).to_be_visible()


# What Ctrl/Cmd+C and Ctrl/Cmd+V do, as ClipboardEvents on the focused grid: the same events
# the keys send, without the clipboard permissions a headless browser lacks.
_CLIPBOARD_EVENT = """([grid, type, text]) => {
    grid.focus();
    const data = new DataTransfer();
    if (text !== null) data.setData("text/plain", text);
    grid.dispatchEvent(new ClipboardEvent(type, { clipboardData: data, bubbles: true }));
    return data.getData("text/plain");
}"""


async def copy(page: Page) -> str:
    """The selected block as the grid puts it on the clipboard."""
    copied: str = await page.get_by_role("grid").evaluate(
        f"(grid) => ({_CLIPBOARD_EVENT})([grid, 'copy', null])"
    )
    return copied


async def paste(page: Page, text: str) -> None:
    await page.get_by_role("grid").evaluate(
        f"(grid, text) => ({_CLIPBOARD_EVENT})([grid, 'paste', text])", text
    )


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


async def fill_form(form: Locator, values: dict[str, str]) -> None:
    """Set a form's controls by their labels: a select's option by its text, else typed."""
    for label, value in values.items():
        control = form.get_by_label(label, exact=True)
        if await control.evaluate("control => control.tagName") == "SELECT":
            await control.select_option(label=value)
        else:
            await control.fill(value)


async def add_field(page: Page, name: str, field_type: str, options: dict[str, str]) -> None:
    """Add a column by the toolbar's form: its type by the name the app shows ("Currency"),
    its options by their labels ({"Formula": "{Amount} * 2"})."""
    await page.get_by_role("button", name="Add field").click()
    form = page.get_by_role("form", name="Add field")
    await fill_form(form, {"Field name": name, "Field type": field_type, **options})
    await form.get_by_role("button", name="Create field").click()
    await expect(form).to_have_count(0)
    await expect(column_header(page, name)).to_be_visible()


async def change_field(page: Page, field: str, settings: dict[str, str]) -> None:
    """Rename, retype or set options of a column by its field menu (settings by label)."""
    await page.get_by_role("button", name=f"{field} options", exact=True).click()
    menu = page.get_by_role("dialog", name=f"Edit field {field}")
    await fill_form(menu, settings)
    await menu.get_by_role("button", name="Save field").click()
    await expect(menu).to_have_count(0)


async def edit_cell(page: Page, row: int, column: str, value: str) -> Locator:
    """Type (or choose) a cell's value in its editor and press Enter; the cell, to check."""
    cell = await cell_in(page, row, column)
    await cell.click()
    await page.keyboard.press("Enter")
    editor = page.get_by_label(f"{column}, row {row}", exact=True)
    if await editor.evaluate("editor => editor.tagName") == "SELECT":
        await editor.select_option(value)
    else:
        await editor.fill(value)
    await editor.press("Enter")
    await expect(editor).to_have_count(0)
    return cell


async def link_records(page: Page, row: int, column: str, names: list[str]) -> Locator:
    """Link a cell to records of the linked table, picked by name in the link picker."""
    cell = await cell_in(page, row, column)
    await cell.click()
    await page.keyboard.press("Enter")
    picker = page.get_by_role("dialog", name=f"Link records to {column}")
    search = picker.get_by_role("searchbox")
    for name in names:
        await search.fill(name)
        await picker.get_by_role("checkbox", name=name, exact=True).check()
        await expect(picker.get_by_role("button", name=f"Remove {name}")).to_be_visible()
    await picker.get_by_role("button", name="Save links").click()
    await expect(picker).to_have_count(0)
    await expect(cell).to_have_text("".join(names))
    return cell


# Sharing a workspace.

OWNER = "Ada Lovelace"  # ui.sign_up's name
COLLEAGUE = "Grace Hopper"


async def open_share(page: Page, workspace: str) -> Locator:
    await page.goto("/")
    await page.get_by_role("button", name=f"Share {workspace}").click()
    dialog = page.get_by_role("dialog", name=f"Share {workspace}")
    await expect(dialog.get_by_label(f"Role of {OWNER}")).to_be_visible()
    return dialog


async def invite(dialog: Locator, email: str, role: str) -> None:
    await dialog.get_by_label("Email to invite").fill(email)
    await dialog.get_by_label("Role", exact=True).select_option(label=role)
    await dialog.get_by_role("button", name="Invite", exact=True).click()


async def signup_link(dialog: Locator, email: str) -> str:
    link = dialog.get_by_label(f"Signup link for {email}")
    await expect(link).to_have_value(re.compile(r"/signup\?invitation=inv_"))
    return await link.input_value()


async def join_by_link(
    page: Page, link: str, email: str, workspace: str, screenshot: Path | None = None
) -> None:
    """Sign up by an invitation link, then accept the invitation on the home page."""
    await page.goto(link)
    await expect(page.get_by_text("You were invited to join")).to_contain_text(workspace)
    await expect(page.get_by_label("Email")).to_have_value(email)
    if screenshot:
        await page.screenshot(path=screenshot)
    await page.get_by_label("Name").fill(COLLEAGUE)
    await page.get_by_label("Password").fill(PASSWORD)
    await page.get_by_role("button", name="Sign up").click()
    await expect(page.get_by_role("heading", name="Home")).to_be_visible()
    await page.get_by_role("button", name=f"Accept invitation to {workspace}").click()
    await expect(page.get_by_role("region", name=f"Workspace {workspace}")).to_be_visible()


async def session_token(page: Page) -> str:
    """The access token of the page's session, from its refresh cookie (as the app gets it)."""
    answer = await page.context.request.post(
        "/app/session/refresh", data={}, headers={"Content-Type": "application/json"}
    )
    assert answer.ok, await answer.text()
    token: str = (await answer.json())["access_token"]
    return token


# The view bar.


def names(page: Page) -> Locator:
    """The primary cells of the rows shown, top to bottom."""
    return page.get_by_role("grid").locator('[role="row"] [role="gridcell"][aria-colindex="1"]')


async def open_panel(page: Page, name: str) -> Locator:
    await page.get_by_role("button", name=re.compile(f"^{name}")).click()
    panel = page.get_by_role("dialog", name=name)
    await expect(panel).to_be_visible()
    return panel
