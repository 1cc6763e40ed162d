"""CSV exports: the same rows and figures as GraphQL, the same refusals, cells a spreadsheet
cannot run, on both backends."""

import csv
import io
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
import pytest_asyncio

from comptroller.exports.cells import neutralised, usd_nanos_cell
from models import AiModel, Assistant, Project, ProjectRole, RequestStatus
from resolvers.dashboards.aggregates import UsageFilter
from resolvers.request_export import export_columns, export_rows
from resolvers.request_log import RequestFilter
from tests.support.backends import Backend
from tests.support.factories import (
    grant,
    make_api_token,
    make_assistant,
    make_model,
    make_project,
    make_request,
    make_user,
    make_world,
)
from tests.support.graphql_client import GraphQLClient

START = datetime(2026, 3, 1, tzinfo=UTC)
REQUESTS = """
query($p: ID!, $filter: RequestFilter, $after: String) { project(id: $p) {
  requests(filter: $filter, first: 100, after: $after) {
    pageInfo { hasNextPage endCursor }
    edges { node { id externalId createdAt status durationMs inputTokens outputTokens cost
      input output errorMessage assistant { id name } model { id name } apiToken { id }
      user { id email } } } } } }"""
USAGE = """
query($p: ID!, $range: TimeRange!, $filter: UsageFilter) { project(id: $p) {
  usage(range: $range, filter: $filter) {
    timeline { start totalCost totalRequests totalErrors averageCostPerRequest
      averageRequestTimeMs errorRate }
    byModel { id name totalCost totalRequests costShare requestShare } } } }"""
INJECTIONS = ['=HYPERLINK("http://x")', "+1+1", "-2+3", "@SUM(A1)", "\tx", "\rx"]


@dataclass
class Log:
    project: Project
    models: list[AiModel]
    assistant: Assistant
    member: str
    assistant_user: str
    outsider: str


@pytest_asyncio.fixture
async def log(backend: Backend) -> Log:
    project = await make_project()
    models = [await make_model(1.25, 5.0), await make_model(3.0, 15.0)]
    assistant = await make_assistant(project, model=models[0])
    token, _ = await make_api_token(project)
    member, member_token = await make_user()
    await grant(member, project, ProjectRole.PROJECT_MEMBER)
    assistant_user, assistant_user_token = await make_user()
    await grant(assistant_user, project, ProjectRole.ASSISTANT_USER)
    _, outsider = await make_user()
    for index in range(60):
        await make_request(
            project,
            models[index % 2],
            # Pairs share an instant: the keyset must break the tie by id.
            created_at=START + timedelta(hours=index // 2, minutes=7),
            status=RequestStatus.ERROR if index % 5 == 0 else RequestStatus.SUCCESS,
            assistant_id=str(assistant.id) if index % 3 else None,
            api_token_id=str(token.id),
            user_id=str(member.id),
            input_tokens=1000 + index,
            output_tokens=10 * index,
            cost=0.000001 * (index + 1) + 0.1234567,
            input=f'question {index}, with "quotes"\nand a new line',
            output=f"answer {index}",
        )
    return Log(project, models, assistant, member_token, assistant_user_token, outsider)


@pytest_asyncio.fixture
async def http(backend: Backend) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(base_url=backend.server_url, timeout=60) as client:
        yield client


def read_csv(text: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(text, newline="")))


async def all_requests(api: GraphQLClient, log: Log, filter: dict[str, Any]) -> list[Any]:
    nodes: list[Any] = []
    after = None
    while True:
        page = (
            await api(
                REQUESTS, {"p": str(log.project.id), "filter": filter, "after": after}, log.member
            )
        ).ok()["project"]["requests"]
        nodes += [edge["node"] for edge in page["edges"]]
        if not page["pageInfo"]["hasNextPage"]:
            return nodes
        after = page["pageInfo"]["endCursor"]


