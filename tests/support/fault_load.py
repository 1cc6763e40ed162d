"""Traffic for fault tests and benches: gateways recording batches (retrying each until it
is acknowledged, as a gateway does) and readers asking for dashboards, every answer checked
for the contract's shape. Loops are bounded by a deadline and a request count.
"""

import asyncio
import time
import uuid
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import asyncpg
import httpx

RECORD = """
mutation($r: [RequestRecordInput!]!) { recordRequests(records: $r) { accepted duplicates } }"""
USAGE = """query($p: ID!, $r: TimeRange!) { project(id: $p) {
  usage(range: $r) { totalCost totalRequests timeline { start totalRequests } } } }"""
VIEWER = "{ viewer { id email } }"
RETRY_PAUSE_SECONDS = 0.02
MAX_REQUESTS_PER_CLIENT = 20_000


@dataclass
class World:
    """What the traffic needs: a superuser's token, a project, a model, a gateway secret."""

    token: str
    project_id: str
    model_id: str
    gateway: str


async def make_world(url: str, superuser_token: str) -> World:
    """A project, a model and an API token, made through the API itself."""
    headers = {"Authorization": f"Bearer {superuser_token}"}
    suffix = uuid.uuid4().hex[:8]

    async def call(query: str, variables: dict[str, Any]) -> dict[str, Any]:
        async with httpx.AsyncClient(base_url=url, timeout=30) as http:
            reply = await http.post(
                "/graphql", json={"query": query, "variables": variables}, headers=headers
            )
        body: dict[str, Any] = reply.json()
        assert not body.get("errors"), body
        data: dict[str, Any] = body["data"]
        return data

    project = await call(
        "mutation($n: String!) { createProject(input: {name: $n}) { id } }", {"n": f"p-{suffix}"}
    )
    model = await call(
        'mutation($n: String!) { createModel(input: {name: $n, provider: "openai", '
        "inputPricePerMillion: 2.5, outputPricePerMillion: 10}) { id } }",
        {"n": f"m-{suffix}"},
    )
    project_id = project["createProject"]["id"]
    token = await call(
        'mutation($p: ID!) { createApiToken(projectId: $p, name: "gateway") { secret } }',
        {"p": project_id},
    )
    return World(
        superuser_token, project_id, model["createModel"]["id"], token["createApiToken"]["secret"]
    )


@dataclass
class Observed:
    """Every answer seen, classified; what the gateways had acknowledged."""

    statuses: Counter[int] = field(default_factory=Counter)
    codes: Counter[str] = field(default_factory=Counter)
    malformed: list[str] = field(default_factory=list)  # not JSON, or an error without code
    transport_errors: int = 0
    acknowledged: set[str] = field(default_factory=set)
    successes: list[float] = field(default_factory=list)  # monotonic times of 200s
    latencies: dict[str, list[float]] = field(default_factory=dict)

    def see(self, kind: str, reply: httpx.Response, elapsed: float) -> bool:
        """Record an answer; True when it succeeded."""
        self.statuses[reply.status_code] += 1
        self.latencies.setdefault(kind, []).append(elapsed)
        try:
            body = reply.json()
        except ValueError:
            self.malformed.append(f"{reply.status_code} {reply.text[:200]!r}")
            return False
        errors = body.get("errors") if isinstance(body, dict) else None
        for error in errors or []:
            code = (error.get("extensions") or {}).get("code")
            if code is None:
                self.malformed.append(f"{reply.status_code} {error!r:.200}")
            else:
                self.codes[code] += 1
        if reply.status_code == 200 and not errors:
            self.successes.append(time.monotonic())
            return True
        return False

    def first_success_after(self, instant: float) -> float | None:
        return next((t for t in self.successes if t >= instant), None)


def records(model_id: str, count: int) -> list[dict[str, Any]]:
    now = datetime.now(UTC)
    return [
        {
            "externalId": f"fault-{uuid.uuid4().hex}",
            "createdAt": (now - timedelta(seconds=i)).isoformat(),
            "status": "SUCCESS" if i % 10 else "ERROR",
            "durationMs": 100 + i,
            "modelId": model_id,
            "inputTokens": 100,
            "outputTokens": 40,
        }
        for i in range(count)
    ]


async def gateway(
    url: str, world: World, observed: Observed, deadline: float, batch_size: int = 20
) -> None:
    """Record batches until the deadline, alternating GraphQL and the JSON route; a batch that
    was not acknowledged is sent again, unchanged, until it is (or the deadline passes)."""
    headers = {"Authorization": f"Bearer {world.gateway}"}
    pending: list[dict[str, Any]] | None = None
    async with httpx.AsyncClient(base_url=url, timeout=15) as http:
        for sent in range(MAX_REQUESTS_PER_CLIENT):
            if time.monotonic() >= deadline:
                return
            pending = pending or records(world.model_id, batch_size)
            started = time.monotonic()
            try:
                if sent % 2:
                    reply = await http.post(
                        "/v1/requests", json={"records": pending}, headers=headers
                    )
                else:
                    body = {"query": RECORD, "variables": {"r": pending}}
                    reply = await http.post("/graphql", json=body, headers=headers)
            except httpx.TransportError:
                observed.transport_errors += 1
                await asyncio.sleep(RETRY_PAUSE_SECONDS)
                continue
            if observed.see("ingestion", reply, time.monotonic() - started):
                observed.acknowledged.update(r["externalId"] for r in pending)
                pending = None
            else:
                await asyncio.sleep(RETRY_PAUSE_SECONDS)


async def reader(url: str, world: World, observed: Observed, deadline: float) -> None:
    """Ask for the viewer and the project's last-day usage until the deadline."""
    headers = {"Authorization": f"Bearer {world.token}"}
    async with httpx.AsyncClient(base_url=url, timeout=15) as http:
        for asked in range(MAX_REQUESTS_PER_CLIENT):
            if time.monotonic() >= deadline:
                return
            now = datetime.now(UTC)
            variables = {
                "p": world.project_id,
                "r": {"from": (now - timedelta(days=1)).isoformat(), "to": now.isoformat()},
            }
            body = {"query": VIEWER} if asked % 2 else {"query": USAGE, "variables": variables}
            started = time.monotonic()
            try:
                reply = await http.post("/graphql", json=body, headers=headers)
            except httpx.TransportError:
                observed.transport_errors += 1
                await asyncio.sleep(RETRY_PAUSE_SECONDS)
                continue
            if not observed.see("dashboard", reply, time.monotonic() - started):
                await asyncio.sleep(RETRY_PAUSE_SECONDS)


async def stored_counts(database_url: str, project_id: str) -> dict[str, int]:
    """How many times each external id of the project is stored (read straight from the
    throwaway PostgreSQL, not through the app under test)."""
    connection = await asyncpg.connect(database_url)
    try:
        rows = await connection.fetch(
            "SELECT external_id, count(*) AS n FROM requests WHERE project_id = $1 "
            "GROUP BY external_id",
            int(project_id),
        )
    finally:
        await connection.close()
    return {row["external_id"]: row["n"] for row in rows}
