"""``userActivity`` over the per-user tiers (the user alone, per UTC hour and day): hourly
timelines over a week in UTC, New York across its spring-forward and Kolkata (half-hour cuts,
read in quarter hours), local days in New York across DST, in Auckland (+13, then +12), in
Chatham (+13:45) and at -12, edges mid-hour, filters that keep or leave those tiers; then
after a purge has subtracted requests and after a backfill has added older ones. Every
figure against a plain-Python recomputation over the requests recorded."""

import random
from collections import defaultdict
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import pytest_asyncio

from models import ProjectRole, ProjectSettings
from resolvers.dashboards.buckets import Granularity
from resolvers.ingestion.record import RecordInput
from resolvers.ingestion.recording import record_requests
from resolvers.retention import purge_expired
from tests.support.backends import Backend
from tests.support.dashboard_recomputation import NANOS, Case, Dataset, Sent, buckets, close
from tests.support.factories import grant, make_api_token, make_assistant, make_model, make_project
from tests.support.factories import make_user as make_person
from tests.support.graphql_client import GraphQLClient
from tests.support.rollup_tables import assert_every_tier_equals_the_requests

FIRST, LAST = datetime(2026, 3, 1, tzinfo=UTC), datetime(2026, 4, 10, tzinfo=UTC)
TOP = 3
QUERY = """
query($p: ID!, $r: TimeRange!, $f: UsageFilter) { project(id: $p) {
  userActivity(range: $r, filter: $f) {
    activeUsers averageCostPerUser averageRequestsPerUser
    topUsersByCost(limit: 3) { user { id } totalCost totalRequests totalTokens }
    topUsersByRequests(limit: 3) { user { id } totalCost totalRequests totalTokens }
    timeline { start activeUsers averageCostPerUser averageRequestsPerUser }
    byAssistant: pivot(columns: ASSISTANT, measure: COST) {
      columns { key } rows { user { id } values total } }
    byModel: pivot(columns: MODEL, measure: REQUESTS) {
      columns { key } rows { user { id } values total } }
    byDay: pivot(columns: DAY, measure: TOKENS) {
      columns { key } rows { user { id } values total } } } } }"""


def at(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=UTC)


CASES = [
    # Hourly timelines over a week: whole UTC hours; New York's spring-forward (8 March);
    # Kolkata's hours are cut at half past, read in quarter hours; edges mid-hour.
    ("UTC", Granularity.HOUR, at(2026, 3, 5), at(2026, 3, 12)),
    ("UTC", Granularity.HOUR, at(2026, 3, 5, 3, 7), at(2026, 3, 12, 3, 52)),
    ("America/New_York", Granularity.HOUR, at(2026, 3, 5, 5), at(2026, 3, 12, 4)),
    ("Asia/Kolkata", Granularity.HOUR, at(2026, 3, 5, 18, 30), at(2026, 3, 12, 18, 30)),
    # Days: UTC with mid-day edges; New York across DST (cuts at 05:00, then 04:00 UTC);
    # Auckland's days cut near noon UTC (11:00, then 12:00 after 5 April); Chatham's at
    # quarter past; a day of -12 h from noon to noon UTC.
    ("UTC", Granularity.DAY, at(2026, 3, 2, 9, 7), at(2026, 3, 30, 17, 52)),
    ("America/New_York", Granularity.DAY, at(2026, 3, 1, 5), at(2026, 3, 20, 4)),
    ("America/New_York", Granularity.DAY, at(2026, 3, 2, 9, 7), at(2026, 3, 16, 17, 52)),
    ("Pacific/Auckland", Granularity.DAY, at(2026, 3, 25, 11), at(2026, 4, 9, 12)),
    ("Pacific/Chatham", Granularity.DAY, at(2026, 3, 25, 6, 20), at(2026, 4, 9, 10, 40)),
    ("Etc/GMT+12", Granularity.DAY, at(2026, 3, 3, 12), at(2026, 3, 24, 12)),
    ("America/New_York", Granularity.WEEK, at(2026, 3, 2, 9, 7), at(2026, 3, 30, 17, 52)),
]


@pytest_asyncio.fixture(scope="module", loop_scope="session")
async def requests_of_many_users(backend: Backend) -> AsyncIterator[Dataset]:
    """Requests every ~25 minutes for 40 days from six users (and none), and at the instants
    where the zones' days begin (and just before them)."""
    data, records = await _project_with_people(random.Random(20260301))
    rng = random.Random(7)
    instants = [FIRST + timedelta(minutes=25 * i + rng.uniform(0, 24)) for i in range(2300)]
    for day in range(40):
        midnight = FIRST + timedelta(days=day)
        for hours in (0, 4, 5, 10.25, 11, 11.25, 12, 18.5):
            edge = midnight + timedelta(hours=hours)
            instants += [edge, edge - timedelta(microseconds=1)]
    records += _records(data, rng, sorted(instants), "m")
    for start in range(0, len(records), 500):
        await record_requests(data.project_id, None, records[start : start + 500])
    yield data


