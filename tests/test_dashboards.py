"""Every dashboard figure of CONTRACT.md §5 against a plain-Python recomputation over the
same requests, for hypothesis-drawn filters, ranges, granularities and time zones, around
the daylight-saving changes of New York and Berlin and in Kolkata's half-hour offset."""

import random
from collections import defaultdict
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import pytest_asyncio
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from models import ProjectRole
from resolvers.dashboards.buckets import Granularity
from resolvers.ingestion.record import RecordInput
from resolvers.ingestion.recording import record_requests
from tests.support.backends import Backend
from tests.support.dashboard_recomputation import (
    NANOS,
    Case,
    Dataset,
    Sent,
    buckets,
    close,
    matches,
    shares,
    totals,
)
from tests.support.factories import (
    grant,
    make_api_token,
    make_assistant,
    make_model,
    make_project,
    make_user,
)
from tests.support.graphql_client import GraphQLClient

# Two stretches with daylight-saving changes: Berlin and New York fall back on 2026-10-25 and
# 2026-11-01; they spring forward on 2026-03-29 and 2026-03-08.
STRETCHES = [
    (datetime(2026, 10, 23, tzinfo=UTC), datetime(2026, 11, 3, tzinfo=UTC)),
    (datetime(2026, 3, 6, tzinfo=UTC), datetime(2026, 3, 31, tzinfo=UTC)),
]
ZONES = ["UTC", "America/New_York", "Europe/Berlin", "Asia/Kolkata"]

USAGE = """
query($p: ID!, $r: TimeRange!, $f: UsageFilter) { project(id: $p) { usage(range: $r, filter: $f) {
  totalCost averageCostPerRequest averageRequestTimeMs totalRequests totalErrors errorRate
  previousPeriod { totalCost totalRequests totalErrors averageCostPerRequest averageRequestTimeMs
                   errorRate }
  timeline { start totalCost totalRequests totalErrors averageCostPerRequest
             averageRequestTimeMs errorRate }
  byAssistant { id totalCost totalRequests costShare requestShare }
  byModel { id totalCost totalRequests costShare requestShare }
} } }"""
TOKENS = """
query($p: ID!, $r: TimeRange!, $f: UsageFilter) {
 project(id: $p) { tokenUsage(range: $r, filter: $f) {
  totalTokens inputTokens outputTokens averageInputTokensPerRequest averageOutputTokensPerResponse
  timeline { start inputTokens outputTokens totalTokens }
  byAssistant { assistant { id } inputTokens outputTokens totalTokens
                byModel { model { id } inputTokens outputTokens totalTokens } }
} } }"""
ACTIVITY = """
query($p: ID!, $r: TimeRange!, $f: UsageFilter, $c: PivotDimension!, $m: PivotMeasure!) {
 project(id: $p) { userActivity(range: $r, filter: $f) {
  activeUsers averageCostPerUser averageRequestsPerUser
  topUsersByCost(limit: 3) { user { id } totalCost totalRequests totalTokens }
  topUsersByRequests(limit: 3) { user { id } totalCost totalRequests totalTokens }
  timeline { start activeUsers averageCostPerUser averageRequestsPerUser }
  pivot(columns: $c, measure: $m) { columns { key } rows { user { id } values total } }
} } }"""


@pytest_asyncio.fixture(scope="module", loop_scope="session")
async def dataset(backend: Backend) -> AsyncIterator[Dataset]:
    rng = random.Random(20261126)
    project = await make_project()
    admin, token = await make_user()
    await grant(admin, project, ProjectRole.PROJECT_ADMIN)
    models = [await make_model(2.5, 10.0), await make_model(0.15, 0.6)]
    assistants = [(await make_assistant(project)).id for _ in range(3)]
    api_tokens = [(await make_api_token(project))[0].id for _ in range(2)]
    users = []
    for _ in range(4):
        user, _ = await make_user()
        await grant(user, project, ProjectRole.ASSISTANT_USER)
        users.append(user.id)
    sent: list[Sent] = []
    records: list[RecordInput] = []
    for index in range(700):
        stretch_start, stretch_end = STRETCHES[index % 2]
        seconds = rng.uniform(0, (stretch_end - stretch_start).total_seconds())
        created_at = stretch_start + timedelta(seconds=seconds)
        model = rng.choice(models)
        input_tokens, output_tokens = rng.randint(0, 5000), rng.randint(0, 2000)
        given_cost = rng.random() < 0.5
        cost_micros = rng.randint(0, 50_000)
        cost = (
            cost_micros * 1000
            if given_cost
            else (
                input_tokens * model.input_price_per_million_nanos
                + output_tokens * model.output_price_per_million_nanos
                + 500_000
            )
            // 1_000_000
        )
        request = Sent(
            created_at=created_at,
            status=rng.choice(["SUCCESS"] * 9 + ["ERROR"]),
            duration_ms=rng.randint(10, 9000),
            cost_nanos=cost,
            input_tokens=input_tokens,
            output_tokens=output_tokens,
            assistant=rng.choice([*assistants, None]),
            model=model.id,
            api_token=rng.choice(api_tokens),
            user=rng.choice([*users, None]),
        )
        sent.append(request)
        records.append(request.as_record(f"d{index}", priced_by_model=not given_cost))
    for start in range(0, len(records), 250):
        await record_requests(project.id, None, records[start : start + 250])
    yield Dataset(project.id, token, sent, assistants, [m.id for m in models], api_tokens, users)


