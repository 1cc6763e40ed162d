"""Cached dashboards never show less than what was recorded: read-your-writes across two
uvicorn workers (in-process caches each, or one Redis), and a Redis that is down only
costs speed."""

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx

from models import ProjectRole
from tests.support.backends import Backend, serving
from tests.support.factories import (
    grant,
    make_api_token,
    make_model,
    make_project,
    make_user,
    unique,
)
from tests.support.records import RECORD_REQUESTS, record

USAGE = """query($p: ID!, $r: TimeRange!) { project(id: $p) { usage(range: $r) {
  totalRequests totalCost timeline { totalRequests } } } }"""


async def post(server: str, query: str, variables: dict[str, Any], token: str) -> dict[str, Any]:
    # A new connection every time, so that the two workers both answer.
    async with httpx.AsyncClient(base_url=server, timeout=30) as client:
        reply = await client.post(
            "/graphql",
            json={"query": query, "variables": variables},
            headers={"Authorization": f"Bearer {token}"},
        )
    body: dict[str, Any] = reply.json()
    assert "errors" not in body, body
    return body


async def check_read_your_writes(backend: Backend, workdir: Path, cache_url: str) -> str:
    project = await make_project()
    admin, token = await make_user()
    await grant(admin, project, ProjectRole.PROJECT_MEMBER)
    model = await make_model()
    _, gateway = await make_api_token(project)
    now = datetime.now(UTC)
    variables = {
        "p": str(project.id),
        "r": {
            "from": (now - timedelta(days=1)).isoformat(),
            "to": (now + timedelta(hours=1)).isoformat(),
        },
    }
    async with serving(
        f"{backend.name}-2w", backend.database_url, cache_url, workdir, workers=2
    ) as two:
        recorded = 0
        for round_ in range(4):
            for _ in range(6):  # warm both workers' caches on the current figures
                usage = (await post(two.server_url, USAGE, variables, token))["data"]
                assert usage["project"]["usage"]["totalRequests"] == recorded
            created_at = (now - timedelta(minutes=round_)).isoformat()
            batch = [record(unique("rw"), model, createdAt=created_at) for _ in range(3)]
            await post(two.server_url, RECORD_REQUESTS, {"records": batch}, gateway)
            recorded += 3
            for _ in range(6):  # every worker shows the new records on its next query
                usage = (await post(two.server_url, USAGE, variables, token))["data"]
                assert usage["project"]["usage"]["totalRequests"] == recorded
        return two.server_log()


async def test_two_workers_read_their_writes(backend: Backend, tmp_path: Path) -> None:
    # memory:// on SQLite (a cache per worker), the shared Redis on PostgreSQL.
    await check_read_your_writes(backend, tmp_path, backend.cache_url)


async def test_a_redis_that_is_down_costs_speed_not_answers(
    backend: Backend, tmp_path: Path
) -> None:
    log = await check_read_your_writes(backend, tmp_path, "redis://127.0.0.1:1/0")
    assert "cache get failed" in log
