"""The web app's grid in headless Chromium, on the data plane's table (100,000 records in a full
run): how long a fresh page load takes to paint the first rows, and how long a jump far down
the table (row 50,000) takes to show that row's cells.

Chromium is Debian's (/usr/bin/chromium, `make browser`), driven by Playwright, signed in as
the table's owner with the app's own POST /app/session/login, so every page restores its
session from the refresh cookie as a returning user's does. Times are the page's own
`performance.now()`, noted by a MutationObserver when the text appears, then at the next
animation frame (when the browser is about to paint it).
"""

from __future__ import annotations

import asyncio
import os
from pathlib import Path
from typing import Any

from playwright.async_api import (
    Browser,
    BrowserContext,
    Error,
    Page,
    ViewportSize,
    async_playwright,
)

from benchmarks.dataplane import DataTable
from benchmarks.feed import percentile
from benchmarks.scenarios import User

NAME = "Chromium web app grid"
CHROMIUM = os.environ.get("PYAT_CHROMIUM", "/usr/bin/chromium")
LOADS = 20
JUMPS = 20
# Rows between two jumps' targets: each lands on pages never loaded before.
JUMP_STRIDE = 1000
TARGET_FIRST_ROWS_MS = 1000.0
TARGET_JUMP_MS = 300.0
# The percentile judged against the targets (20 samples: p99 would be the slowest alone).
JUDGED = "p95"
# Bound of every wait in the browser; far above any target, for a loaded machine.
WAIT_MS = 30_000
VIEWPORT: ViewportSize = {"width": 1400, "height": 900}

# In every new page, before the app's scripts: a promise of the time the first data cell shows
# text. (The app's Content-Security-Policy forbids eval, so Playwright's polling waits can't run
# there; a promise awaited through page.evaluate can.)
FIRST_ROWS_SCRIPT = """
window.__pyatFirstRows = new Promise((resolve, reject) => {
  const waitMs = WAIT_MS;
  const shown = () => [...document.querySelectorAll('[role="gridcell"]')].some(
    (cell) => cell.getAttribute("aria-busy") !== "true" && cell.textContent.trim() !== "");
  const timer = setTimeout(() => {
    observer.disconnect();
    reject(new Error(`no grid row showed text within ${waitMs} ms`));
  }, waitMs);
  const observer = new MutationObserver(() => {
    if (!shown()) return;
    observer.disconnect();
    clearTimeout(timer);
    requestAnimationFrame(() => resolve(performance.now()));
  });
  observer.observe(document, { childList: true, subtree: true, characterData: true });
});
""".replace("WAIT_MS", str(WAIT_MS))

# The height of a data row of the grid, in pixels.
ROW_HEIGHT_SCRIPT = """
() => document.querySelector('[role="grid"] [role="row"][aria-rowindex="2"]')
  .getBoundingClientRect().height
"""

# Scroll the grid to a row; ms until that row's cells show text, then until the next frame, and
# the round trip of each GetGridRows request the jump made (from Resource Timing).
JUMP_SCRIPT = """
async ({ row, rowHeight, waitMs }) => {
  const grid = document.querySelector('[role="grid"]');
  const top = row * rowHeight;
  if (grid.scrollHeight < top + rowHeight) {
    throw new Error(`the grid is ${grid.scrollHeight}px high: it does not reach row ${row}`);
  }
  const shown = () => {
    const cells = grid.querySelectorAll(
      `[role="row"][aria-rowindex="${row + 2}"] [role="gridcell"]`);
    return [...cells].some(
      (cell) => cell.getAttribute("aria-busy") !== "true" && cell.textContent.trim() !== "");
  };
  return await new Promise((resolve, reject) => {
    let observer;
    let ended = false;
    const started = performance.now();
    const end = () => {
      ended = true;
      observer.disconnect();
      clearTimeout(timer);
    };
    const timer = setTimeout(() => {
      end();
      reject(new Error(`row ${row} showed no text within ${waitMs} ms`));
    }, waitMs);
    const check = () => {
      if (ended || !shown()) return;
      end();
      requestAnimationFrame(() => {
        const painted = performance.now() - started;
        const requests = performance.getEntriesByType("resource")
          .filter((entry) => entry.name.includes("/rows?") && entry.startTime >= started)
          .map((entry) => entry.responseEnd - entry.startTime);
        resolve({ painted, requests });
      });
    };
    observer = new MutationObserver(check);
    observer.observe(grid, { childList: true, subtree: true, characterData: true });
    grid.scrollTop = top;
    check();
  });
}
"""