async def _project_with_people(rng: random.Random) -> tuple[Dataset, list[RecordInput]]:
    project = await make_project()
    admin, token = await make_person()
    await grant(admin, project, ProjectRole.PROJECT_ADMIN)
    models = [(await make_model(2.5, 10.0)).id, (await make_model(0.15, 0.6)).id]
    assistants = [(await make_assistant(project)).id for _ in range(3)]
    tokens = [(await make_api_token(project))[0].id for _ in range(2)]
    users = []
    for _ in range(6):
        user, _ = await make_person()
        await grant(user, project, ProjectRole.ASSISTANT_USER)
        users.append(user.id)
    rng.shuffle(users)
    return Dataset(project.id, token, [], assistants, models, tokens, users), []


def _records(
    data: Dataset, rng: random.Random, instants: list[datetime], prefix: str
) -> list[RecordInput]:
    """Records at ``instants``, each also kept in ``data.requests`` as sent."""
    records = []
    for index, created_at in enumerate(instants):
        request = Sent(
            created_at=created_at,
            status=rng.choice(["SUCCESS"] * 5 + ["ERROR"]),
            duration_ms=rng.randint(10, 900),
            cost_nanos=rng.randint(0, 50_000) * 1000,
            input_tokens=rng.randint(0, 900),
            output_tokens=rng.randint(0, 300),
            assistant=rng.choice([*data.assistants, None]),
            model=rng.choice(data.models),
            api_token=rng.choice(data.api_tokens),
            # A skewed share of users, as in practice; a tenth acting for nobody.
            user=rng.choice([*data.users, *data.users[:2] * 2, None]),
        )
        data.requests.append(request)
        records.append(request.as_record(f"{prefix}{index}"))
    return records


def filters_of(data: Dataset, kind: str) -> dict[str, Any]:
    if kind == "users":  # still the user alone: the per-user hourly and daily tiers
        return {"userIds": [str(u) for u in data.users[1:4]]}
    if kind == "assistants":  # the per-user rollups of every dimension
        return {"assistantIds": [str(a) for a in data.assistants[:2]]}
    if kind == "token and status":
        return {"apiTokenIds": [str(data.api_tokens[0])], "status": "SUCCESS"}
    return {}


def chosen_by(case: Case, data: Dataset) -> list[Sent]:
    f = case.filters
    return [
        r
        for r in data.requests
        if case.start <= r.created_at < case.end
        and r.user is not None
        and ("userIds" not in f or str(r.user) in f["userIds"])
        and ("assistantIds" not in f or str(r.assistant) in f["assistantIds"])
        and ("apiTokenIds" not in f or str(r.api_token) in f["apiTokenIds"])
        and ("status" not in f or r.status == f["status"])
    ]


def expected_activity(case: Case, with_user: list[Sent]) -> dict[str, Any]:
    """Every figure of QUERY from the requests with a user that the case selects."""
    per_user: dict[int, list[Sent]] = defaultdict(list)
    for request in with_user:
        assert request.user is not None
        per_user[request.user].append(request)

    def usage(user: int) -> dict[str, Any]:
        mine = per_user[user]
        return {
            "user": {"id": str(user)},
            "totalCost": sum(r.cost_nanos for r in mine) / NANOS,
            "totalRequests": len(mine),
            "totalTokens": sum(r.input_tokens + r.output_tokens for r in mine),
        }

    def ranked(measure: Any) -> list[dict[str, Any]]:
        order = sorted(per_user, key=lambda u: (-sum(map(measure, per_user[u])), u))
        return [usage(u) for u in order[:TOP]]

    starts, grouped = buckets(case, with_user)
    timeline = []
    for start, members in zip(starts, grouped, strict=True):
        active = len({r.user for r in members})
        cost = sum(r.cost_nanos for r in members) / NANOS
        timeline.append({
            "start": start.isoformat(),
            "activeUsers": active,
            "averageCostPerUser": cost / active if active else None,
            "averageRequestsPerUser": len(members) / active if active else None,
        })  # fmt: skip
    zone = ZoneInfo(case.zone)
    users = len(per_user)
    return {
        "activeUsers": users,
        "averageCostPerUser": (
            sum(r.cost_nanos for r in with_user) / NANOS / users if users else None
        ),
        "averageRequestsPerUser": len(with_user) / users if users else None,
        "topUsersByCost": ranked(lambda r: r.cost_nanos),
        "topUsersByRequests": ranked(lambda r: 1),
        "timeline": timeline,
        "byAssistant": pivot(per_user, lambda r: r.assistant or 0, lambda r: r.cost_nanos / NANOS),
        "byModel": pivot(per_user, lambda r: r.model, lambda r: 1.0),
        "byDay": pivot(per_user, lambda r: r.created_at.astimezone(zone).date().isoformat(),
                       lambda r: float(r.input_tokens + r.output_tokens)),
    }  # fmt: skip


