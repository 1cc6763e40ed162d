"""Headless Debian Chromium, driven by Playwright, that may reach the loopback only.

Every request the page makes goes through a route that lets loopback addresses through and
aborts and records the rest, so a test can assert that nothing tried to leave the machine; the
host resolver refuses every other name as a second fence. Shared by the page tests and the
page benchmark.
"""

import os
import re
import shutil
import subprocess
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

from playwright.async_api import Browser, BrowserContext, Route, async_playwright

CHROMIUM = os.environ.get("COMPTROLLER_TEST_CHROMIUM", "/usr/bin/chromium")
LOOPBACK_HOSTS = {"127.0.0.1", "localhost", "::1", "[::1]"}
ARTIFACTS = Path(__file__).resolve().parents[1] / "artifacts"

# The demo prints one header per role, after the role's name.
_DEMO_TOKEN = re.compile(
    r'^(?P<role>[^\n{]+)\n\{"Authorization": "Bearer (?P<token>[^"]+)"\}', re.M
)


def chromium_problem() -> str | None:
    """Why Chromium cannot run here, or None when it can."""
    if not (Path(CHROMIUM).is_file() or shutil.which(CHROMIUM)):
        return f"no Chromium at {CHROMIUM} (apt-get install -y chromium)"
    return None


@dataclass
class Fence:
    """What the page asked for beyond the loopback (each was aborted)."""

    refused: list[str] = field(default_factory=list)

    async def route(self, route: Route) -> None:
        url = route.request.url
        host = urlsplit(url).hostname or ""
        if url.startswith(("data:", "blob:")) or host in LOOPBACK_HOSTS:
            await route.continue_()
            return
        self.refused.append(url)
        await route.abort("blockedbyclient")


@asynccontextmanager
async def offline_chromium() -> AsyncIterator[Browser]:
    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(
            executable_path=CHROMIUM,
            args=[
                "--no-sandbox",
                "--disable-background-networking",
                "--disable-component-update",
                "--no-first-run",
                # Names other than localhost resolve nowhere.
                "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE localhost, EXCLUDE 127.0.0.1",
            ],
        )
        try:
            yield browser
        finally:
            await browser.close()


@asynccontextmanager
async def fenced_context(browser: Browser) -> AsyncIterator[tuple[BrowserContext, Fence]]:
    context = await browser.new_context(
        viewport={"width": 1400, "height": 1000}, timezone_id="UTC", locale="en-US"
    )
    fence = Fence()
    await context.route("**/*", fence.route)
    try:
        yield context, fence
    finally:
        await context.close()


@dataclass(frozen=True)
class DemoData:
    database_url: str
    tokens: dict[str, str]  # by the demo's role label
    output: str

    def token(self, label_start: str) -> str:
        return next(t for role, t in self.tokens.items() if role.startswith(label_start))


def load_demo(workdir: Path, requests: int) -> DemoData:
    """``comptroller demo --no-serve`` into a fresh SQLite file; the tokens it printed."""
    database = workdir / "demo.db"
    env = {k: v for k, v in os.environ.items() if not k.startswith("COMPTROLLER_")}
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "comptroller",
            "demo",
            "--database",
            str(database),
            "--requests",
            str(requests),
            "--no-serve",
        ],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    if done.returncode != 0:
        raise RuntimeError(f"demo failed: {done.stdout}{done.stderr}")
    tokens = {m["role"].strip(): m["token"] for m in _DEMO_TOKEN.finditer(done.stdout)}
    return DemoData(f"sqlite://{database}", tokens, done.stdout)
