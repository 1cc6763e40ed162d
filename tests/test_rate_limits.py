"""Rate limits per caller (issue 13): a cost-weighted point budget per window, shared by every
worker and replica through Redis, refused with RATE_LIMITED and its reset time, whole again
after the reset; ingestion has its own budget; a failing Redis lets calls through."""

import asyncio
import logging
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import orjson
import pytest

from kernel.rate_limits import Budget, RateLimiter
from models import ProjectRole
from tests.support.backends import REDIS_URL, Backend
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
RECORD = """
mutation($r: [RequestRecordInput!]!) { recordRequests(records: $r) { accepted duplicates } }"""


async def test_a_budget_is_spent_refused_then_whole_after_its_reset() -> None:
    budget = Budget("graphql", points=3, window_seconds=1)
    limiter = RateLimiter("memory://", "test", graphql=budget, ingestion=budget)
    spent = [await limiter.spend(budget, "user:1", 1) for _ in range(3)]
    assert [s.allowed for s in spent if s] == [True, True, True]
    refused = await limiter.spend(budget, "user:1", 1)
    assert refused is not None
    assert not refused.allowed
    assert refused.remaining == 0
    refusal = refused.refusal("req-1")
    assert refusal.extensions is not None
    assert refusal.extensions["code"] == "RATE_LIMITED"
    assert refusal.extensions["retryAfter"] == 1
    assert datetime.fromisoformat(refusal.extensions["resetAt"]) > datetime.now(UTC)
    # another caller has a budget of their own
    other = await limiter.spend(budget, "user:2", 3)
    assert other is not None
    assert other.allowed
    await asyncio.sleep(refused.reset_at - time.time() + 0.05)
    again = await limiter.spend(budget, "user:1", 1)
    assert again is not None
    assert again.allowed
    assert again.remaining == 2


async def test_a_failing_redis_lets_calls_through_with_one_warning(
    caplog: pytest.LogCaptureFixture,
) -> None:
    budget = Budget("graphql", points=1, window_seconds=60)
    limiter = RateLimiter("redis://127.0.0.1:1/0", "test", graphql=budget, ingestion=budget)
    with caplog.at_level(logging.WARNING, logger="kernel.rate_limits"):
        spent = [await limiter.spend(budget, "user:1", 1) for _ in range(20)]
    assert spent == [None] * 20  # not counted: allowed
    assert caplog.text.count("rate-limit counters (redis) unavailable") == 1
    assert "Traceback" not in caplog.text


def record(model_id: int) -> dict[str, Any]:
    return {
        "externalId": unique("rl"),
        "createdAt": (datetime.now(UTC) - timedelta(minutes=1)).isoformat(),
        "status": "SUCCESS",
        "durationMs": 5,
        "modelId": str(model_id),
        "inputTokens": 10,
        "outputTokens": 5,
    }


async def wait_for_ready(url: str) -> None:
    async with httpx.AsyncClient(base_url=url) as http:
        for _ in range(100):
            if (await http.get("/readyz")).status_code == 200:
                return
            await asyncio.sleep(0.1)
    raise AssertionError(f"{url} not ready")


