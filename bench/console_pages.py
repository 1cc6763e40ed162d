"""Each dashboard view in headless Chromium on the demo data: the time from choosing it to
its last chart drawn, next to the time of the GraphQL queries it issued (overhead ratio),
and the bytes it transferred.

    .venv/bin/python -m bench.console_pages [--requests 120000] [--runs 5]

``comptroller demo --no-serve`` builds the data; ``comptroller serve`` (one worker) serves
it; the browser is Debian's Chromium fenced to the loopback (tests/offline_browser.py), as
the project administrator. For each view and each range (the last 7, 30 and 90 days) the
page is re-rendered ``--runs`` times: the figures are medians. "page" runs from the view's
start mark (before its request) to its ready mark (after its last chart); "GraphQL" is the
browser's fetch of the view's queries (the longest, when they run in parallel); "server" is
the same queries replayed over HTTP from Python, without a browser.
"""

import argparse
import asyncio
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx

from tests.support.backends import serving
from tests.support.offline_browser import fenced_context, load_demo, offline_chromium

VIEWS = ("usage", "users", "requests", "tokens")
PRESETS = ("7", "30", "90")

MEASURE = """(view) => {
  const marks = performance.getEntriesByType("mark").map((m) => [m.name, m.startTime]);
  const starts = marks.filter(([n]) => n.startsWith(`view-start:${view}:`));
  const [name, start] = starts[starts.length - 1];
  const generation = name.split(":")[2];
  const ready = marks.find(([n]) => n === `view-ready:${view}:${generation}`);
  return { page: ready[1] - start };
}"""


async def render(page: Any, view: str, preset: str) -> dict[str, Any]:
    await page.evaluate("window.comptrollerCalls.length = 0")
    # Re-selecting the preset re-renders the open view.
    await page.select_option("#preset", "custom")
    await page.wait_for_selector(f"#panel[data-view={view}][data-ready=true]")
    await page.evaluate("window.comptrollerCalls.length = 0")
    await page.select_option("#preset", preset)
    await page.wait_for_selector(f"#panel[data-view={view}][data-ready=true]")
    timing: dict[str, Any] = await page.evaluate(MEASURE, view)
    calls = await page.evaluate(
        "(view) => window.comptrollerCalls.filter((c) => c.view === view)", view
    )
    timing["graphql"] = max(call["ms"] for call in calls)
    timing["bytes"] = sum(call["bytes"] for call in calls)
    timing["calls"] = calls
    return timing


async def replay(http: httpx.AsyncClient, token: str, calls: list[dict[str, Any]]) -> float:
    """The longest of the view's queries, over HTTP without a browser, in ms."""
    longest = 0.0
    for call in calls:
        started = time.perf_counter()
        reply = await http.post(
            "/graphql",
            json={"query": call["query"], "variables": call["variables"]},
            headers={"Authorization": f"Bearer {token}"},
        )
        reply.raise_for_status()
        assert "errors" not in reply.json(), reply.text
        longest = max(longest, (time.perf_counter() - started) * 1000)
    return longest


async def main(requests: int, runs: int) -> None:
    with tempfile.TemporaryDirectory(prefix="bench-pages-") as folder:
        workdir = Path(folder)
        started = time.perf_counter()
        demo = load_demo(workdir, requests)
        print(f"demo data: {requests:,} requests in {time.perf_counter() - started:.0f} s")
        token = demo.token("Project Administrator")
        async with (
            serving("bench", demo.database_url, "memory://", workdir) as server,
            offline_chromium() as browser,
            fenced_context(browser) as (context, fence),
            httpx.AsyncClient(base_url=server.server_url, timeout=60) as http,
        ):
            page = await context.new_page()
            await page.goto(f"{server.server_url}/")
            await page.fill("#token", token)
            await page.press("#token", "Enter")
            await page.wait_for_selector("#panel[data-view=usage][data-ready=true]")
            assets = await page.evaluate(
                "performance.getEntriesByType('resource')"
                ".filter((r) => r.initiatorType !== 'fetch')"
                ".map((r) => [r.name, r.encodedBodySize])"
            )
            total = sum(size for _, size in assets)
            print(f"page files on first load: {len(assets)} files, {total / 1024:,.0f} KiB")
            header = f"{'view':<9}{'range':>6}{'page ms':>9}{'GraphQL ms':>12}{'ratio':>7}"
            print(header + f"{'server ms':>11}{'JSON KiB':>10}")
            for view in VIEWS:
                await page.click(f"[data-tab={view}]")
                await page.wait_for_selector(f"#panel[data-view={view}][data-ready=true]")
                for preset in PRESETS:
                    samples = [await render(page, view, preset) for _ in range(runs)]
                    page_ms = statistics.median(s["page"] for s in samples)
                    graphql_ms = statistics.median(s["graphql"] for s in samples)
                    server_ms = statistics.median(
                        [await replay(http, token, samples[-1]["calls"]) for _ in range(runs)]
                    )
                    kib = samples[-1]["bytes"] / 1024
                    print(
                        f"{view:<9}{preset + 'd':>6}{page_ms:>9.1f}{graphql_ms:>12.1f}"
                        f"{page_ms / graphql_ms:>7.2f}{server_ms:>11.1f}{kib:>10.1f}",
                        flush=True,
                    )
            assert fence.refused == [], fence.refused


def run() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--requests", type=int, default=120_000)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    asyncio.run(main(args.requests, args.runs))


if __name__ == "__main__":
    run()
