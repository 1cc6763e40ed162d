"""Observability (issue 13): JSON logs with the request id on every line, the id sent back,
and Prometheus metrics summed over the workers."""

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families

from models import ProjectRole
from tests.support.backends import Backend
from tests.support.factories import (
    grant,
    make_api_token,
    make_model,
    make_project,
    make_user,
    unique,
)
from tests.support.live_server import live_server, server_env

VIEWER = {"query": "{ viewer { id } }"}
USAGE = """query($p: ID!, $r: TimeRange!) { project(id: $p) { usage(range: $r) { totalCost } } }"""


Samples = dict[tuple[str, tuple[tuple[str, str], ...]], float]


def samples(text: str) -> Samples:
    return {
        (s.name, tuple(sorted(s.labels.items()))): s.value
        for family in text_string_to_metric_families(text)
        for s in family.samples
    }


def value(
    metrics: dict[tuple[str, tuple[tuple[str, str], ...]], float], name: str, **labels: str
) -> float:
    return metrics.get((name, tuple(sorted(labels.items()))), 0.0)


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
async def test_json_logs_and_metrics_across_two_workers(backend: Backend, tmp_path: Path) -> None:
    # given a two-worker server logging JSON, two points per caller and worker
    _, token = await make_user()
    member, member_token = await make_user()
    project = await make_project()
    await grant(member, project, ProjectRole.PROJECT_MEMBER)
    model = await make_model()
    _, gateway = await make_api_token(project)
    env = server_env(backend.database_url, "memory://", log_format="json", rate_limit_points="2")
    now = datetime.now(UTC)
    records = [
        {"externalId": unique("obs"), "createdAt": (now - timedelta(minutes=1)).isoformat(),
         "status": "SUCCESS", "durationMs": 5, "modelId": str(model.id),
         "inputTokens": 10, "outputTokens": 5}
        for _ in range(3)
    ]  # fmt: skip
    async with (
        live_server(env, tmp_path, "--workers", "2") as server,
        httpx.AsyncClient(base_url=server.url, timeout=10) as http,
    ):
        # when clients call
        usage = await http.post(
            "/graphql",
            json={"query": USAGE, "variables": {"p": str(project.id), "r": {
                "from": (now - timedelta(days=1)).isoformat(), "to": now.isoformat()}}},
            headers={"Authorization": f"Bearer {member_token}"},
        )  # fmt: skip
        assert usage.status_code == 200, usage.text
        refused = 0
        for i in range(8):
            reply = await http.post(
                "/graphql",
                json=VIEWER,
                headers={"Authorization": f"Bearer {token}", "x-request-id": f"obs-{i}"},
            )
            # then each answer carries its request id
            assert reply.headers["x-request-id"] == f"obs-{i}"
            refused += reply.status_code == 429
        assert refused >= 4  # at most 2 points on each of the 2 workers' own counters
        unknown = await http.post("/graphql", json=VIEWER, headers={"Authorization": "Bearer x"})
        assert len(unknown.headers["x-request-id"]) == 32
        recorded = await http.post(
            "/v1/requests",
            json={"records": records},
            headers={"Authorization": f"Bearer {gateway}"},
        )
        assert recorded.json() == {"accepted": 3, "duplicates": 0}
        metrics = samples((await http.get("/metrics")).text)
        log = server.log()

    # and the scrape, answered by one worker, counts what both served
    assert value(metrics, "comptroller_http_requests_total", route="/graphql", method="POST",
                 status="200") == 10 - refused  # fmt: skip
    assert value(metrics, "comptroller_http_requests_total", route="/graphql", method="POST",
                 status="429") == refused  # fmt: skip
    assert value(metrics, "comptroller_http_requests_total", route="/v1/requests", method="POST",
                 status="200") == 1  # fmt: skip
    assert value(metrics, "comptroller_errors_total", code="RATE_LIMITED") == refused
    assert value(metrics, "comptroller_errors_total", code="UNAUTHENTICATED") == 1
    assert value(metrics, "comptroller_rate_limit_refusals_total", budget="graphql") == refused
    assert value(metrics, "comptroller_ingested_records_total", outcome="accepted") == 3
    assert value(metrics, "comptroller_cache_lookups_total", outcome="miss") >= 1
    assert (
        value(
            metrics,
            "comptroller_graphql_operation_duration_seconds_count",
            operation="query viewer",
        )
        == 9
    )
    assert value(metrics, "comptroller_http_request_duration_seconds_count", route="/graphql") == 10

    # and every log line is JSON with a request id, the access lines with the caller's
    lines = [json.loads(line) for line in log.splitlines() if line.strip()]
    assert lines
    assert all("request_id" in line and "level" in line for line in lines)
    access = [line for line in lines if line["logger"] == "uvicorn.access"]
    assert {f"obs-{i}" for i in range(8)} <= {line["request_id"] for line in access}


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
async def test_operation_labels_name_only_the_schemas_root_fields(
    backend: Backend, tmp_path: Path
) -> None:
    # given documents whose root fields a client made up
    made_up = [f"{{ made_up_{i} }}" for i in range(5)]
    many = (
        "{ viewer { id } models { totalCount } __typename "
        + " ".join(f"x{i}: viewer {{ id }}" for i in range(3))
        + " project(id: 1) { id } }"
    )
    env = server_env(backend.database_url, "memory://")
    async with (
        live_server(env, tmp_path, "--workers", "2") as server,
        httpx.AsyncClient(base_url=server.url, timeout=10) as http,
    ):
        # when they are sent, with one that is valid
        for query in [*made_up, "{ viewer { id } madeUp }", "mutation { nope }", many]:
            await http.post("/graphql", json={"query": query})
        await http.post("/graphql", json=VIEWER)
        metrics = samples((await http.get("/metrics")).text)

    # then only the schema's names become labels
    name = "comptroller_graphql_operation_duration_seconds_count"
    labels = {dict(key[1])["operation"] for key in metrics if key[0] == name}
    assert labels == {"query other", "query other,viewer", "mutation other", "query several",
                      "query viewer"}  # fmt: skip
    assert value(metrics, name, operation="query other") == 5


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
async def test_export_errors_are_counted_as_every_error_is(
    backend: Backend, tmp_path: Path
) -> None:
    # given a person, and exports they ask for wrongly
    _, token = await make_user()
    headers = {"Authorization": f"Bearer {token}"}
    env = server_env(backend.database_url, "memory://")
    async with (
        live_server(env, tmp_path, "--workers", "2") as server,
        httpx.AsyncClient(base_url=server.url, timeout=10) as http,
    ):
        # when one names no export, one a project that is not theirs, one no project
        unknown = await http.get("/exports/nothing.csv", headers=headers)
        hidden = await http.get(
            "/exports/requests.csv", params={"project": "999999"}, headers=headers
        )
        bad = await http.get("/exports/usage-timeline.csv", headers=headers)
        metrics = samples((await http.get("/metrics")).text)

    # then each answers its code, and the errors metric counts it
    assert (unknown.status_code, hidden.status_code, bad.status_code) == (404, 404, 400)
    assert value(metrics, "comptroller_errors_total", code="NOT_FOUND") == 2
    assert value(metrics, "comptroller_errors_total", code="BAD_USER_INPUT") == 1