@st.composite
def cases(draw: st.DrawFn, data: Dataset) -> Case:
    stretch_start, stretch_end = draw(st.sampled_from(STRETCHES))
    span = int((stretch_end - stretch_start).total_seconds())
    a = draw(st.integers(0, span - 60))
    length = draw(st.integers(60, span - a))
    # Edges sometimes on a quarter hour, sometimes anywhere.
    if draw(st.booleans()):
        a -= a % 900
        length = max(900, length - length % 900)
    start = stretch_start + timedelta(seconds=a, microseconds=draw(st.integers(0, 999_999)))
    granularity = draw(st.sampled_from(list(Granularity)))
    if granularity is Granularity.HOUR:
        length = min(length, 4 * 86400)
    filters: dict[str, Any] = {}
    for name, values in (
        ("assistantIds", data.assistants),
        ("modelIds", data.models),
        ("apiTokenIds", data.api_tokens),
        ("userIds", data.users),
    ):
        if draw(st.integers(0, 3)) == 0:
            chosen = draw(st.lists(st.sampled_from(values), min_size=1, unique=True))
            filters[name] = [str(v) for v in chosen]
    if draw(st.integers(0, 3)) == 0:
        filters["status"] = draw(st.sampled_from(["SUCCESS", "ERROR"]))
    return Case(start, start + timedelta(seconds=length), draw(st.sampled_from(ZONES)),
                granularity, filters)  # fmt: skip


SETTINGS = settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)


@SETTINGS
@given(data=st.data())
async def test_usage_matches_a_recomputation(
    api: GraphQLClient, dataset: Dataset, data: st.DataObject
) -> None:
    case = data.draw(cases(dataset))
    reply = await api(USAGE, case.variables(dataset.project_id), dataset.token)
    usage = reply.ok()["project"]["usage"]

    chosen = [r for r in dataset.requests if matches(r, case, case.start, case.end)]
    before = case.start - (case.end - case.start)
    previous = [r for r in dataset.requests if matches(r, case, before, case.start)]
    starts, grouped = buckets(case, chosen)
    want = {
        **totals(chosen),
        "previousPeriod": totals(previous),
        "timeline": [
            {"start": s.isoformat(), **totals(g)} for s, g in zip(starts, grouped, strict=True)
        ],
        "byAssistant": shares(chosen, lambda r: r.assistant),
        "byModel": shares(chosen, lambda r: r.model),
    }
    assert close(usage, want), (case, usage, want)
    # A total is the sum of its breakdowns, exactly (in nano-USD).
    for breakdown in ("timeline", "byAssistant", "byModel"):
        assert sum(round(b["totalCost"] * NANOS) for b in usage[breakdown]) == round(
            usage["totalCost"] * NANOS
        )
        assert sum(b["totalRequests"] for b in usage[breakdown]) == usage["totalRequests"]


@SETTINGS
@given(data=st.data())
async def test_token_usage_matches_a_recomputation(
    api: GraphQLClient, dataset: Dataset, data: st.DataObject
) -> None:
    case = data.draw(cases(dataset))
    reply = await api(TOKENS, case.variables(dataset.project_id), dataset.token)
    tokens = reply.ok()["project"]["tokenUsage"]

    chosen = [r for r in dataset.requests if matches(r, case, case.start, case.end)]
    starts, grouped = buckets(case, chosen)

    def sums(requests: list[Sent]) -> dict[str, int]:
        given_ = sum(r.input_tokens for r in requests)
        received = sum(r.output_tokens for r in requests)
        return {"inputTokens": given_, "outputTokens": received, "totalTokens": given_ + received}

    per_assistant: dict[int, list[Sent]] = defaultdict(list)
    for request in chosen:
        per_assistant[request.assistant or 0].append(request)
    by_assistant: list[tuple[int, int, dict[str, Any]]] = []
    for assistant, members in per_assistant.items():
        per_model: dict[int, list[Sent]] = defaultdict(list)
        for request in members:
            per_model[request.model].append(request)
        models = sorted(per_model.items(), key=lambda kv: (-sums(kv[1])["totalTokens"], kv[0]))
        row = {
            "assistant": None if assistant == 0 else {"id": str(assistant)},
            **sums(members),
            "byModel": [{"model": {"id": str(m)}, **sums(rs)} for m, rs in models],
        }
        by_assistant.append((-sums(members)["totalTokens"], assistant, row))
    count = len(chosen)
    want = {
        **sums(chosen),
        "averageInputTokensPerRequest": sums(chosen)["inputTokens"] / count if count else None,
        "averageOutputTokensPerResponse": sums(chosen)["outputTokens"] / count if count else None,
        "timeline": [
            {"start": s.isoformat(), **sums(g)} for s, g in zip(starts, grouped, strict=True)
        ],
        "byAssistant": [row for *_, row in sorted(by_assistant, key=lambda a: (a[0], a[1]))],
    }
    assert close(tokens, want), (case, tokens, want)


