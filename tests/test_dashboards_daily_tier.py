"""Dashboards and the request log's total over ranges the daily rollups serve in part: whole
UTC days inside a bucket, days a bucket's edge cuts (Kolkata, New York, Berlin), ranges
that start and end mid-day, and short ranges across midnights and hours. Every figure against
a plain-Python recomputation over the same requests (``tests.support.dashboard_recomputation``)."""

import random
from collections import defaultdict
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import pytest_asyncio

from models import ProjectRole
from resolvers.dashboards.buckets import Granularity
from resolvers.ingestion.recording import record_requests
from tests.support.backends import Backend
from tests.support.dashboard_recomputation import (
    Case,
    Dataset,
    Sent,
    buckets,
    close,
    matches,
    shares,
    totals,
)
from tests.support.factories import grant, make_api_token, make_assistant, make_model, make_project
from tests.support.factories import make_user as make_person
from tests.support.graphql_client import GraphQLClient

FIRST, LAST = datetime(2026, 10, 20, tzinfo=UTC), datetime(2026, 11, 10, tzinfo=UTC)
QUERY = """
query($p: ID!, $r: TimeRange!, $f: UsageFilter, $log: RequestFilter) { project(id: $p) {
  usage(range: $r, filter: $f) {
    totalCost totalRequests timeline { start totalCost totalRequests }
    byAssistant { id totalCost totalRequests costShare requestShare }
    byModel { id totalCost totalRequests costShare requestShare } }
  userActivity(range: $r, filter: $f) {
    activeUsers timeline { start activeUsers averageRequestsPerUser }
    pivot(columns: ASSISTANT, measure: REQUESTS) { columns { key } rows { user { id } values } } }
  requests(filter: $log) { totalCount } } }"""


def at(
    year: int, month: int, day: int, hour: int = 0, minute: int = 0, second: int = 0
) -> datetime:
    return datetime(year, month, day, hour, minute, second, tzinfo=UTC)


CASES = [
    # UTC days, a range starting and ending mid-day: whole days from the daily rollups.
    ("UTC", Granularity.DAY, at(2026, 10, 21, 9, 7, 13), at(2026, 11, 8, 17, 52, 1)),
    ("UTC", Granularity.DAY, at(2026, 10, 22), at(2026, 11, 5)),
    ("UTC", Granularity.WEEK, at(2026, 10, 20, 23, 59, 59), at(2026, 11, 9, 0, 0, 1)),
    ("UTC", Granularity.MONTH, at(2026, 10, 20, 12), at(2026, 11, 9, 12)),
    # Local days that straddle UTC days: none read whole, or all but those holding an edge.
    ("Asia/Kolkata", Granularity.DAY, at(2026, 10, 21, 9, 7, 13), at(2026, 11, 8, 17, 52, 1)),
    ("Asia/Kolkata", Granularity.WEEK, at(2026, 10, 21, 9, 7, 13), at(2026, 11, 8, 17, 52, 1)),
    ("Asia/Kolkata", Granularity.MONTH, at(2026, 10, 20, 18, 30), at(2026, 11, 9, 18, 30)),
    ("America/New_York", Granularity.DAY, at(2026, 10, 25, 3), at(2026, 11, 4, 5)),
    ("America/New_York", Granularity.WEEK, at(2026, 10, 20, 1), at(2026, 11, 9, 23)),
    ("Europe/Berlin", Granularity.WEEK, at(2026, 10, 20, 7, 30), at(2026, 11, 9, 7, 30)),
    # Hours: never from days; short ranges across a midnight and across an hour.
    ("UTC", Granularity.HOUR, at(2026, 10, 30, 22, 50), at(2026, 11, 1, 1, 5)),
    ("UTC", Granularity.HOUR, at(2026, 10, 30, 23, 50), at(2026, 10, 31, 0, 5)),
    ("Asia/Kolkata", Granularity.HOUR, at(2026, 10, 30, 18, 20), at(2026, 10, 30, 18, 40)),
]


@pytest_asyncio.fixture(scope="module", loop_scope="session")
async def requests_around_midnights(backend: Backend) -> AsyncIterator[Dataset]:
    """Requests every ~40 minutes over three weeks, and at the instants where UTC and local
    days, weeks and months begin (and just before them)."""
    rng = random.Random(20261020)
    project = await make_project()
    admin, token = await make_person()
    await grant(admin, project, ProjectRole.PROJECT_ADMIN)
    models = [await make_model(2.5, 10.0), await make_model(0.15, 0.6)]
    assistants = [(await make_assistant(project)).id for _ in range(2)]
    api_token = (await make_api_token(project))[0].id
    users = []
    for _ in range(3):
        user, _ = await make_person()
        await grant(user, project, ProjectRole.ASSISTANT_USER)
        users.append(user.id)
    instants = [FIRST + timedelta(minutes=40 * i + rng.uniform(0, 39)) for i in range(756)]
    for day in range(21):
        midnight = FIRST + timedelta(days=day)
        for edge in (midnight, midnight + timedelta(hours=18, minutes=30)):  # UTC, Kolkata
            instants += [edge, edge - timedelta(microseconds=1)]
    instants += [at(2026, 10, 31, 23, 59, 59), at(2026, 11, 1, 4), at(2026, 11, 1, 5, 30)]
    instants += [at(2026, 10, 31, 0, 2), at(2026, 10, 30, 23, 55), at(2026, 10, 30, 18, 35)]
    sent = []
    records = []
    for index, created_at in enumerate(sorted(instants)):
        model = rng.choice(models)
        request = Sent(
            created_at=created_at,
            status=rng.choice(["SUCCESS"] * 5 + ["ERROR"]),
            duration_ms=rng.randint(10, 900),
            cost_nanos=rng.randint(0, 50_000) * 1000,
            input_tokens=rng.randint(0, 900),
            output_tokens=rng.randint(0, 300),
            assistant=rng.choice([*assistants, None]),
            model=model.id,
            api_token=api_token,
            user=rng.choice([*users, None]),
        )
        sent.append(request)
        records.append(request.as_record(f"m{index}"))
    for start in range(0, len(records), 500):
        await record_requests(project.id, None, records[start : start + 500])
    models_ = [m.id for m in models]
    yield Dataset(project.id, token, sent, assistants, models_, [api_token], users)


