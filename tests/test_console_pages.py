"""The pages in headless Chromium that may reach the loopback only: GraphiQL and the dashboard.

The app serves the demo's data; each test signs in as the demo prints it and checks that
what the page shows equals what the GraphQL API answers for the same range and filter, and
that the page asked no other host for anything. Screenshots land in artifacts/screenshots/.
"""

import csv
import io
import os
from collections.abc import AsyncIterator
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import pytest
import pytest_asyncio
from playwright.async_api import Browser, Page

from tests.support.backends import Backend, serving
from tests.support.graphql_client import GraphQLClient
from tests.support.offline_browser import (
    ARTIFACTS,
    DemoData,
    chromium_problem,
    fenced_context,
    load_demo,
    offline_chromium,
)

IN_CI = os.environ.get("CI", "").lower() == "true"
SCREENSHOTS = ARTIFACTS / "screenshots"
DEMO_REQUESTS = 20_000
READY = "#panel[data-view={view}][data-ready=true]"

USAGE = """query ($p: ID!, $range: TimeRange!, $filter: UsageFilter) { project(id: $p) {
  usage(range: $range, filter: $filter) { totalCost averageCostPerRequest averageRequestTimeMs
    totalRequests totalErrors errorRate timeline { start } byAssistant { id totalCost } } } }"""
TOKENS = """query ($p: ID!, $range: TimeRange!, $filter: UsageFilter) { project(id: $p) {
  tokenUsage(range: $range, filter: $filter) { totalTokens inputTokens outputTokens
    averageInputTokensPerRequest averageOutputTokensPerResponse } } }"""
USERS = """query ($p: ID!, $range: TimeRange!) { project(id: $p) { userActivity(range: $range) {
  activeUsers averageCostPerUser averageRequestsPerUser topUsersByCost { user { id } } } } }"""
REQUESTS = """query ($p: ID!, $filter: RequestFilter) { project(id: $p) {
  requests(filter: $filter, first: 25) { totalCount edges { node { id cost input } } } } }"""
MODELS = "{ models { id name } }"
PROJECT_FIELDS = '{ __type(name: "Project") { fields { name } } }'


@pytest.fixture(scope="module")
def chromium_ready() -> None:
    problem = chromium_problem()
    if problem is not None:
        if IN_CI:
            pytest.fail(f"CI must run the browser tests, but: {problem}")
        pytest.skip(problem)


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> DemoData:
    return load_demo(tmp_path_factory.mktemp("demo"), DEMO_REQUESTS)


@pytest_asyncio.fixture(scope="module")
async def server(
    demo: DemoData, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[Backend]:
    workdir = tmp_path_factory.mktemp("pages")
    async with serving("pages", demo.database_url, "memory://", workdir) as backend:
        yield backend


@pytest_asyncio.fixture(scope="module")
async def browser(chromium_ready: None) -> AsyncIterator[Browser]:
    async with offline_chromium() as launched:
        yield launched


@pytest_asyncio.fixture
async def api(server: Backend) -> AsyncIterator[GraphQLClient]:
    async with httpx.AsyncClient(base_url=server.server_url, timeout=30) as http:
        yield GraphQLClient(http)


async def sign_in(page: Page, server: Backend, token: str) -> None:
    await page.goto(f"{server.server_url}/")
    await page.focus("#token")
    await page.keyboard.insert_text(token)
    await page.keyboard.press("Enter")
    await page.wait_for_selector("body[data-state=signed-in]")


async def open_view(page: Page, view: str) -> None:
    await page.click(f"[data-tab={view}]")
    await page.wait_for_selector(READY.format(view=view))


async def page_choices(page: Page) -> dict[str, str]:
    """The page's choices, as its URL's hash keeps them."""
    pairs = await page.evaluate("[...new URLSearchParams(location.hash.slice(1))]")
    return dict(pairs)


def range_of(choices: dict[str, str]) -> dict[str, Any]:
    """The TimeRange for the page's whole local days, computed here independently."""
    zone = ZoneInfo(choices["tz"])
    first = date.fromisoformat(choices["from"])
    last = date.fromisoformat(choices["to"])

    def midnight(day: date) -> str:
        return datetime(day.year, day.month, day.day, tzinfo=zone).isoformat()

    return {
        "from": midnight(first),
        "to": midnight(last + timedelta(days=1)),
        "timezone": choices["tz"],
        "granularity": choices.get("g", "DAY"),
    }


def filter_of(choices: dict[str, str]) -> dict[str, Any]:
    keys = {"assistant": "assistantIds", "model": "modelIds", "apiToken": "apiTokenIds"}
    found: dict[str, Any] = {keys[k]: [v] for k, v in choices.items() if k in keys}
    if "status" in choices:
        found["status"] = choices["status"]
    return found


async def shown_kpis(page: Page) -> dict[str, float | None]:
    values = await page.eval_on_selector_all(
        "#panel [data-kpi]", "cards => cards.map(c => [c.dataset.kpi, c.dataset.value])"
    )
    return {k: None if v == "null" else float(v) for k, v in values}


def as_numbers(figures: dict[str, Any], names: list[str]) -> dict[str, float | None]:
    return {n: None if figures[n] is None else float(figures[n]) for n in names}


async def screenshot(page: Page, name: str) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    await page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=True)


