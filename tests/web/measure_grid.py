"""Measures the grid with 100,000 rows in headless Chromium: how long the visible window takes
to render after a scroll (the scroll event to React's commit), and each scroll's time to the
next painted frame. Not a test (numbers, no assertions); run it on a quiet machine:

    .venv/bin/python -m tests.web.measure_grid [--rows 100000] [--columns 8] [--jumps 300]

It builds services/web_bff/app/bench (the grid alone with generated records) when needed.
"""

from __future__ import annotations

import argparse
import asyncio
import functools
import http.server
import statistics
import subprocess
import threading
from pathlib import Path
from typing import Any

from playwright.async_api import async_playwright

from tests.web.conftest import CHROMIUM

APP = Path(__file__).resolve().parents[2] / "services" / "web_bff" / "app"
BENCH_DIST = APP / "bench-dist"

# Runs in the page: scroll, wait for the frame after it, and time both.
SCROLL_AND_TIME = """
async ({ positions }) => {
  const grid = document.querySelector('[role="grid"]');
  const frames = [];
  const nextFrame = () => new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r)));
  window.__pyatGridMetrics = [];
  for (const top of positions) {
    const started = performance.now();
    grid.scrollTop = top;
    await nextFrame();
    frames.push(performance.now() - started);
  }
  const rowsInDom = grid.querySelectorAll('[role="row"]').length;
  return { frames, renders: window.__pyatGridMetrics, rowsInDom };
}
"""


def summary(name: str, values: list[float]) -> str:
    if not values:
        return f"{name}: no samples"
    ordered = sorted(values)
    p95 = ordered[min(len(ordered) - 1, int(len(ordered) * 0.95))]
    return (
        f"{name}: n={len(values)} p50={statistics.median(ordered):.2f} ms "
        f"p95={p95:.2f} ms max={ordered[-1]:.2f} ms"
    )


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        pass


def serve(folder: Path) -> tuple[http.server.ThreadingHTTPServer, int]:
    handler = functools.partial(_QuietHandler, directory=str(folder))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, server.server_address[1]


async def measure(rows: int, columns: int, jumps: int, wheel_steps: int) -> dict[str, Any]:
    server, port = serve(BENCH_DIST)
    try:
        async with async_playwright() as playwright:
            browser = await playwright.chromium.launch(
                executable_path=CHROMIUM, args=["--no-sandbox"], headless=True
            )
            page = await browser.new_page(viewport={"width": 1400, "height": 900})
            await page.goto(f"http://127.0.0.1:{port}/index.html?rows={rows}&columns={columns}")
            await page.get_by_role("grid").wait_for()
            first_paint = await page.evaluate("() => performance.now()")
            height = await page.evaluate(
                "() => document.querySelector('[role=\"grid\"]').scrollHeight"
            )
            # Far jumps (a dragged scrollbar) to spread positions, then small steps (a wheel).
            far = [(i * 7919 % jumps) / jumps * height for i in range(jumps)]
            near = [i * 120.0 for i in range(wheel_steps)]
            jumped = await page.evaluate(SCROLL_AND_TIME, {"positions": far})
            stepped = await page.evaluate(SCROLL_AND_TIME, {"positions": near})
            await browser.close()
    finally:
        server.shutdown()
    return {
        "rows": rows,
        "columns": columns,
        "ready_ms": first_paint,
        "rows_in_dom": jumped["rowsInDom"],
        "jump": jumped,
        "wheel": stepped,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--columns", type=int, default=8)
    parser.add_argument("--jumps", type=int, default=300)
    parser.add_argument("--wheel", type=int, default=300)
    args = parser.parse_args()
    if not (BENCH_DIST / "index.html").exists():
        subprocess.run(["npm", "run", "build:bench"], cwd=APP, check=True)
    result = asyncio.run(measure(args.rows, args.columns, args.jumps, args.wheel))
    print(
        f"rows: {result['rows']}, columns: {args.columns}, "
        f"rows in the DOM at a time: {result['rows_in_dom']}"
    )
    print(f"page ready (records generated, first window rendered): {result['ready_ms']:.0f} ms")
    for kind in ("jump", "wheel"):
        print(summary(f"{kind}: scroll event -> window rendered", result[kind]["renders"]))
        print(summary(f"{kind}: scroll -> next frame painted", result[kind]["frames"]))


if __name__ == "__main__":
    main()
