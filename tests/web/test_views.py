"""The view bar in a real Chromium against the real fabric: a filter built from conditions, then
typed as a formula, a bad formula's reason shown by the filter; sorts, hidden fields, saving
the view and finding it kept after a reload; views created, switched, renamed and deleted."""

from __future__ import annotations

import re
from typing import Any

import httpx
from playwright.async_api import Page, expect

from tests.contract.test_auth import PASSWORD
from tests.web.ui import ApiTable, names, new_email, open_panel, sign_in

# A field whose name needs escaping in a formula, with values that need it too.
TAG = 'Tag {a}\\b "q"'
FIELDS: list[dict[str, Any]] = [
    {"name": "Name", "type": "singleLineText"},
    {"name": "Count", "type": "number", "options": {"precision": 0}},
    {"name": "Done", "type": "checkbox"},
    {"name": "Due", "type": "date"},
    {"name": TAG, "type": "singleLineText"},
]
ROWS: list[dict[str, Any]] = [
    {"Name": "Apple", "Count": 3, "Due": "2024-01-10", TAG: 'it\'s "x"'},
    {"Name": "Banana", "Count": 7, "Done": True, "Due": "2024-02-15", TAG: "plain"},
    {"Name": "Cherry", "Count": 1, "Done": True, "Due": "2024-03-20", TAG: "back\\slash"},
    {"Name": "Damson", "Count": 10},
]


async def open_fruit(page: Page, edge: str) -> ApiTable:
    email = new_email()
    async with httpx.AsyncClient(base_url=edge, timeout=30) as http:
        table = ApiTable(http, email)
        await table.create("Orchard", "Fruit", "Trees", FIELDS)
        await table.add(ROWS)
    await sign_in(page, email)
    await (
        page.get_by_role("region", name="Workspace Orchard")
        .get_by_role("link", name="Fruit")
        .click()
    )
    await expect(names(page)).to_have_text(["Apple", "Banana", "Cherry", "Damson"])
    return table


async def choose_view(page: Page, name: str) -> None:
    await page.get_by_role("button", name=re.compile("^View ")).click()
    await page.get_by_role("menuitemradio", name=name).click()
    await expect(page.get_by_role("button", name=f"View {name}")).to_be_visible()


async def test_filter_by_conditions_then_by_a_formula(page: Page, edge: str) -> None:
    await open_fruit(page, edge)
    panel = await open_panel(page, "Filter")
    await panel.get_by_role("button", name="Add condition").click()
    await panel.get_by_label("Condition 1 value").fill("AN")  # contains, regardless of case
    await expect(names(page)).to_have_text(["Banana"])
    await panel.get_by_role("button", name="Add condition").click()
    await panel.get_by_label("Condition 2 field").select_option("Count")
    await panel.get_by_label("Condition 2 operator").select_option(">")
    await panel.get_by_label("Condition 2 value").fill("2")
    await expect(names(page)).to_have_text(["Banana"])
    await panel.get_by_label("Join conditions with").select_option("or")
    await expect(names(page)).to_have_text(["Apple", "Banana", "Damson"])
    await expect(page.get_by_role("button", name="Filter (2 conditions)")).to_be_visible()

    # Awkward names and values are escaped: the formula finds exactly the record.
    await panel.get_by_role("button", name="Remove condition 2").click()
    await panel.get_by_label("Condition 1 field").select_option(TAG)
    await panel.get_by_label("Condition 1 operator").select_option("is")
    await panel.get_by_label("Condition 1 value").fill('it\'s "x"')
    await expect(names(page)).to_have_text(["Apple"])
    await panel.get_by_label("Condition 1 operator").select_option("contains")
    await panel.get_by_label("Condition 1 value").fill("K\\S")
    await expect(names(page)).to_have_text(["Cherry"])

    await panel.get_by_role("radio", name="Formula").check()
    formula = panel.get_by_label("Filter formula")
    await expect(formula).to_have_value(r"""FIND(LOWER('K\\S'), LOWER({Tag {a\}\\b "q"}))""")
    await formula.fill("AND({Count} >= 3, NOT({Done}))")
    await panel.get_by_role("button", name="Apply formula").click()
    await expect(names(page)).to_have_text(["Apple", "Damson"])
    # A formula of the builder's shape reads back as conditions.
    await panel.get_by_role("radio", name="Conditions").check()
    await expect(panel.get_by_label("Condition 2 operator")).to_have_value("notChecked")

    await panel.get_by_role("radio", name="Formula").check()
    await formula.fill("{Nope} > 1")
    await panel.get_by_role("button", name="Apply formula").click()
    await expect(panel.get_by_role("alert")).to_contain_text("Nope")
    await expect(names(page)).to_have_text(["Apple", "Damson"])

    await formula.press("Escape")
    await expect(panel).to_have_count(0)
    await expect(page.get_by_role("button", name=re.compile("^Filter"))).to_be_focused()