def pivot(per_user: dict[int, list[Sent]], column_of: Any, measure: Any) -> dict[str, Any]:
    cells: dict[int, dict[Any, float]] = defaultdict(lambda: defaultdict(float))
    for user, mine in per_user.items():
        for request in mine:
            cells[user][column_of(request)] += measure(request)
    columns = sorted({column for row in cells.values() for column in row})
    rows = sorted(
        ((user, [row.get(c, 0.0) for c in columns]) for user, row in cells.items()),
        key=lambda item: (-sum(item[1]), item[0]),
    )
    return {
        "columns": [{"key": "none" if c == 0 else str(c)} for c in columns],
        "rows": [{"user": {"id": str(u)}, "values": vs, "total": sum(vs)} for u, vs in rows],
    }


async def assert_figures_match(api: GraphQLClient, data: Dataset, case: Case) -> None:
    got = (await api(QUERY, case.variables(data.project_id), data.token)).ok()
    want = expected_activity(case, chosen_by(case, data))
    assert close(got["project"]["userActivity"], want), (case, got, want)


@pytest.mark.parametrize("kind", ["none", "users", "assistants", "token and status"])
@pytest.mark.parametrize(("zone", "granularity", "start", "end"), CASES)
async def test_user_activity_over_the_per_user_tiers_matches_a_recomputation(
    api: GraphQLClient,
    requests_of_many_users: Dataset,
    zone: str,
    granularity: Granularity,
    start: datetime,
    end: datetime,
    kind: str,
) -> None:
    data = requests_of_many_users
    case = Case(start, end, zone, granularity, filters_of(data, kind))
    assert chosen_by(case, data)
    await assert_figures_match(api, data, case)


PURGE_CASES = [
    Case(at(2026, 3, 1), at(2026, 3, 12), "UTC", Granularity.HOUR, {}),
    Case(at(2026, 3, 1), at(2026, 3, 20), "America/New_York", Granularity.DAY, {}),
    Case(at(2026, 3, 1), at(2026, 3, 20), "Pacific/Auckland", Granularity.DAY, {}),
    Case(at(2026, 3, 1), at(2026, 3, 20), "Asia/Kolkata", Granularity.DAY, {}),
]


async def test_purged_and_backfilled_requests_leave_every_user_figure_exact(
    backend: Backend, api: GraphQLClient
) -> None:
    # given a project of requests every ~40 minutes for three weeks
    data, records = await _project_with_people(random.Random(11))
    rng = random.Random(12)
    instants = [at(2026, 3, 1) + timedelta(minutes=40 * i + rng.uniform(0, 39)) for i in range(750)]
    records = _records(data, rng, instants, "p")
    for start in range(0, len(records), 500):
        await record_requests(data.project_id, None, records[start : start + 500])

    # when the requests before 9 March 14:37 (mid-hour, mid-day) are purged, 50 per batch
    cutoff = at(2026, 3, 9, 14, 37)
    await ProjectSettings.filter(project_id=data.project_id).update(retention_days=30)
    await purge_expired(now=cutoff + timedelta(days=30), batch_size=50)
    data.requests = [r for r in data.requests if r.created_at >= cutoff]

    # then every tier and every figure is that of what remains
    await assert_every_tier_equals_the_requests(data.project_id)
    for case in PURGE_CASES:
        await assert_figures_match(api, data, case)

    # and when older requests are backfilled, out of order, into the purged hours and days
    await ProjectSettings.filter(project_id=data.project_id).update(retention_days=None)
    older = [cutoff - timedelta(minutes=13 * i + rng.uniform(0, 12)) for i in range(400)]
    late = _records(data, rng, older, "b")
    for start in range(0, len(late), 150):
        await record_requests(data.project_id, None, late[start : start + 150])

    # then every tier and every figure counts them too
    await assert_every_tier_equals_the_requests(data.project_id)
    for case in PURGE_CASES:
        await assert_figures_match(api, data, case)