def filters_of(data: Dataset, kind: str) -> dict[str, Any]:
    if kind == "users":  # reads the rollups that keep the user
        return {"userIds": [str(u) for u in data.users[:2]]}
    if kind == "assistant and status":
        return {"assistantIds": [str(data.assistants[0])], "status": "SUCCESS"}
    return {}


def expected_activity(case: Case, chosen: list[Sent]) -> dict[str, Any]:
    with_user = [r for r in chosen if r.user is not None]
    starts, grouped = buckets(case, with_user)
    timeline = []
    for start, members in zip(starts, grouped, strict=True):
        active = {r.user for r in members}
        timeline.append({
            "start": start.isoformat(),
            "activeUsers": len(active),
            "averageRequestsPerUser": len(members) / len(active) if active else None,
        })  # fmt: skip
    cells: dict[int, dict[int, int]] = defaultdict(lambda: defaultdict(int))
    for request in with_user:
        assert request.user is not None
        cells[request.user][request.assistant or 0] += 1
    columns = sorted({column for row in cells.values() for column in row})
    rows = sorted(
        ((user, [row.get(c, 0) for c in columns]) for user, row in cells.items()),
        key=lambda item: (-sum(item[1]), item[0]),
    )
    return {
        "activeUsers": len(cells),
        "timeline": timeline,
        "pivot": {
            "columns": [{"key": "none" if c == 0 else str(c)} for c in columns],
            "rows": [{"user": {"id": str(u)}, "values": [float(v) for v in vs]} for u, vs in rows],
        },
    }


@pytest.mark.parametrize("kind", ["none", "users", "assistant and status"])
@pytest.mark.parametrize(("zone", "granularity", "start", "end"), CASES)
async def test_figures_over_whole_and_cut_days_match_a_recomputation(
    api: GraphQLClient,
    requests_around_midnights: Dataset,
    zone: str,
    granularity: Granularity,
    start: datetime,
    end: datetime,
    kind: str,
) -> None:
    data = requests_around_midnights
    case = Case(start, end, zone, granularity, filters_of(data, kind))
    log_filter = {**case.filters, "from": start.isoformat(), "to": end.isoformat()}
    variables = case.variables(data.project_id) | {"log": log_filter}

    project = (await api(QUERY, variables, data.token)).ok()["project"]

    chosen = [r for r in data.requests if matches(r, case, start, end)]
    starts, grouped = buckets(case, chosen)
    usage = {
        "totalCost": totals(chosen)["totalCost"],
        "totalRequests": len(chosen),
        "timeline": [
            {"start": s.isoformat(), "totalCost": totals(g)["totalCost"], "totalRequests": len(g)}
            for s, g in zip(starts, grouped, strict=True)
        ],
        "byAssistant": shares(chosen, lambda r: r.assistant),
        "byModel": shares(chosen, lambda r: r.model),
    }
    assert close(project["usage"], usage), (case, project["usage"], usage)
    assert close(project["userActivity"], expected_activity(case, chosen))
    assert project["requests"]["totalCount"] == len(chosen)
    assert len(chosen) > 0 or granularity is Granularity.HOUR


@pytest.mark.parametrize("unknown_ids", [300, 2_000])
@pytest.mark.parametrize(("zone", "granularity"), [("America/New_York", Granularity.DAY),
                                                   ("UTC", Granularity.DAY)])  # fmt: skip
async def test_long_id_lists_read_fewer_spans_and_stay_exact(
    api: GraphQLClient,
    requests_around_midnights: Dataset,
    zone: str,
    granularity: Granularity,
    unknown_ids: int,
) -> None:
    # given a filter naming the project's users among hundreds of ids of nobody (each span
    # of a statement binds them all again)
    data = requests_around_midnights
    ids = [*data.users[:2], *range(900_000_000, 900_000_000 + unknown_ids)]
    start, end = at(2026, 10, 21, 9, 7, 13), at(2026, 11, 8, 17, 52, 1)
    case = Case(start, end, zone, granularity, {"userIds": [str(i) for i in ids]})
    log_filter = {**case.filters, "from": start.isoformat(), "to": end.isoformat()}
    variables = case.variables(data.project_id) | {"log": log_filter}

    # when
    project = (await api(QUERY, variables, data.token)).ok()["project"]

    # then
    chosen = [r for r in data.requests if matches(r, case, start, end)]
    starts, grouped = buckets(case, chosen)
    assert project["usage"]["totalRequests"] == len(chosen) > 0
    assert [b["totalRequests"] for b in project["usage"]["timeline"]] == [len(g) for g in grouped]
    assert [b["start"] for b in project["usage"]["timeline"]] == [s.isoformat() for s in starts]
    assert close(project["userActivity"], expected_activity(case, chosen))
    assert project["requests"]["totalCount"] == len(chosen)