async def test_sort_hide_save_and_switch_views(page: Page, edge: str) -> None:
    await open_fruit(page, edge)
    panel = await open_panel(page, "Sort")
    await panel.get_by_role("button", name="Add sort").click()
    await panel.get_by_label("Sort 1 field").select_option("Count")
    await panel.get_by_label("Sort 1 direction").select_option("Descending")
    await expect(names(page)).to_have_text(["Damson", "Banana", "Apple", "Cherry"])
    await panel.get_by_role("button", name="Add sort").click()
    await panel.get_by_label("Sort 2 field").select_option("Done")
    await panel.get_by_role("button", name="Move sort by Done up").click()
    await expect(names(page)).to_have_text(["Damson", "Apple", "Banana", "Cherry"])
    await page.keyboard.press("Escape")

    panel = await open_panel(page, "Hide fields")
    await expect(panel.get_by_role("checkbox", name="Name (primary)")).to_be_disabled()
    await panel.get_by_role("checkbox", name=TAG).uncheck()
    await panel.get_by_role("checkbox", name="Due").uncheck()
    await expect(page.get_by_role("columnheader", name=re.compile("^Due"))).to_have_count(0)
    await expect(page.get_by_role("columnheader", name=re.compile("^Count"))).to_be_visible()
    await page.keyboard.press("Escape")
    await expect(page.get_by_role("button", name="Hide fields (2 hidden)")).to_be_visible()

    await expect(page.get_by_role("status").filter(has_text="Modified")).to_be_visible()
    await page.get_by_role("button", name="Save view").click()
    await expect(page.get_by_role("button", name="Save view")).to_have_count(0)

    await page.reload()
    await expect(names(page)).to_have_text(["Damson", "Apple", "Banana", "Cherry"])
    await expect(page.get_by_role("columnheader", name=re.compile("^Due"))).to_have_count(0)
    await expect(page.get_by_role("button", name="Sort (2 fields)")).to_be_visible()

    # A new view starts with every record and field; the saved one keeps its settings.
    await page.get_by_role("button", name="View Grid view").click()
    await page.get_by_role("menuitem", name="Create view").click()
    await page.get_by_label("View name").fill("Open")
    await page.get_by_role("button", name="Create", exact=True).click()
    await expect(page.get_by_role("button", name="View Open")).to_be_visible()
    await expect(names(page)).to_have_text(["Apple", "Banana", "Cherry", "Damson"])
    await expect(page.get_by_role("columnheader", name=re.compile("^Due"))).to_be_visible()
    panel = await open_panel(page, "Filter")
    await panel.get_by_role("button", name="Add condition").click()
    await panel.get_by_label("Condition 1 field").select_option("Done")
    await panel.get_by_label("Condition 1 operator").select_option("notChecked")
    await expect(names(page)).to_have_text(["Apple", "Damson"])
    await page.keyboard.press("Escape")
    await page.get_by_role("button", name="Save view").click()
    await expect(page.get_by_role("button", name="Save view")).to_have_count(0)

    await choose_view(page, "Grid view")
    await expect(names(page)).to_have_text(["Damson", "Apple", "Banana", "Cherry"])
    await choose_view(page, "Open")
    await expect(names(page)).to_have_text(["Apple", "Damson"])

    # Unsaved changes are reverted.
    panel = await open_panel(page, "Sort")
    await panel.get_by_role("button", name="Add sort").click()
    await panel.get_by_label("Sort 1 direction").select_option("Descending")
    await expect(names(page)).to_have_text(["Damson", "Apple"])
    await page.keyboard.press("Escape")
    await page.get_by_role("button", name="Revert").click()
    await expect(names(page)).to_have_text(["Apple", "Damson"])

    await page.get_by_role("button", name="View Open").click()
    await page.get_by_role("menuitem", name="Rename view").click()
    await page.get_by_label("View name").fill("grid VIEW")
    await page.get_by_role("button", name="Rename", exact=True).click()
    await expect(
        page.get_by_role("dialog", name="Rename view").get_by_role("alert")
    ).to_contain_text("already exists")
    await page.get_by_label("View name").fill("Unfinished")
    await page.get_by_role("button", name="Rename", exact=True).click()
    await expect(page.get_by_role("button", name="View Unfinished")).to_be_visible()

    page.once("dialog", lambda dialog: dialog.accept())
    await page.get_by_role("button", name="View Unfinished").click()
    await page.get_by_role("menuitem", name="Delete view").click()
    await expect(page.get_by_role("button", name="View Grid view")).to_be_visible()
    await expect(names(page)).to_have_text(["Damson", "Apple", "Banana", "Cherry"])
    await page.get_by_role("button", name="View Grid view").click()
    menu = page.get_by_role("menu", name="Views")
    await expect(menu.get_by_role("menuitemradio")).to_have_text(["Grid view"])
    # The last view cannot be deleted.
    await expect(menu.get_by_role("menuitem", name="Delete view")).to_have_count(0)
    await page.keyboard.press("Escape")
    await expect(menu).to_have_count(0)


