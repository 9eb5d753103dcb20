"""The base's search in a real Chromium against the real fabric (semantic-search through Envoy):
a query by meaning finds the auto mechanic first and opens the record, an exact word finds its
record, hits of another table name it and open on its grid, the current-table toggle narrows
the hits, a query of nothing meaningful is answered sensibly, and a lost connection is said."""

from __future__ import annotations

import asyncio
import re
import time
from pathlib import Path
from typing import Any

import httpx
from playwright.async_api import Locator, Page, expect

from tests.web.ui import ApiTable, new_email, sign_in

FIELDS: list[dict[str, Any]] = [
    {"name": "Name", "type": "singleLineText"},
    {"name": "Job", "type": "multilineText"},
]
PEOPLE: list[dict[str, Any]] = [
    {"Name": "Dana Whitfield", "Job": "Auto mechanic: repairs car engines, brakes and gearboxes"},
    {"Name": "Marco Bellini", "Job": "Pastry chef baking croissants and birthday cakes"},
    {"Name": "Priya Raman", "Job": "Tax accountant preparing annual returns for small firms"},
    {"Name": "Tom Okafor", "Job": "Kindergarten teacher for four and five year olds"},
    {"Name": "Lena Fischer", "Job": "Veterinarian caring for sick dogs and cats"},
    {"Name": "Sam Quigley", "Job": "Airline pilot flying long-haul routes"},
    {"Name": "Nadia Kowalski", "Job": "Plumber installing water pipes in new houses"},
    {"Name": "Eli Zimmerman", "Job": "Software developer writing web applications"},
]
PETS: list[dict[str, Any]] = [
    {"Name": "Rex", "Job": "A dog who chases cars down the street"},
]
# Every record is indexed well before this on an idle machine; room for a loaded one.
INDEX_WAIT_S = 20


async def indexed(http: httpx.AsyncClient, table: ApiTable, records: int) -> None:
    """Until the base's index holds `records` records and none are waiting."""
    deadline = time.monotonic() + INDEX_WAIT_S
    status: dict[str, Any] = {}
    while time.monotonic() < deadline:
        answer = await http.get(f"/v1/bases/{table.base_id}/search/status", headers=table.auth)
        answer.raise_for_status()
        status = answer.json()
        # int64 as strings; zeros left out.
        if int(status.get("indexed_records", 0)) == records and not int(
            status.get("pending_records", 0)
        ):
            return
        await asyncio.sleep(0.1)
    raise AssertionError(f"the base was not indexed in {INDEX_WAIT_S} s: {status}")


async def open_crew(page: Page, edge: str) -> ApiTable:
    """A base of people by job (table Jobs) and a table Pets, indexed, open in the owner's page."""
    async with httpx.AsyncClient(base_url=edge, timeout=30) as http:
        table = ApiTable(http, new_email())
        await table.create("Crew", "People", "Jobs", FIELDS)
        await table.add(PEOPLE)
        made = await http.post(
            f"/v1/bases/{table.base_id}/tables",
            json={"tables": [{"name": "Pets", "fields": FIELDS}]},
            headers=table.auth,
        )
        made.raise_for_status()
        pets = made.json()["tables"][0]["id"]
        created = await http.post(
            f"/v0/{table.base_id}/{pets}",
            json={"records": [{"fields": f} for f in PETS]},
            headers=table.auth,
        )
        created.raise_for_status()
        await indexed(http, table, len(PEOPLE) + len(PETS))
    await open_people(page, table)
    return table


async def open_people(page: Page, table: ApiTable) -> None:
    """Signed in as the table's owner, the base People on its first table, Jobs."""
    await sign_in(page, table.email)
    crew = page.get_by_role("region", name="Workspace Crew")
    await crew.get_by_role("link", name="People").click()
    await expect(page.get_by_role("grid", name="Jobs")).to_be_visible()


def hits(dialog: Locator) -> Locator:
    return dialog.get_by_role("listbox", name="Search results").get_by_role("option")


async def search(dialog: Locator, query: str) -> None:
    """Type a query (the hits come a moment later: the checks after this wait for them)."""
    await dialog.get_by_role("combobox", name="Search records").fill(query)


