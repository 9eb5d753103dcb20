"""A real headless Chromium for the web app's tests, driving the app that web-bff serves at
the edge's root."""

from __future__ import annotations

import os
import tempfile
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from playwright.async_api import Browser, BrowserContext, Page, async_playwright, expect

# Debian's chromium package; Playwright's own browser download is not reachable from here.
CHROMIUM = os.environ.get("PYAT_CHROMIUM", "/usr/bin/chromium")
HAVE_CHROMIUM = Path(CHROMIUM).exists()
# Long enough for a busy 2-core machine; every wait is for a condition, never a fixed time.
WAIT_MS = 20_000
expect.set_options(timeout=WAIT_MS)


@pytest.fixture(scope="session")
def artifacts() -> Path:
    """Where screenshots go: a folder under /tmp, printed so a failing run can be looked at."""
    folder = Path(tempfile.mkdtemp(prefix="pyat-web-"))
    print(f"\nweb test screenshots: {folder}")
    return folder


@pytest.fixture(scope="session")
async def browser() -> AsyncIterator[Browser]:
    if not HAVE_CHROMIUM:
        # `make test` installs it; a missing browser must not pass as a skipped journey.
        pytest.fail(f"no Chromium at {CHROMIUM}: run `make browser` (apt-get install chromium)")
    async with async_playwright() as playwright:
        launched = await playwright.chromium.launch(
            executable_path=CHROMIUM, args=["--no-sandbox"], headless=True
        )
        yield launched
        await launched.close()


@pytest.fixture
async def context(browser: Browser, edge: str) -> AsyncIterator[BrowserContext]:
    """A fresh browser profile (no cookies) on the edge."""
    ctx = await browser.new_context(base_url=edge, viewport={"width": 1400, "height": 900})
    ctx.set_default_timeout(WAIT_MS)
    yield ctx
    await ctx.close()


@pytest.fixture
async def page(context: BrowserContext) -> Page:
    return await context.new_page()
