"""Project.budget: calendar months in the project's zone, exact spend from the rollups, the
thresholds reached, a run-rate forecast; each crossing audited exactly once per month."""

import asyncio
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest

from models import AiModel, AuditEvent, BudgetThresholdCrossing, Project, ProjectRole, Request
from resolvers.budgets.months import BudgetMonth, month_of, months_between
from resolvers.budgets.status import forecast, reached
from tests.support.backends import Backend
from tests.support.factories import (
    grant,
    make_api_token,
    make_model,
    make_project,
    make_user,
    unique,
)
from tests.support.graphql_client import GraphQLClient
from tests.support.replicas import replica

BUDGET = """
query($p: ID!, $month: String) {
  project(id: $p) {
    budget(month: $month) {
      month timezone periodStart periodEnd spent budget remaining percentUsed forecast
      thresholdsReached
    }
  }
}"""
RECORD = """
mutation($r: [RequestRecordInput!]!) { recordRequests(records: $r) { accepted duplicates } }"""


def record(model: AiModel, created_at: datetime, cost: float) -> dict[str, Any]:
    return {
        "externalId": unique("r"),
        "createdAt": created_at.isoformat(),
        "status": "SUCCESS",
        "durationMs": 10,
        "modelId": str(model.id),
        "inputTokens": 1,
        "outputTokens": 1,
        "cost": cost,
    }


async def member_of(project: Project) -> str:
    user, token = await make_user()
    await grant(user, project, ProjectRole.PROJECT_MEMBER)
    return token


async def budget_of(
    api: GraphQLClient, project: Project, token: str, month: str | None = None
) -> dict[str, Any]:
    data = (await api(BUDGET, {"p": str(project.id), "month": month}, token)).ok()
    status: dict[str, Any] = data["project"]["budget"]
    return status


def utc(text: str) -> datetime:
    return datetime.fromisoformat(text).astimezone(UTC)


# Each month's bounds worked out by hand from the zone's rules, and one request just
# outside and just inside each bound (costs are powers of two, so every sum says which
# requests it holds).
MONTHS = [
    pytest.param(
        # NZST (+12) on 1 September, NZDT (+13) from 27 September, still on 1 October.
        "Pacific/Auckland", "2026-09", "2026-08-31T12:00:00+00:00", "2026-09-30T11:00:00+00:00",
        id="auckland-dst-starts",
    ),
    pytest.param(
        # NZDT (+13) on 1 April, NZST (+12) from 5 April, still on 1 May.
        "Pacific/Auckland", "2026-04", "2026-03-31T11:00:00+00:00", "2026-04-30T12:00:00+00:00",
        id="auckland-dst-ends",
    ),
    pytest.param(
        # BRT (-3) on 1 November 2018, BRST (-2) from the midnight of 4 November.
        "America/Sao_Paulo", "2018-11", "2018-11-01T03:00:00+00:00",
        "2018-12-01T02:00:00+00:00", id="sao-paulo-dst-starts-at-midnight",
    ),
    pytest.param(
        # BRST (-2) on 1 February 2019, BRT (-3) from 17 February.
        "America/Sao_Paulo", "2019-02", "2019-02-01T02:00:00+00:00",
        "2019-03-01T03:00:00+00:00", id="sao-paulo-dst-ends",
    ),
    pytest.param(
        # No DST since 2019: -3 all year.
        "America/Sao_Paulo", "2026-10", "2026-10-01T03:00:00+00:00",
        "2026-11-01T03:00:00+00:00", id="sao-paulo-2026",
    ),
]  # fmt: skip


@pytest.mark.parametrize(("zone", "month", "start", "end"), MONTHS)
async def test_a_budget_month_is_the_calendar_month_in_the_projects_zone(
    api: GraphQLClient, zone: str, month: str, start: str, end: str
) -> None:
    # given requests around both ends of the month
    project = await make_project(timezone=zone, monthly_budget_nanos=10 * 10**9)
    token = await member_of(project)
    model = await make_model()
    _, secret = await make_api_token(project)
    first, last = utc(start), utc(end)
    second = timedelta(seconds=1)
    records = [
        record(model, first - second, 1),  # the month before
        record(model, first, 2),
        record(model, first + timedelta(days=3, hours=23), 4),
        record(model, last - second, 8),
        record(model, last, 16),  # the month after
    ]
    (await api(RECORD, {"r": records}, secret)).ok()

    # when
    status = await budget_of(api, project, token, month)

    # then
    assert status == {
        "month": month,
        "timezone": zone,
        "periodStart": start,
        "periodEnd": end,
        "spent": 14.0,
        "budget": 10.0,
        "remaining": 0.0,
        "percentUsed": 140.0,
        "forecast": 14.0,  # the month is over
        "thresholdsReached": [50.0, 80.0, 100.0],
    }