async def test_an_editor_sorts_for_themselves_but_cannot_save_the_view(
    page: Page, edge: str
) -> None:
    editor_email = new_email()
    async with httpx.AsyncClient(base_url=edge, timeout=30) as http:
        table = ApiTable(http, new_email())
        await table.create("Orchard", "Fruit", "Trees", FIELDS)
        await table.add(ROWS)
        base = await http.get(f"/v1/bases/{table.base_id}", headers=table.auth)
        invited = await http.post(
            f"/v1/workspaces/{base.json()['base']['workspace_id']}/invitations",
            json={"email": editor_email, "role": "ROLE_EDITOR"},
            headers=table.auth,
        )
        invited.raise_for_status()
        editor = await http.post(
            "/v1/auth/register",
            json={"email": editor_email, "password": PASSWORD, "name": "Ed",
                  "invitation_token": invited.json()["signup_token"]},
        )  # fmt: skip
        editor.raise_for_status()
        accepted = await http.post(
            f"/v1/invitations/{invited.json()['invitation']['id']}:accept",
            json={},
            headers={"Authorization": f"Bearer {editor.json()['access_token']}"},
        )
        accepted.raise_for_status()

    await sign_in(page, editor_email)
    await page.goto(f"/bases/{table.base_id}/tables/{table.table_id}")
    await expect(names(page)).to_have_text(["Apple", "Banana", "Cherry", "Damson"])
    panel = await open_panel(page, "Sort")
    await panel.get_by_role("button", name="Add sort").click()
    await panel.get_by_label("Sort 1 direction").select_option("Descending")
    await expect(names(page)).to_have_text(["Damson", "Cherry", "Banana", "Apple"])
    await page.keyboard.press("Escape")
    await expect(page.get_by_role("status").filter(has_text="Modified")).to_be_visible()
    await expect(page.get_by_role("button", name="Save view")).to_have_count(0)
    await page.get_by_role("button", name="View Grid view").click()
    await expect(page.get_by_role("menuitem", name="Create view")).to_have_count(0)
    await page.keyboard.press("Escape")
    await page.get_by_role("button", name="Revert").click()
    await expect(names(page)).to_have_text(["Apple", "Banana", "Cherry", "Damson"])