async def download(page: Page, button: str) -> list[dict[str, str]]:
    """Clicks a download button; the CSV it saved, read back."""
    async with page.expect_download() as started:
        await page.click(button)
    saved = await (await started.value).path()
    return list(csv.DictReader(io.StringIO(saved.read_text(), newline="")))


def demo_example_query(demo: DemoData) -> str:
    return next(line for line in demo.output.splitlines() if line.startswith('{ project(id: "1")'))


def demo_header(demo: DemoData, role: str) -> str:
    return f'{{"Authorization": "Bearer {demo.token(role)}"}}'


async def test_graphiql_runs_the_demos_example_query_with_a_pasted_header(
    browser: Browser, server: Backend, demo: DemoData, api: GraphQLClient
) -> None:
    # given GraphiQL, loaded from the app alone
    async with fenced_context(browser) as (context, fence):
        page = await context.new_page()
        await page.goto(f"{server.server_url}/graphql")
        await page.wait_for_selector(".graphiql-query-editor .CodeMirror")
        # when the demo's example query runs with the member's printed header
        await page.click(".graphiql-query-editor .CodeMirror")
        await page.keyboard.press("Control+A")
        await page.keyboard.insert_text(demo_example_query(demo))
        await page.get_by_text("Headers", exact=True).click()
        await page.click(".graphiql-editor-tool .CodeMirror >> visible=true")
        await page.keyboard.insert_text(demo_header(demo, "Project Member"))
        await page.click(".graphiql-execute-button")
        # a locator, not wait_for_function: the page's CSP forbids the eval that one needs
        await page.locator(".result-window", has_text="totalCost").wait_for()
        shown = await page.inner_text(".result-window")
        await screenshot(page, "graphiql")
    # then it shows the API's answer, and nothing was asked of another host
    expected = await api(demo_example_query(demo), token=demo.token("Project Member"))
    total = expected.ok()["project"]["usage"]["totalCost"]
    assert f'"totalCost": {total}' in shown
    assert '"errors"' not in shown
    assert fence.refused == []


async def test_member_sees_the_apis_figures_in_usage_requests_and_tokens(
    browser: Browser, server: Backend, demo: DemoData, api: GraphQLClient
) -> None:
    token = demo.token("Project Member")
    async with fenced_context(browser) as (context, fence):
        page = await context.new_page()
        # given a member signed in by keyboard
        await sign_in(page, server, token)
        await page.wait_for_selector(READY.format(view="usage"))
        tabs = await page.eval_on_selector_all("[role=tab]", "t => t.map(e => e.dataset.tab)")
        assert tabs == ["usage", "requests", "tokens"]
        await screenshot(page, "usage-member")
        choices = await page_choices(page)
        await expect_usage(page, api, token, choices)
        # the budget shows when the API has Project.budget, and is left out when it has not
        fields = (await api(PROJECT_FIELDS, token=token)).ok()["__type"]["fields"]
        has_budget = any(field["name"] == "budget" for field in fields)
        assert await page.locator("[data-budget]").count() == (1 if has_budget else 0)

        # when the range becomes the last 7 days by week and one model is picked
        models = (await api(MODELS, token=token)).ok()["models"]
        await page.select_option("#preset", "7")
        await page.wait_for_selector(READY.format(view="usage"))
        await page.select_option("#granularity", "WEEK")
        await page.wait_for_selector(READY.format(view="usage"))
        await page.select_option("#filter-model", models[0]["id"])
        await page.wait_for_selector(READY.format(view="usage"))
        choices = await page_choices(page)
        assert choices["preset"] == "7"
        assert choices["g"] == "WEEK"
        assert choices["model"] == models[0]["id"]
        # then the figures follow
        await expect_usage(page, api, token, choices)

        # Tokens: reached from the keyboard (arrow keys move between tabs)
        await page.focus("[data-tab=usage]")
        await page.keyboard.press("End")
        await page.wait_for_selector(READY.format(view="tokens"))
        await screenshot(page, "tokens-member")
        tokens = (
            await api(
                TOKENS,
                {"p": choices["project"], "range": range_of(choices), "filter": filter_of(choices)},
                token=token,
            )
        ).ok()["project"]["tokenUsage"]
        assert await shown_kpis(page) == as_numbers(tokens, list(tokens))

        # Requests: the same filter and range, a page, then one request's detail by keyboard
        await page.keyboard.press("ArrowLeft")
        await page.wait_for_selector(READY.format(view="requests"))
        request_range = range_of(choices)
        log = (
            await api(
                REQUESTS,
                {
                    "p": choices["project"],
                    "filter": {
                        **filter_of(choices),
                        "from": request_range["from"],
                        "to": request_range["to"],
                    },
                },
                token=token,
            )
        ).ok()["project"]["requests"]
        shown_total = await page.get_attribute("[data-total-count]", "data-total-count")
        assert float(shown_total or "nan") == log["totalCount"]
        ids = await page.eval_on_selector_all(
            "[data-request-id]", "rows => rows.map(r => r.dataset.requestId)"
        )
        assert ids == [edge["node"]["id"] for edge in log["edges"]]
        await page.focus(f"[data-request-id='{ids[0]}']")
        await page.keyboard.press("Enter")
        await page.wait_for_selector(f"[data-request='{ids[0]}']")
        cost = await page.get_attribute("[data-field=cost]", "data-value")
        assert float(cost or "nan") == log["edges"][0]["node"]["cost"]
        stored_input = log["edges"][0]["node"]["input"]
        if stored_input is not None:
            assert (await page.inner_text("[data-field=input]")).strip() == stored_input.strip()
        await screenshot(page, "requests-member")
        # the page's download is the export of the same filter and range
        exported = await download(page, "[data-export=requests]")
        assert [row["id"] for row in exported][:25] == ids
        assert len(exported) == log["totalCount"]
        if log["totalCount"] > 25:
            await page.click("#next-page")
            await page.wait_for_selector(READY.format(view="requests"))
            assert "Page 2." in await page.inner_text("[data-total-count]")
    assert fence.refused == []