def test_months_are_computed_from_wall_time_not_fixed_offsets() -> None:
    # Independently: the UTC instants of each local midnight, from the offsets in force.
    cases = {
        ("Pacific/Auckland", 2026, 10): ("2026-09-30T11:00:00+00:00", "2026-10-31T11:00:00+00:00"),
        ("Pacific/Auckland", 2027, 1): ("2026-12-31T11:00:00+00:00", "2027-01-31T11:00:00+00:00"),
        ("America/Sao_Paulo", 2018, 10): ("2018-10-01T03:00:00+00:00", "2018-11-01T03:00:00+00:00"),
    }  # fmt: skip
    for (zone, year, month), (start, end) in cases.items():
        budget_month = BudgetMonth(year, month, zone)
        assert (budget_month.start.isoformat(), budget_month.end.isoformat()) == (start, end)
    # A UTC instant belongs to the month its local wall time is in.
    assert month_of(utc("2026-09-30T10:59:59+00:00"), "Pacific/Auckland").label == "2026-09"
    assert month_of(utc("2026-09-30T11:00:00+00:00"), "Pacific/Auckland").label == "2026-10"
    labels = [
        m.label
        for m in months_between(
            utc("2026-11-30T23:00:00+00:00"), utc("2027-02-01T00:00:00+00:00"), "UTC"
        )
    ]
    assert labels == ["2026-11", "2026-12", "2027-01", "2027-02"]


def test_the_forecast_carries_the_run_rate_to_the_months_end() -> None:
    # given September 2026 in Auckland: 29 days and 23 hours (DST starts on the 27th)
    month = BudgetMonth(2026, 9, "Pacific/Auckland")
    length = timedelta(days=29, hours=23)
    assert month.end - month.start == length

    # then: a tenth of the month gone, $10 spent, $100 at month end
    assert forecast(month, 10 * 10**9, month.start + length / 10) == 100 * 10**9
    # a third gone, 7 nano-USD spent: 21, exactly
    assert forecast(month, 7, month.start + length / 3) == 21
    assert forecast(month, 5, month.start + timedelta(minutes=59)) is None  # too early
    assert forecast(month, 5, month.end) == 5  # over: what was spent
    assert forecast(month, 0, month.start - timedelta(days=1)) == 0  # not begun


def test_thresholds_are_reached_exactly() -> None:
    budget = 100 * 10**9
    assert reached((50.0, 80.0, 100.0), 80 * 10**9 - 1, budget) == [50.0]
    assert reached((50.0, 80.0, 100.0), 80 * 10**9, budget) == [50.0, 80.0]
    assert reached((12.5,), 12_500_000_000, budget) == [12.5]


async def test_the_current_month_shows_spend_so_far_and_a_forecast(api: GraphQLClient) -> None:
    # given
    project = await make_project(monthly_budget_nanos=4 * 10**9, budget_alert_thresholds=[25])
    token = await member_of(project)
    model = await make_model()
    _, secret = await make_api_token(project)
    now = datetime.now(UTC)
    (await api(RECORD, {"r": [record(model, now - timedelta(seconds=5), 1.25)]}, secret)).ok()

    # when
    status = await budget_of(api, project, token)

    # then
    month = month_of(now, "UTC")
    assert status["month"] == month.label
    assert status["spent"] == 1.25
    assert status["remaining"] == 2.75
    assert status["percentUsed"] == 31.25
    assert status["thresholdsReached"] == [25.0]
    if now - month.start >= timedelta(hours=1):
        assert status["forecast"] >= 1.25
    else:
        assert status["forecast"] is None


async def test_without_a_budget_spend_is_still_shown(api: GraphQLClient) -> None:
    project = await make_project()
    token = await member_of(project)
    status = await budget_of(api, project, token, "2026-01")
    assert status["spent"] == 0.0
    assert (status["budget"], status["percentUsed"], status["remaining"]) == (None, None, None)
    assert status["thresholdsReached"] == []


@pytest.mark.parametrize("month", ["2026-13", "26-01", "2026-1", "1999-12", "soon"])
async def test_a_month_that_is_not_yyyy_mm_is_bad_user_input(
    api: GraphQLClient, month: str
) -> None:
    project = await make_project()
    token = await member_of(project)
    response = await api(BUDGET, {"p": str(project.id), "month": month}, token)
    assert response.codes == ["BAD_USER_INPUT"]
    assert response.errors[0]["extensions"]["argument"] == "month"


