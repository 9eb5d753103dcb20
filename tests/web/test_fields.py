"""The field menu and the link picker in a real Chromium against the real fabric: rename a
field, colour a new choice, retype text to number, delete a field (never the primary one), an
invalid formula refused with its reason, links picked by keyboard and shown by name, and no
field menu for a read-only member."""

from __future__ import annotations

import re
from pathlib import Path

import httpx
from playwright.async_api import Locator, Page, expect

from tests.contract.test_auth import PASSWORD
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


def field_menu(page: Page, field: str) -> Locator:
    return page.get_by_role("dialog", name=f"Edit field {field}")


async def open_field_menu(page: Page, field: str) -> Locator:
    await page.get_by_role("button", name=f"{field} options", exact=True).click()
    menu = field_menu(page, field)
    await expect(menu).to_be_visible()
    return menu


def column_cell(page: Page, row: int, colindex: str) -> Locator:
    """A data cell by its row (1 is the first record) and its column's aria-colindex."""
    return page.get_by_role("grid").locator(
        f'[role="row"][aria-rowindex="{row + 1}"] [role="gridcell"][aria-colindex="{colindex}"]'
    )


async def test_rename_a_field_and_give_a_new_choice_a_colour(page: Page, artifacts: Path) -> None:
    await sign_up(page, new_email())
    await open_new_table(page, "Shop", "Stock", "Items")
    await add_record(page, "Widget")
    await saved(page)

    menu = await open_field_menu(page, "Notes")
    await menu.get_by_label("Field name").fill("Details")
    await menu.get_by_label("Description").fill("What it is")
    await menu.get_by_role("button", name="Save field").click()
    await expect(menu).to_have_count(0)
    await expect(page.get_by_role("columnheader", name=re.compile("^Details"))).to_be_visible()
    await expect(page.get_by_role("columnheader", name=re.compile("^Notes"))).to_have_count(0)

    # A choice added with a colour, and an existing one renamed (keeping its colour).
    menu = await open_field_menu(page, "Status")
    await menu.get_by_label("New choices (comma-separated)").fill("Urgent")
    await menu.get_by_label("New choices (comma-separated)").press("Enter")
    await menu.get_by_label("Colour of Urgent").select_option("redBright")
    await menu.get_by_label("Choice 1 name").fill("To do")
    await page.screenshot(path=artifacts / "fields-1-choices.png")
    await menu.get_by_role("button", name="Save field").click()
    await expect(menu).to_have_count(0)

    status = cell_at(page, 1, "Status")
    await status.click()
    await page.keyboard.press("Enter")
    editor = page.get_by_role("combobox", name="Status, row 1")
    await expect(editor.locator("option")).to_have_text(
        ["(none)", "To do", "In progress", "Done", "Urgent"]
    )
    await editor.select_option("Urgent")
    await editor.press("Enter")
    pill = status.get_by_text("Urgent")
    await expect(pill).to_have_attribute("data-color", "redBright")
    await expect(pill).to_have_css("background-color", "rgb(248, 43, 96)")
    await saved(page)

    await page.reload()
    await expect(page.get_by_role("columnheader", name=re.compile("^Details"))).to_be_visible()
    menu = await open_field_menu(page, "Status")
    await expect(menu.get_by_label("Colour of Urgent")).to_have_value("redBright")
    await expect(menu.get_by_label("Choice 1 name")).to_have_value("To do")
    await page.keyboard.press("Escape")
    await expect(menu).to_have_count(0)
    menu = await open_field_menu(page, "Details")
    await expect(menu.get_by_label("Description")).to_have_value("What it is")