async def test_a_filtered_request_export_has_graphqls_rows(
    http: httpx.AsyncClient, api: GraphQLClient, log: Log
) -> None:
    # given a filter on every RequestFilter field
    start, end = START + timedelta(hours=3), START + timedelta(hours=25)
    query = {
        "project": str(log.project.id),
        "from": start.isoformat(),
        "to": end.isoformat(),
        "modelId": str(log.models[0].id),
        "assistantId": str(log.assistant.id),
        "status": "SUCCESS",
        "content": "true",
    }
    graphql_filter = {
        "from": start.isoformat(),
        "to": end.isoformat(),
        "modelIds": [str(log.models[0].id)],
        "assistantIds": [str(log.assistant.id)],
        "status": "SUCCESS",
    }
    # when it is exported
    reply = await http.get(
        "/exports/requests.csv", params=query, headers={"Authorization": f"Bearer {log.member}"}
    )
    # then it holds GraphQL's rows, in GraphQL's order
    assert reply.status_code == 200, reply.text
    assert reply.headers["content-type"] == "text/csv; charset=utf-8"
    rows = read_csv(reply.text)
    nodes = await all_requests(api, log, graphql_filter)
    assert len(nodes) > 3
    assert [row["id"] for row in rows] == [node["id"] for node in nodes]
    for row, node in zip(rows, nodes, strict=True):
        assert abs(float(row["cost"]) - node["cost"]) <= 1e-9
        assert datetime.fromisoformat(row["createdAt"]) == datetime.fromisoformat(node["createdAt"])
        assert row["createdAt"].endswith("+00:00")
        assert row["input"] == node["input"]
        assert row["output"] == node["output"]
        assert (row["status"], row["modelName"], row["assistantName"]) == (
            node["status"],
            node["model"]["name"],
            node["assistant"]["name"],
        )
        assert (int(row["inputTokens"]), int(row["outputTokens"])) == (
            node["inputTokens"],
            node["outputTokens"],
        )
        assert row["userEmail"] == node["user"]["email"]


async def test_content_columns_come_only_when_asked_for(http: httpx.AsyncClient, log: Log) -> None:
    reply = await http.get(
        "/exports/requests.csv",
        params={"project": str(log.project.id)},
        headers={"Authorization": f"Bearer {log.member}"},
    )
    header = reply.text.splitlines()[0].split(",")
    assert "input" not in header
    assert "output" not in header
    assert len(read_csv(reply.text)) == 60


async def test_the_usage_timeline_and_breakdown_exports_have_graphqls_figures(
    http: httpx.AsyncClient, api: GraphQLClient, log: Log
) -> None:
    time_range = {
        "from": START.isoformat(),
        "to": (START + timedelta(days=2)).isoformat(),
        "timezone": "Asia/Kolkata",
        "granularity": "HOUR",
    }
    params = {"project": str(log.project.id), **time_range, "status": "SUCCESS"}
    headers = {"Authorization": f"Bearer {log.member}"}
    usage = (
        await api(
            USAGE,
            {"p": str(log.project.id), "range": time_range, "filter": {"status": "SUCCESS"}},
            log.member,
        )
    ).ok()["project"]["usage"]
    timeline = read_csv(
        (await http.get("/exports/usage-timeline.csv", params=params, headers=headers)).text
    )
    assert [row["start"] for row in timeline] == [
        datetime.fromisoformat(b["start"]).isoformat() for b in usage["timeline"]
    ]
    for row, bucket in zip(timeline, usage["timeline"], strict=True):
        for name, value in bucket.items():
            if name != "start":
                assert (float(row[name]) if row[name] else None) == value
    by_model = read_csv(
        (await http.get("/exports/usage-by-model.csv", params=params, headers=headers)).text
    )
    assert [(r["id"], r["name"], float(r["totalCost"])) for r in by_model] == [
        (s["id"], s["name"], s["totalCost"]) for s in usage["byModel"]
    ]


@pytest.mark.parametrize(
    ("caller", "status", "code"),
    [
        ("assistant_user", 403, "FORBIDDEN"),
        ("outsider", 404, "NOT_FOUND"),
        ("anonymous", 401, "UNAUTHENTICATED"),
    ],
)
@pytest.mark.parametrize("export", ["requests", "usage-timeline", "users-pivot"])
async def test_an_export_the_caller_may_not_read_is_refused_with_the_contracts_code(
    http: httpx.AsyncClient, log: Log, caller: str, status: int, code: str, export: str
) -> None:
    token = {"assistant_user": log.assistant_user, "outsider": log.outsider}.get(caller)
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    params = {
        "project": str(log.project.id),
        "from": START.isoformat(),
        "to": (START + timedelta(days=1)).isoformat(),
    }
    reply = await http.get(f"/exports/{export}.csv", params=params, headers=headers)
    assert reply.status_code == status
    assert reply.headers["content-type"] == "application/json"
    assert [e["extensions"]["code"] for e in reply.json()["errors"]] == [code]


async def test_a_member_may_not_export_user_activity(http: httpx.AsyncClient, log: Log) -> None:
    params = {
        "project": str(log.project.id),
        "from": START.isoformat(),
        "to": (START + timedelta(days=1)).isoformat(),
    }
    reply = await http.get(
        "/exports/users-top-by-cost.csv",
        params=params,
        headers={"Authorization": f"Bearer {log.member}"},
    )
    assert reply.status_code == 403
    assert reply.json()["errors"][0]["extensions"]["code"] == "FORBIDDEN"