async def test_spend_equals_the_sum_of_the_months_request_costs(api: GraphQLClient) -> None:
    # given many small costs: no float drift
    project = await make_project(timezone="Pacific/Auckland")
    token = await member_of(project)
    model = await make_model()
    _, secret = await make_api_token(project)
    start = utc("2026-05-31T12:00:00+00:00")  # 1 June, Auckland
    records = [record(model, start + timedelta(minutes=7 * i), 0.000001) for i in range(1000)]
    (await api(RECORD, {"r": records}, secret)).ok()

    # when
    status = await budget_of(api, project, token, "2026-06")

    # then
    costs = await Request.filter(project_id=project.id).values_list("cost_nanos", flat=True)
    assert status["spent"] == sum(int(str(c)) for c in costs) / 10**9 == 0.001


async def test_each_threshold_is_audited_once_a_month_under_concurrent_batches(
    api: GraphQLClient,
) -> None:
    # given a $1 budget and batches that reach it together
    project = await make_project(monthly_budget_nanos=10**9, budget_alert_thresholds=[50, 100])
    model = await make_model()
    _, secret = await make_api_token(project)
    now = datetime.now(UTC) - timedelta(seconds=5)
    batches = [[record(model, now, 0.1) for _ in range(3)] for _ in range(8)]  # $2.40

    # when
    responses = await asyncio.gather(*(api(RECORD, {"r": b}, secret) for b in batches))

    # then
    for response in responses:
        response.ok()
    month = month_of(now, "UTC").label
    crossings = await BudgetThresholdCrossing.filter(project_id=project.id).values_list(
        "month", "threshold"
    )
    assert sorted(crossings) == [(month, 50.0), (month, 100.0)]
    events = await AuditEvent.filter(
        project_id=project.id, action="budget.threshold_reached"
    ).order_by("id")
    assert [(e.actor_id, e.details["month"], e.details["threshold"]) for e in events] == [  # type: ignore[index]
        (None, month, 50.0),
        (None, month, 100.0),
    ]
    assert all(e.details["spent"] >= e.details["threshold"] / 100 for e in events)  # type: ignore[index]


async def test_each_threshold_is_audited_once_when_two_servers_record_together(
    api: GraphQLClient, backend: Backend, workdir: Path
) -> None:
    # given a $1 budget, and batches sent to two server processes at once
    project = await make_project(monthly_budget_nanos=10**9, budget_alert_thresholds=[25, 75])
    model = await make_model()
    _, secret = await make_api_token(project)
    now = datetime.now(UTC) - timedelta(seconds=5)
    batches = [[record(model, now, 0.05) for _ in range(4)] for _ in range(10)]  # $2.00

    # when
    async with replica(backend, workdir) as url, httpx.AsyncClient(base_url=url) as http:
        other = GraphQLClient(http)
        responses = await asyncio.gather(
            *((api if i % 2 else other)(RECORD, {"r": b}, secret) for i, b in enumerate(batches))
        )

    # then
    for response in responses:
        response.ok()
    month = month_of(now, "UTC").label
    events = await AuditEvent.filter(project_id=project.id, action="budget.threshold_reached")
    reached_once = (
        sorted((e.details or {})["month"] for e in events),
        sorted((e.details or {})["threshold"] for e in events),
    )
    assert reached_once == ([month, month], [25.0, 75.0])


async def test_a_threshold_is_audited_in_each_month_that_reaches_it(api: GraphQLClient) -> None:
    # given
    project = await make_project(monthly_budget_nanos=10**9, budget_alert_thresholds=[80])
    model = await make_model()
    _, secret = await make_api_token(project)

    # when one batch reaches it in two past months, another adds to one of them
    (await api(RECORD, {"r": [record(model, utc("2026-01-15T00:00:00+00:00"), 0.9),
                              record(model, utc("2026-02-15T00:00:00+00:00"), 0.8)]},
               secret)).ok()  # fmt: skip
    (await api(RECORD, {"r": [record(model, utc("2026-01-16T00:00:00+00:00"), 0.9)]}, secret)).ok()

    # then
    crossings = await BudgetThresholdCrossing.filter(project_id=project.id).values_list(
        "month", "threshold", "spent_nanos"
    )
    assert sorted(crossings) == [("2026-01", 80.0, 900_000_000), ("2026-02", 80.0, 800_000_000)]


async def test_a_project_without_thresholds_records_no_crossing(api: GraphQLClient) -> None:
    project = await make_project(monthly_budget_nanos=10**9, budget_alert_thresholds=[])
    model = await make_model()
    _, secret = await make_api_token(project)
    now = datetime.now(UTC) - timedelta(seconds=5)
    (await api(RECORD, {"r": [record(model, now, 5)]}, secret)).ok()
    assert await BudgetThresholdCrossing.filter(project_id=project.id).count() == 0