@pytest.mark.parametrize("backend", ["postgres"], indirect=True)
async def test_two_replicas_share_one_budget_through_redis(
    backend: Backend, tmp_path: Path
) -> None:
    # given two servers on one database and one Redis namespace, 6 points per 2 s
    user, token = await make_user()
    project = await make_project()
    await grant(user, project, ProjectRole.PROJECT_MEMBER)
    model = await make_model()
    _, gateway = await make_api_token(project)
    env = server_env(
        backend.database_url,
        REDIS_URL,
        rate_limit_points="6",
        rate_limit_window_seconds="2",
        ingestion_rate_limit_records="6",
    )
    person = {"Authorization": f"Bearer {token}"}
    client = {"Authorization": f"Bearer {gateway}"}
    async with (
        live_server(env, tmp_path) as a,
        live_server(env, tmp_path) as b,
        httpx.AsyncClient(timeout=10) as http,
    ):
        await wait_for_ready(a.url)
        await wait_for_ready(b.url)
        # when the person spends three points on each
        for url in (a.url, b.url, a.url, b.url, a.url, b.url):
            reply = await http.post(f"{url}/graphql", json=VIEWER, headers=person)
            assert reply.status_code == 200, reply.text
        assert reply.headers["x-ratelimit-remaining"] == "0"
        # then the seventh is refused by either, with its reset time
        refused = await http.post(f"{a.url}/graphql", json=VIEWER, headers=person)
        assert refused.status_code == 429
        (error,) = refused.json()["errors"]
        assert error["extensions"]["code"] == "RATE_LIMITED"
        assert error["extensions"]["limit"] == 6
        assert int(refused.headers["retry-after"]) >= 1
        reset_at = datetime.fromisoformat(error["extensions"]["resetAt"])

        # and the gateway spends from a budget of its own: the operation and its 5 records,
        # then a refusal
        recorded = await http.post(
            f"{a.url}/graphql",
            json={"query": RECORD, "variables": {"r": [record(model.id) for _ in range(5)]}},
            headers=client,
        )
        assert recorded.json()["data"]["recordRequests"]["accepted"] == 5
        over = await http.post(
            f"{b.url}/v1/requests", json={"records": [record(model.id)]}, headers=client
        )
        assert over.status_code == 429
        assert over.json()["errors"][0]["extensions"]["code"] == "RATE_LIMITED"
        assert over.headers["x-ratelimit-resource"] == "ingestion"

        # and after the reset the person's budget is whole again
        await asyncio.sleep(max(0.0, (reset_at - datetime.now(UTC)).total_seconds()) + 0.2)
        again = await http.post(f"{b.url}/graphql", json=VIEWER, headers=person)
        assert again.status_code == 200, again.text
        assert again.headers["x-ratelimit-remaining"] == "5"