async def test_an_api_token_may_not_export(http: httpx.AsyncClient, backend: Backend) -> None:
    world = await make_world()
    reply = await http.get(
        "/exports/requests.csv",
        params={"project": str(world.project.id)},
        headers={"Authorization": f"Bearer {world.tokens['api_token']}"},
    )
    assert reply.status_code == 403
    assert reply.json()["errors"][0]["extensions"]["code"] == "FORBIDDEN"


@pytest.mark.parametrize(
    ("params", "argument"),
    [
        ({"from": "yesterday"}, "from"),
        ({"from": "2026-03-01T00:00:00"}, "from"),
        ({"status": "MAYBE"}, "status"),
        ({"modelId": "x"}, "modelId"),
        ({"content": "yes"}, "content"),
        ({"colour": "red"}, "colour"),
    ],
)
async def test_a_bad_parameter_is_named_in_a_bad_user_input_error(
    http: httpx.AsyncClient, log: Log, params: dict[str, str], argument: str
) -> None:
    reply = await http.get(
        "/exports/requests.csv",
        params={"project": str(log.project.id), **params},
        headers={"Authorization": f"Bearer {log.member}"},
    )
    assert reply.status_code == 400
    error = reply.json()["errors"][0]
    assert error["extensions"] == {"code": "BAD_USER_INPUT", "argument": argument}


async def test_injection_shaped_text_comes_out_neutralised(
    http: httpx.AsyncClient, backend: Backend
) -> None:
    # given an assistant, a model and a request whose texts a spreadsheet would run
    project = await make_project()
    model = await make_model()
    await model.__class__.filter(id=model.id).update(name=f"@model-{model.id}")
    member, token = await make_user()
    await grant(member, project, ProjectRole.PROJECT_MEMBER)
    assistant = await make_assistant(project, model=model)
    await Assistant.filter(id=assistant.id).update(name="=cmd|' /C calc'!A0")
    for index, text in enumerate(INJECTIONS):
        await make_request(
            project,
            model,
            assistant_id=str(assistant.id),
            created_at=START + timedelta(minutes=index),
            status=RequestStatus.ERROR,
            input=text,
            output=text,
            error_message=text,
        )
    headers = {"Authorization": f"Bearer {token}"}
    # when the log and a breakdown are exported
    rows = read_csv(
        (
            await http.get(
                "/exports/requests.csv",
                params={"project": str(project.id), "content": "true"},
                headers=headers,
            )
        ).text
    )
    shares = read_csv(
        (
            await http.get(
                "/exports/usage-by-assistant.csv",
                params={
                    "project": str(project.id),
                    "from": START.isoformat(),
                    "to": (START + timedelta(days=1)).isoformat(),
                },
                headers=headers,
            )
        ).text
    )
    # then every such cell starts with an apostrophe, and keeps its text after it
    expected = ["'" + text for text in reversed(INJECTIONS)]
    assert [row["input"] for row in rows] == expected
    assert [row["output"] for row in rows] == expected
    assert [row["errorMessage"] for row in rows] == expected
    assert {row["assistantName"] for row in rows} == {"'=cmd|' /C calc'!A0"}
    assert {row["modelName"] for row in rows} == {f"'@model-{model.id}"}
    assert [row["name"] for row in shares] == ["'=cmd|' /C calc'!A0"]


async def test_the_export_reads_in_keyset_batches_through_tied_instants(
    backend: Backend, log: Log
) -> None:
    # Batches of 7 rows cut through pairs of requests sharing one created_at.
    filters = RequestFilter(dimensions=UsageFilter(), start=None, end=None)
    columns = export_columns(with_content=False)
    rows = export_rows(log.project.id, filters, columns, batch_rows=7)
    batches = [batch async for batch in rows]
    assert [len(batch) for batch in batches] == [7] * 8 + [4]
    ids = [row[0] for batch in batches for row in batch]
    instants = [row[2] for batch in batches for row in batch]
    assert len(set(ids)) == 60
    assert sorted(zip(instants, ids, strict=True), reverse=True) == list(
        zip(instants, ids, strict=True)
    )


@pytest.mark.parametrize(
    ("text", "cell"),
    [
        ("=1+1", "'=1+1"),
        ("+1", "'+1"),
        ("-1", "'-1"),
        ("@A1", "'@A1"),
        ("\tA", "'\tA"),
        ("\rA", "'\rA"),
        ("plain, text", "plain, text"),
        ("a=b", "a=b"),
    ],
)
def test_cells_that_start_like_a_formula_get_an_apostrophe(text: str, cell: str) -> None:
    assert neutralised(text) == cell


@pytest.mark.parametrize(
    ("nanos", "cell"),
    [(0, "0.000000000"), (1, "0.000000001"), (1_234_567_890_123, "1234.567890123")],
)
def test_costs_are_exact_decimal_dollars(nanos: int, cell: str) -> None:
    assert usd_nanos_cell(nanos) == cell