async def expect_usage(page: Page, api: GraphQLClient, token: str, choices: dict[str, str]) -> None:
    variables = {"p": choices["project"], "range": range_of(choices), "filter": filter_of(choices)}
    usage = (await api(USAGE, variables, token=token)).ok()["project"]["usage"]
    names = [
        "totalCost",
        "averageCostPerRequest",
        "averageRequestTimeMs",
        "totalRequests",
        "totalErrors",
        "errorRate",
    ]
    assert await shown_kpis(page) == as_numbers(usage, names)
    shares = await page.eval_on_selector_all(
        "[data-chart=by-assistant] [data-share]", "rows => rows.map(r => r.dataset.share)"
    )
    assert shares == [share["id"] for share in usage["byAssistant"]]


async def test_admin_sees_the_apis_figures_in_users(
    browser: Browser, server: Backend, demo: DemoData, api: GraphQLClient
) -> None:
    token = demo.token("Project Administrator")
    async with fenced_context(browser) as (context, fence):
        page = await context.new_page()
        await sign_in(page, server, token)
        await page.wait_for_selector(READY.format(view="usage"))
        await screenshot(page, "usage-admin")
        await open_view(page, "users")
        choices = await page_choices(page)
        activity = (
            await api(USERS, {"p": choices["project"], "range": range_of(choices)}, token=token)
        ).ok()["project"]["userActivity"]
        assert await shown_kpis(page) == as_numbers(
            activity, ["activeUsers", "averageCostPerUser", "averageRequestsPerUser"]
        )
        await screenshot(page, "users-admin")
        # when the pivot's columns become days, one column per day of the range is shown
        await page.select_option("[data-pivot=columns]", "DAY")
        await page.wait_for_selector(READY.format(view="users"))
        headers = await page.eval_on_selector_all(
            ".scroll table thead th", "cells => cells.map(c => c.textContent)"
        )
        assert headers[0] == "User"
        assert headers[-1] == "Total"
        assert 1 <= len(headers) - 2 <= 30
        pivot = await download(page, "[data-export=users-pivot]")
        assert list(pivot[0]) == ["userId", "userName", "userEmail", *headers[1:-1], "total"]
    assert fence.refused == []


async def test_assistant_user_sees_no_backoffice_view(
    browser: Browser, server: Backend, demo: DemoData
) -> None:
    async with fenced_context(browser) as (context, fence):
        page = await context.new_page()
        await sign_in(page, server, demo.token("Access all Project Assistants"))
        await page.wait_for_selector("#no-views:not([hidden])")
        assert await page.eval_on_selector_all("[role=tab]", "tabs => tabs.length") == 0
        assert await page.is_hidden("#panel")
        await screenshot(page, "assistant-user")
    assert fence.refused == []


async def test_a_wrong_token_is_refused_on_the_sign_in_form(
    browser: Browser, server: Backend
) -> None:
    async with fenced_context(browser) as (context, _):
        page = await context.new_page()
        await page.goto(f"{server.server_url}/")
        await page.fill("#token", "cpt_not-a-token")
        await page.press("#token", "Enter")
        await page.wait_for_selector("#sign-in-error:not([hidden])")
        assert "UNAUTHENTICATED" in await page.inner_text("#sign-in-error")
        assert await page.evaluate("sessionStorage.length") == 0