def run(edge: str, table: DataTable, owner: User, password: str, records: int) -> dict[str, Any]:
    """Measure the grid of `table` (of `records` records) at the edge (host:port), signed in as
    its `owner`; the result, failures included."""
    if not Path(CHROMIUM).exists():
        missing = f"no Chromium at {CHROMIUM}: run `make browser` (apt-get install chromium)"
        return result(records, jump_rows(records), 0.0, [], [], [], [missing])
    return asyncio.run(_measure(f"http://{edge}", table, owner, password, records))


def jump_rows(records: int) -> list[int]:
    """JUMPS different rows around the middle of the table (row 50,000 of 100,000)."""
    stride = max(1, min(JUMP_STRIDE, records // (2 * JUMPS)))
    middle = records // 2
    return [min(records - 1, middle + (n - JUMPS // 2) * stride) for n in range(JUMPS)]


async def _measure(
    edge: str, table: DataTable, owner: User, password: str, records: int
) -> dict[str, Any]:
    url = f"/bases/{table.base_id}/tables/{table.table_id}"
    loads: list[float] = []
    jumps: list[float] = []
    requests: list[float] = []  # GetGridRows round trips, as the browser saw them
    row_height = 0.0
    errors: list[str] = []
    rows = jump_rows(records)
    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(
            executable_path=CHROMIUM, args=["--no-sandbox"], headless=True
        )
        step = "signing in"
        try:
            context = await _signed_in(browser, edge, owner, password)
            # One load first, not counted: the app's files then come from the browser's cache,
            # as they do for anyone who has opened the app before.
            for n in range(LOADS + 1):
                step = f"page load {n + 1}"
                page = await context.new_page()
                try:
                    painted = await _first_rows(page, url)
                finally:
                    await page.close()
                if n:
                    loads.append(painted)
            step = "the jumps' page load"
            page = await context.new_page()
            await _first_rows(page, url)
            row_height = await page.evaluate(ROW_HEIGHT_SCRIPT)
            for row in rows:
                step = f"jump to row {row:,}"
                shown = await page.evaluate(
                    JUMP_SCRIPT, {"row": row, "rowHeight": row_height, "waitMs": WAIT_MS}
                )
                jumps.append(shown["painted"])
                requests += shown["requests"]
        except Error as exc:
            errors.append(f"{step}: {_first_line(exc)}")
        finally:
            await browser.close()
    return result(records, rows, row_height, loads, jumps, requests, errors)


async def _signed_in(browser: Browser, edge: str, owner: User, password: str) -> BrowserContext:
    """A browser profile holding the owner's refresh cookie, as after signing in."""
    context = await browser.new_context(base_url=edge, viewport=VIEWPORT)
    context.set_default_timeout(WAIT_MS)
    await context.add_init_script(FIRST_ROWS_SCRIPT)
    answer = await context.request.post(
        "/app/session/login", data={"email": owner.email, "password": password}
    )
    if not answer.ok:
        raise Error(f"signing in failed: HTTP {answer.status}: {(await answer.text())[:200]}")
    return context


async def _first_rows(page: Page, url: str) -> float:
    """Load the grid in `page`: ms from navigation to the frame after its first rows."""
    await page.goto(url)
    try:
        painted: float = await page.evaluate("() => window.__pyatFirstRows")
    except Error as exc:
        shown = " ".join((await page.inner_text("body")).split())[:300]
        why = str(exc).strip().split("\n")[0]
        raise Error(f"{why}; the page showed: {shown!r}") from None
    return painted


def _first_line(exc: Exception) -> str:
    text = str(exc).strip()
    return f"{type(exc).__name__}: {text.splitlines()[0] if text else ''}"


def _ms(values: list[float]) -> dict[str, float] | None:
    if not values:
        return None
    spectrum = {"p50": 0.5, "p95": 0.95, "p99": 0.99, "max": 1.0}
    return {name: round(percentile(values, q), 1) for name, q in spectrum.items()}


def result(
    records: int,
    rows: list[int],
    row_height: float,
    loads: list[float],
    jumps: list[float],
    requests: list[float],
    errors: list[str],
) -> dict[str, Any]:
    first_rows, jump = _ms(loads), _ms(jumps)
    problems = list(errors)
    if not errors and (len(loads) < LOADS or len(jumps) < len(rows)):
        problems.append(f"{len(loads)} of {LOADS} loads and {len(jumps)} of {len(rows)} jumps")
    misses = []
    for what, figures, target in (
        ("first rows", first_rows, TARGET_FIRST_ROWS_MS),
        ("jump", jump, TARGET_JUMP_MS),
    ):
        if figures is not None and figures[JUDGED] >= target:
            misses.append(f"{what} {JUDGED} {figures[JUDGED]:.0f} ms >= {target:g} ms")
    return {
        "name": NAME,
        "records": records,
        "loads": len(loads),
        "jump_rows": rows,
        "row_height_px": row_height,
        "first_rows_ms": first_rows,
        "jump_ms": jump,
        "rows_requests": len(requests),
        "rows_request_ms": _ms(requests),
        "judged": JUDGED,
        "target_first_rows_ms": TARGET_FIRST_ROWS_MS,
        "target_jump_ms": TARGET_JUMP_MS,
        "errors": problems,
        "misses": misses,
        "meets_target": not problems and not misses,
    }


def markdown(grid: dict[str, Any], mode: str) -> list[str]:
    rows = grid["jump_rows"]
    lines = [
        "## The web app's grid in Chromium",
        "",
        f"Headless Debian Chromium signed in as the owner of the data plane's table of "
        f"{grid['records']:,} records (`benchmarks/browser.py`). **First rows**: "
        f"{LOADS} fresh page loads of the grid's URL, from navigation to the animation frame "
        "after the first data cell shows text. **Jump**: the grid's scrollTop set to a row "
        f"times the row height ({grid['row_height_px']:g} px), {len(rows)} rows from "
        f"{rows[0]:,} to {rows[-1]:,}, until that row's cells show text (not the loading "
        f"placeholder), then the next frame. The {grid['judged']} is judged. Times in ms.",
        "",
        "| measure | p50 | p95 | p99 | max | target | verdict |",
        "|---|---|---|---|---|---|---|",
    ]
    requests = grid["rows_request_ms"]
    if requests:
        lines[2] += (
            f" The jumps made {grid['rows_requests']} GetGridRows requests (pages of 100: the "
            "rows in view and the page after); their round trips as the browser timed them "
            "(Resource Timing) are the last row, the server's share of a jump."
        )
    for label, key, target in (
        ("first rows", "first_rows_ms", grid["target_first_rows_ms"]),
        ("jump", "jump_ms", grid["target_jump_ms"]),
    ):
        figures = grid[key]
        if grid["errors"]:
            verdict = "**FAILED**: " + "; ".join(grid["errors"]).replace("|", "\\|")
        elif mode == "quick":
            verdict = "not judged (quick run)"
        elif figures[grid["judged"]] >= target:
            verdict = f"**MISSED**: {grid['judged']} over the target"
        else:
            verdict = "meets"
        cells = [f"{figures[n]:.0f}" if figures else "-" for n in ("p50", "p95", "p99", "max")]
        lines.append(f"| {label} | {' | '.join(cells)} | < {target:g} | {verdict} |")
    if requests:
        cells = [f"{requests[n]:.0f}" for n in ("p50", "p95", "p99", "max")]
        lines.append(f"| GetGridRows round trip | {' | '.join(cells)} | | |")
    return lines


def line(grid: dict[str, Any]) -> str:
    """The result in a line, for the run's progress output."""
    parts = []
    for label, key in (("first rows", "first_rows_ms"), ("jump", "jump_ms")):
        figures = grid[key]
        if figures:
            parts.append(f"{label} " + " ".join(f"{k} {v:.0f}" for k, v in figures.items()))
    if grid["rows_request_ms"]:
        parts.append(f"GetGridRows round trip p50 {grid['rows_request_ms']['p50']:.0f}")
    text = "; ".join(parts) + " ms" if parts else "nothing measured"
    if grid["errors"]:
        text += "; " + "; ".join(grid["errors"])
    return text