async def test_retype_text_to_number_converts_the_cells(page: Page) -> None:
    await sign_up(page, new_email())
    await open_new_table(page, "Lab", "Bench", "Samples")
    await add_record(page, "First")
    notes = cell_at(page, 1, "Notes")
    await notes.click()
    await page.keyboard.type("12")
    await page.keyboard.press("Enter")
    await expect(notes).to_have_text("12")
    await saved(page)

    menu = await open_field_menu(page, "Notes")
    await menu.get_by_label("Field type").select_option("number")
    await menu.get_by_label("Decimal places").select_option(label="1.0")
    await menu.get_by_role("button", name="Save field").click()
    await expect(menu).to_have_count(0)
    await expect(page.get_by_role("columnheader", name=re.compile("^Notes"))).to_have_attribute(
        "title", "number"
    )

    # The stored cells are converted after the schema change (an event), and the converted
    # records come on the live feed: no reload needed.
    await expect(notes).to_have_text("12.0")
    await expect(notes).to_have_class(re.compile(r"\btype-number\b"))
    await page.reload()
    await expect(notes).to_have_text("12.0")


async def test_delete_a_field_but_never_the_primary_one(page: Page) -> None:
    await sign_up(page, new_email())
    await open_new_table(page, "Farm", "Barn", "Animals")
    await add_record(page, "Cow")
    await saved(page)

    menu = await open_field_menu(page, "Count")
    await menu.get_by_role("button", name="Delete field").click()
    await menu.get_by_role("button", name="Yes, delete Count").click()
    await expect(menu).to_have_count(0)
    await expect(page.get_by_role("columnheader", name=re.compile("^Count"))).to_have_count(0)
    await page.reload()
    await expect(grid_cell(page, "Cow")).to_be_visible()
    await expect(page.get_by_role("columnheader", name=re.compile("^Count"))).to_have_count(0)

    menu = await open_field_menu(page, "Name")
    await expect(menu.get_by_text("The primary field cannot be deleted")).to_be_visible()
    await expect(menu.get_by_role("button", name="Delete field")).to_have_count(0)


async def test_an_invalid_formula_is_refused_with_its_reason(page: Page) -> None:
    await sign_up(page, new_email())
    await open_new_table(page, "Math", "Sums", "Numbers")

    # Retyping to a formula that does not parse: the menu stays open and says why.
    menu = await open_field_menu(page, "Notes")
    await menu.get_by_label("Field type").select_option("formula")
    await menu.get_by_label("Formula").fill("{Count} *")
    await menu.get_by_role("button", name="Save field").click()
    alert = menu.get_by_role("alert")
    await expect(alert).to_contain_text(re.compile("formula", re.I))
    await expect(page.get_by_role("columnheader", name=re.compile("^Notes"))).to_have_attribute(
        "title", "multilineText"
    )
    await page.keyboard.press("Escape")

    # A new formula field naming a field that does not exist.
    await page.get_by_role("button", name="Add field").click()
    form = page.get_by_role("form", name="Add field")
    await form.get_by_label("Field name").fill("Twice")
    await form.get_by_label("Field type").select_option("formula")
    await form.get_by_label("Formula").fill("{Nothing} * 2")
    await form.get_by_role("button", name="Create field").click()
    await expect(form.get_by_role("alert")).to_contain_text("Nothing")
    await expect(page.get_by_role("columnheader", name=re.compile("^Twice"))).to_have_count(0)


