"""The browser routes without a browser: what they serve, and that nothing points off-site."""

import os
import re
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
import pytest_asyncio
from starlette.applications import Starlette

from comptroller.console.routes import STATIC_DIR, console_routes
from comptroller.console.vendor import VENDOR_FILES, missing_vendor_files
from comptroller.settings import Settings

IN_CI = os.environ.get("CI", "").lower() == "true"
INSTALLED = Settings().browser_packages_dir
# src="..." / href="..." / import ... from "..." / url(...) in our own files
_REFERENCE = re.compile(r"""(?:src|href)="([^"]*)"|from "([^"]*)"|url\(([^)]*)\)""")


@pytest_asyncio.fixture
async def serving_from(request: pytest.FixtureRequest) -> AsyncIterator[httpx.AsyncClient]:
    app = Starlette(routes=console_routes(request.param))
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
        yield client


@pytest.fixture
def installed() -> None:
    missing = missing_vendor_files(INSTALLED)
    if missing:
        problem = f"{missing} not installed under {INSTALLED}: npm ci --prefix web"
        if IN_CI:
            pytest.fail(f"CI must install the browser packages, but: {problem}")
        pytest.skip(problem)


@pytest.mark.parametrize("serving_from", [INSTALLED], indirect=True)
@pytest.mark.parametrize("name", sorted(VENDOR_FILES))
async def test_each_vendor_file_is_served_from_its_npm_package(
    installed: None, serving_from: httpx.AsyncClient, name: str
) -> None:
    reply = await serving_from.get(f"/vendor/{name}")
    assert reply.status_code == 200
    assert reply.headers["content-type"].startswith(VENDOR_FILES[name].media_type)
    assert reply.headers["cache-control"] == "public, max-age=3600"
    assert len(reply.content) > 1000


@pytest.mark.parametrize("serving_from", [Path("/nonexistent")], indirect=True)
async def test_a_missing_package_is_a_json_error_saying_how_to_install_it(
    serving_from: httpx.AsyncClient,
) -> None:
    reply = await serving_from.get("/vendor/graphiql.js")
    assert reply.status_code == 503
    error = reply.json()["errors"][0]
    assert error["extensions"]["code"] == "SERVICE_UNAVAILABLE"
    assert "npm ci --prefix web" in error["message"]


@pytest.mark.parametrize("serving_from", [INSTALLED], indirect=True)
@pytest.mark.parametrize("path", ["/vendor/node_modules", "/vendor/..%2Fpackage.json"])
async def test_nothing_else_of_node_modules_is_served(
    serving_from: httpx.AsyncClient, path: str
) -> None:
    reply = await serving_from.get(path)
    assert reply.status_code == 404


@pytest.mark.parametrize("serving_from", [INSTALLED], indirect=True)
async def test_the_dashboard_page_is_served_at_the_root(serving_from: httpx.AsyncClient) -> None:
    reply = await serving_from.get("/")
    assert reply.status_code == 200
    assert reply.headers["content-type"].startswith("text/html")
    assert '<script type="module" src="/console/js/main.js">' in reply.text
    script = await serving_from.get("/console/js/main.js")
    assert script.status_code == 200


def own_files() -> list[Path]:
    return sorted(p for p in STATIC_DIR.rglob("*") if p.suffix in {".html", ".js", ".css"})


@pytest.mark.parametrize("path", own_files(), ids=lambda p: str(p.relative_to(STATIC_DIR)))
def test_our_pages_refer_to_this_origin_only(path: Path) -> None:
    text = path.read_text()
    references = [
        next(g for g in match.groups() if g is not None) for match in _REFERENCE.finditer(text)
    ]
    outside = [
        ref
        for ref in references
        if not ref.startswith(("/", "./", "../", "data:", "#")) and ref != ""
    ]
    assert outside == []
    assert not re.search(r"https?://(?!\$\{)", text.replace("http://www.w3.org/2000/svg", ""))