def aliased_batches(count: int) -> str:
    """``count`` recordRequests roots of one batch: half aliases, half through a fragment."""
    direct = " ".join(
        f"a{i}: recordRequests(records: $r) {{ accepted }}" for i in range(count // 2)
    )
    spread = " ".join(
        f"f{i}: recordRequests(records: $r) {{ accepted }}" for i in range(count // 2, count)
    )
    return (
        f"mutation($r: [RequestRecordInput!]!) {{ {direct} ...more }} "
        f"fragment more on Mutation {{ {spread} }}"
    )


async def test_aliased_batches_each_spend_their_records(backend: Backend, tmp_path: Path) -> None:
    # given an ingestion budget of 59 records, and 30 roots of a batch of 2 (60 records)
    project = await make_project()
    model = await make_model()
    _, gateway = await make_api_token(project)
    env = server_env(backend.database_url, backend.cache_url, ingestion_rate_limit_records="59")
    client = {"Authorization": f"Bearer {gateway}"}
    batch = [record(model.id) for _ in range(2)]
    async with live_server(env, tmp_path) as server, httpx.AsyncClient(timeout=10) as http:
        await wait_for_ready(server.url)

        # when they come in one operation
        reply = await http.post(
            f"{server.url}/graphql",
            json={"query": aliased_batches(30), "variables": {"r": batch}},
            headers=client,
        )

        # then the 30th batch is the one past the budget: 30 x 2 records were charged
        codes = [error["extensions"]["code"] for error in reply.json()["errors"]]
        assert codes == ["RATE_LIMITED"]
        assert reply.json()["errors"][0]["extensions"]["cost"] == 2
        assert reply.headers["x-ratelimit-resource"] == "ingestion"
        assert reply.headers["x-ratelimit-remaining"] == "0"
        # and the other route finds the budget spent
        over = await http.post(
            f"{server.url}/v1/requests", json={"records": [record(model.id)]}, headers=client
        )
        assert over.status_code == 429


@pytest.mark.parametrize("export", ["requests", "usage-timeline"], ids=["request-log", "figure"])
async def test_exports_spend_the_person_s_budget_and_admission_the_gateway_s(
    backend: Backend, tmp_path: Path, export: str
) -> None:
    # given budgets of 2 (a person's points, a gateway's calls), a member and an API token
    user, token = await make_user()
    project = await make_project()
    await grant(user, project, ProjectRole.PROJECT_MEMBER)
    model = await make_model()
    _, gateway = await make_api_token(project)
    env = server_env(
        backend.database_url,
        backend.cache_url,
        rate_limit_points="2",
        ingestion_rate_limit_records="2",
    )
    person = {"Authorization": f"Bearer {token}"}
    client = {"Authorization": f"Bearer {gateway}"}
    now = datetime.now(UTC)
    params = {
        "project": str(project.id),
        "from": (now - timedelta(days=1)).isoformat(),
        "to": now.isoformat(),
    }
    async with live_server(env, tmp_path) as server, httpx.AsyncClient(timeout=10) as http:
        await wait_for_ready(server.url)
        url = f"{server.url}/exports/{export}.csv"
        admission = f"{server.url}/v1/admission"

        # when each spends its two points
        for _ in range(2):
            exported = await http.get(url, params=params, headers=person)
            assert exported.status_code == 200, exported.text
            admitted = await http.get(admission, params={"modelId": model.id}, headers=client)
            assert admitted.status_code == 200, admitted.text

        # then the third of each is refused
        for refused in (
            await http.get(url, params=params, headers=person),
            await http.get(admission, params={"modelId": model.id}, headers=client),
        ):
            assert refused.status_code == 429
            assert [e["extensions"]["code"] for e in refused.json()["errors"]] == ["RATE_LIMITED"]
            assert int(refused.headers["retry-after"]) >= 1


def otlp_chat_spans(model_name: str, count: int) -> bytes:
    """An OTLP JSON export of ``count`` chat spans an hour ago."""
    start = (time.time_ns() // 1_000_000_000 - 3600) * 1_000_000_000
    attributes = [
        ("gen_ai.operation.name", {"stringValue": "chat"}),
        ("gen_ai.request.model", {"stringValue": model_name}),
        ("gen_ai.usage.input_tokens", {"intValue": 5}),
        ("gen_ai.usage.output_tokens", {"intValue": 3}),
    ]
    spans = [
        {
            "traceId": f"{index + 1:032x}",
            "spanId": f"{index + 1:016x}",
            "name": "chat",
            "startTimeUnixNano": str(start),
            "endTimeUnixNano": str(start + 1_000_000),
            "attributes": [{"key": key, "value": value} for key, value in attributes],
        }
        for index in range(count)
    ]
    return orjson.dumps({"resourceSpans": [{"scopeSpans": [{"spans": spans}]}]})


async def test_otlp_and_litellm_spend_the_gateway_budget_per_record(
    backend: Backend, tmp_path: Path
) -> None:
    # given a gateway budget of 3 records and a project API token
    project = await make_project()
    model = await make_model()
    _, gateway = await make_api_token(project)
    env = server_env(backend.database_url, backend.cache_url, ingestion_rate_limit_records="3")
    client = {"Authorization": f"Bearer {gateway}", "Content-Type": "application/json"}
    async with live_server(env, tmp_path) as server, httpx.AsyncClient(timeout=10) as http:
        await wait_for_ready(server.url)

        # when an export of 2 spans is sent, then another
        first = await http.post(
            f"{server.url}/v1/traces", content=otlp_chat_spans(model.name, 2), headers=client
        )
        second = await http.post(
            f"{server.url}/v1/traces", content=otlp_chat_spans(model.name, 2), headers=client
        )
        # and LiteLLM posts one payload once the budget is spent
        litellm = await http.post(f"{server.url}/v1/litellm", content=b"[]", headers=client)

    # then the first is stored, the second refused the OTLP way, with Retry-After
    assert first.status_code == 200, first.text
    assert second.status_code == 429, second.text
    assert int(second.headers["retry-after"]) >= 1
    assert "Rate limit exceeded" in second.json()["message"]
    assert litellm.status_code == 429
    assert [e["extensions"]["code"] for e in litellm.json()["errors"]] == ["RATE_LIMITED"]