async def test_link_picker_links_records_and_cells_show_their_names(
    page: Page, artifacts: Path
) -> None:
    await sign_up(page, new_email())
    await open_new_table(page, "Club", "Members", "Projects")
    await add_record(page, "Compiler")
    await page.get_by_label("Table name").fill("People")
    await page.get_by_role("button", name="Create table").click()
    await expect(page.get_by_role("grid", name="People")).to_be_visible()
    for name in ("Ada", "Grace", "Linus"):
        await add_record(page, name)
    await saved(page)
    await page.get_by_role("link", name="Projects").click()
    await expect(grid_cell(page, "Compiler")).to_be_visible()

    await page.get_by_role("button", name="Add field").click()
    form = page.get_by_role("form", name="Add field")
    await form.get_by_label("Field name").fill("Team")
    await form.get_by_label("Field type").select_option("multipleRecordLinks")
    await form.get_by_label("Linked table").select_option(label="People")
    await form.get_by_role("button", name="Create field").click()
    header = page.get_by_role("columnheader", name=re.compile("^Team"))
    await expect(header).to_be_visible()
    team = column_cell(page, 1, await header.get_attribute("aria-colindex") or "")

    # Keyboard: Enter opens the picker, the search narrows it, arrows and Space pick.
    await team.click()
    await page.keyboard.press("Enter")
    picker = page.get_by_role("dialog", name="Link records to Team")
    await expect(picker).to_be_visible()
    search = picker.get_by_label("Search People")
    await expect(search).to_be_focused()
    await expect(picker.get_by_role("checkbox")).to_have_count(3)
    await search.press_sequentially("ADA")
    await expect(picker.get_by_role("checkbox")).to_have_count(1)
    await page.keyboard.press("ArrowDown")
    await expect(picker.get_by_role("checkbox", name="Ada")).to_be_focused()
    await page.keyboard.press("Space")
    await expect(picker.get_by_role("button", name="Remove Ada")).to_be_visible()
    # Quotes and backslashes are searched for as typed, not read as formula syntax.
    await search.fill('a"b\\')
    await expect(picker.get_by_text("No records match.")).to_be_visible()
    await expect(picker.get_by_role("alert")).to_have_count(0)
    await search.fill("gr")
    await picker.get_by_role("checkbox", name="Grace").check()
    await search.fill("")
    await picker.get_by_role("checkbox", name="Linus").check()
    # A chip removed is unlinked.
    await page.screenshot(path=artifacts / "fields-2-link-picker.png")
    await picker.get_by_role("button", name="Remove Linus").click()
    await expect(picker.get_by_role("checkbox", name="Linus")).not_to_be_checked()
    await search.focus()
    await page.keyboard.press("Enter")
    await expect(picker).to_have_count(0)
    await expect(team).to_have_text("AdaGrace")
    await expect(page.get_by_role("grid", name="Projects")).to_be_focused()
    await saved(page)

    # Esc leaves the links as they were.
    await page.keyboard.press("Enter")
    await expect(picker).to_be_visible()
    await picker.get_by_role("checkbox", name="Linus").check()
    await page.keyboard.press("Escape")
    await expect(picker).to_have_count(0)
    await expect(team).to_have_text("AdaGrace")

    # After a reload the names come from the linked table again.
    await page.reload()
    await expect(team).to_have_text("AdaGrace")
    await expect(team.get_by_text("Ada", exact=True)).to_have_class(re.compile(r"\blink-chip\b"))
    await page.screenshot(path=artifacts / "fields-3-link-chips.png")


async def test_read_only_member_sees_no_field_menu(page: Page, edge: str) -> None:
    reader_email = new_email()
    async with httpx.AsyncClient(base_url=edge, timeout=30) as http:
        owner = ApiTable(http, new_email())
        await owner.create("Shared", "Notes", "Pages", [{"name": "Name", "type": "singleLineText"}])
        await owner.add([{"Name": "Hello"}])
        base = await http.get(f"/v1/bases/{owner.base_id}", headers=owner.auth)
        invited = await http.post(
            f"/v1/workspaces/{base.json()['base']['workspace_id']}/invitations",
            json={"email": reader_email, "role": "ROLE_READ_ONLY"},
            headers=owner.auth,
        )
        invited.raise_for_status()
        reader = await http.post(
            "/v1/auth/register",
            json={
                "email": reader_email,
                "password": PASSWORD,
                "name": "Reader",
                "invitation_token": invited.json()["signup_token"],
            },
        )
        reader.raise_for_status()
        accepted = await http.post(
            f"/v1/invitations/{invited.json()['invitation']['id']}:accept",
            json={},
            headers={"Authorization": f"Bearer {reader.json()['access_token']}"},
        )
        accepted.raise_for_status()

    await sign_in(page, reader_email)
    await page.goto(f"/bases/{owner.base_id}/tables/{owner.table_id}")
    await expect(grid_cell(page, "Hello")).to_be_visible()
    await expect(page.get_by_role("columnheader", name=re.compile("^Name"))).to_be_visible()
    await expect(page.get_by_role("button", name=re.compile(" options$"))).to_have_count(0)
    await expect(page.get_by_role("button", name="Add field")).to_have_count(0)