async def test_search_finds_by_meaning_and_by_word_and_opens_the_record(
    page: Page, edge: str, artifacts: Path
) -> None:
    await open_crew(page, edge)
    dialog = page.get_by_role("dialog", name="Search People")

    # Ctrl+K opens it from the grid; by meaning, the mechanic comes first, with its table.
    await page.keyboard.press("Control+k")
    await expect(dialog.get_by_role("combobox", name="Search records")).to_be_focused()
    await expect(dialog.get_by_text("Find records by what they mean")).to_be_visible()
    await search(dialog, "someone who fixes cars")
    first = hits(dialog).first
    await expect(first).to_contain_text("Dana Whitfield")
    await expect(first).to_contain_text("Jobs")
    await expect(first).to_contain_text(re.compile("match", re.IGNORECASE))
    await expect(first).to_have_attribute("aria-selected", "true")
    # The dog of the other table chases cars: found too, by its table's name.
    await expect(hits(dialog).filter(has_text="Rex")).to_contain_text("Pets")
    await page.screenshot(path=artifacts / "search-1-meaning.png")

    # Enter opens the best hit in the record dialog.
    await page.keyboard.press("Enter")
    await expect(dialog).to_have_count(0)
    record = page.get_by_role("dialog", name="Dana Whitfield")
    await expect(record.get_by_label("Job")).to_have_value(re.compile("Auto mechanic"))
    await record.get_by_role("button", name="Close").click()
    await expect(record).to_have_count(0)

    # An exact word finds its record first; arrows move through the hits, Esc closes.
    await page.get_by_role("button", name="Search", exact=True).click()
    await search(dialog, "Quigley")
    await expect(hits(dialog).first).to_contain_text("Sam Quigley")
    if await hits(dialog).count() > 1:
        await page.keyboard.press("ArrowDown")
        await expect(hits(dialog).nth(1)).to_have_attribute("aria-selected", "true")
        await page.keyboard.press("ArrowUp")
    await expect(hits(dialog).first).to_have_attribute("aria-selected", "true")
    await page.keyboard.press("Escape")
    await expect(dialog).to_have_count(0)

    # Only this table: the dog of Pets is left out. A click on a hit of Pets opens it there.
    await page.keyboard.press("Control+k")
    await search(dialog, "a dog who chases cars")
    await expect(hits(dialog).first).to_contain_text("Rex")
    await dialog.get_by_label("Only in Jobs").check()
    await expect(hits(dialog).filter(has_text="Rex")).to_have_count(0)
    await dialog.get_by_label("Only in Jobs").uncheck()
    await hits(dialog).filter(has_text="Rex").click()
    await expect(page.get_by_role("grid", name="Pets")).to_be_visible()
    rex = page.get_by_role("dialog", name="Rex")
    await expect(rex.get_by_label("Job")).to_have_value(re.compile("chases cars"))
    await rex.get_by_role("button", name="Close").click()

    # Words of nothing: hits (the nearest meanings) or plainly none, never an error.
    await page.keyboard.press("Control+k")
    await search(dialog, "qzxv wplk")
    nothing = dialog.get_by_text("No records match")
    await expect(hits(dialog).first.or_(nothing)).to_be_visible()
    await expect(dialog.get_by_role("alert")).to_have_count(0)

    # Offline: said so, not a silent empty list.
    await page.context.set_offline(True)
    try:
        await search(dialog, "someone who bakes")
        await expect(dialog.get_by_role("alert")).to_contain_text("could not be reached")
    finally:
        await page.context.set_offline(False)
    await search(dialog, "someone who bakes cakes")
    await expect(hits(dialog).first).to_contain_text("Marco Bellini")
    await expect(dialog.get_by_role("alert")).to_have_count(0)


async def test_search_opens_by_its_keys_but_not_from_a_cell_being_edited(
    page: Page, edge: str
) -> None:
    async with httpx.AsyncClient(base_url=edge, timeout=30) as http:
        table = ApiTable(http, new_email())
        await table.create("Crew", "People", "Jobs", FIELDS)
        await table.add(PEOPLE[:1])
    await open_people(page, table)
    dialog = page.get_by_role("dialog", name="Search People")
    button = page.get_by_role("button", name="Search", exact=True)
    await expect(button).to_have_attribute("aria-keyshortcuts", re.compile("Control\\+K"))

    # "/" outside any control opens it, with its empty state; Esc closes it.
    await page.get_by_role("heading", name="People").click()
    await page.keyboard.press("/")
    box = dialog.get_by_role("combobox", name="Search records")
    await expect(box).to_be_focused()
    await expect(box).to_have_value("")
    await expect(dialog.get_by_text("Find records by what they mean")).to_be_visible()
    await expect(dialog.get_by_role("listbox", name="Search results")).to_be_hidden()
    await page.keyboard.press("Escape")
    await expect(dialog).to_have_count(0)

    # In a cell's editor "/" is typed, and Ctrl+K does not take the editor away.
    cell = page.get_by_role("grid").get_by_role("gridcell", name="Dana Whitfield", exact=True)
    await cell.click()
    await page.keyboard.press("Enter")
    editor = page.get_by_role("textbox", name="Name, row 1")
    await expect(editor).to_be_focused()
    await page.keyboard.press("End")
    await page.keyboard.type("/x")
    await page.keyboard.press("Control+k")
    await expect(dialog).to_have_count(0)
    await expect(editor).to_have_value("Dana Whitfield/x")
    await page.keyboard.press("Escape")

    # The header's button opens it too.
    await button.click()
    await expect(box).to_be_focused()