@SETTINGS
@given(
    data=st.data(),
    columns=st.sampled_from(["ASSISTANT", "MODEL", "DAY"]),
    measure=st.sampled_from(["COST", "REQUESTS", "TOKENS"]),
)
async def test_user_activity_matches_a_recomputation(
    api: GraphQLClient, dataset: Dataset, data: st.DataObject, columns: str, measure: str
) -> None:
    case = data.draw(cases(dataset))
    variables = case.variables(dataset.project_id) | {"c": columns, "m": measure}
    activity = (await api(ACTIVITY, variables, dataset.token)).ok()["project"]["userActivity"]

    chosen = [r for r in dataset.requests if matches(r, case, case.start, case.end)]
    with_user = [r for r in chosen if r.user is not None]
    per_user: dict[int, list[Sent]] = defaultdict(list)
    for request in with_user:
        assert request.user is not None
        per_user[request.user].append(request)
    active = len(per_user)

    def usage_of(user: int) -> dict[str, Any]:
        rs = per_user[user]
        return {
            "user": {"id": str(user)},
            "totalCost": sum(r.cost_nanos for r in rs) / NANOS,
            "totalRequests": len(rs),
            "totalTokens": sum(r.input_tokens + r.output_tokens for r in rs),
        }

    by_cost = sorted(per_user, key=lambda u: (-sum(r.cost_nanos for r in per_user[u]), u))
    by_requests = sorted(per_user, key=lambda u: (-len(per_user[u]), u))
    starts, grouped = buckets(case, with_user)
    timeline = []
    for start, members in zip(starts, grouped, strict=True):
        users = {r.user for r in members}
        timeline.append({
            "start": start.isoformat(),
            "activeUsers": len(users),
            "averageCostPerUser": (
                sum(r.cost_nanos for r in members) / NANOS / len(users) if users else None
            ),
            "averageRequestsPerUser": len(members) / len(users) if users else None,
        })  # fmt: skip

    def value(request: Sent) -> int:
        if measure == "COST":
            return request.cost_nanos
        if measure == "REQUESTS":
            return 1
        return request.input_tokens + request.output_tokens

    def column_of(request: Sent) -> tuple[Any, str]:
        if columns == "ASSISTANT":
            return (
                request.assistant or 0,
                "none" if request.assistant is None else str(request.assistant),
            )
        if columns == "MODEL":
            return (request.model, str(request.model))
        day = request.created_at.astimezone(ZoneInfo(case.zone)).date().isoformat()
        return (day, day)

    cells: dict[int, dict[Any, int]] = defaultdict(lambda: defaultdict(int))
    keys: dict[Any, str] = {}
    for request in with_user:
        assert request.user is not None
        order, key = column_of(request)
        keys[order] = key
        cells[request.user][order] += value(request)
    ordered = sorted(keys)
    scale = NANOS if measure == "COST" else 1
    rows = sorted(
        ((user, [row.get(c, 0) for c in ordered]) for user, row in cells.items()),
        key=lambda item: (-sum(item[1]), item[0]),
    )
    want = {
        "activeUsers": active,
        "averageCostPerUser": sum(r.cost_nanos for r in with_user) / NANOS / active
        if active
        else None,
        "averageRequestsPerUser": len(with_user) / active if active else None,
        "topUsersByCost": [usage_of(u) for u in by_cost[:3]],
        "topUsersByRequests": [usage_of(u) for u in by_requests[:3]],
        "timeline": timeline,
        "pivot": {
            "columns": [{"key": keys[c]} for c in ordered],
            "rows": [
                {
                    "user": {"id": str(u)},
                    "values": [v / scale for v in vs],
                    "total": sum(vs) / scale,
                }
                for u, vs in rows
            ],
        },
    }
    assert close(activity, want), (case, activity, want)


@pytest.mark.parametrize(
    ("range_", "argument"),
    [
        ({"from": "2026-01-02T00:00:00Z", "to": "2026-01-01T00:00:00Z"}, "range.to"),
        ({"from": "2026-01-01T00:00:00Z", "to": "2026-01-01T00:00:00Z"}, "range.to"),
        (
            {
                "from": "2026-01-01T00:00:00Z",
                "to": "2026-02-01T00:00:00Z",
                "timezone": "Mars/Olympus",
            },
            "range.timezone",
        ),
        (
            {"from": "2020-01-01T00:00:00Z", "to": "2026-01-01T00:00:00Z", "granularity": "HOUR"},
            "range.granularity",
        ),
        ({"from": "2026-01-01T00:00:00", "to": "2026-01-02T00:00:00Z"}, "range.from"),
    ],
)
async def test_bad_ranges_name_the_argument(
    api: GraphQLClient, dataset: Dataset, range_: dict[str, str], argument: str
) -> None:
    reply = await api(USAGE, {"p": str(dataset.project_id), "r": range_}, dataset.token)
    assert reply.codes == ["BAD_USER_INPUT"]
    assert reply.errors[0]["extensions"]["argument"] == argument
