"""Mixed load on a production-shaped server: two uvicorn workers on PostgreSQL + Redis.

    .venv/bin/python -m bench.hardening_load [--clients 50] [--seconds 60] [--workers 2]
        [--seed-records 5000]

A fresh database on the PostgreSQL of the tests (COMPTROLLER_TEST_POSTGRES_URL) and a fresh
Redis namespace; ``--seed-records`` requests recorded first. Then ``--clients`` concurrent
clients for ``--seconds`` on loopback, a third each reading the usage dashboard, paging
through the request log (50 a page) and recording batches of 20 through POST /v1/requests.
Prints throughput, p50/p99 per kind, errors by status and code, and each worker's resident
memory every few seconds. Rate limits are raised out of the way (the bench measures the
server, not the budgets); every other limit is at its default.
"""

import argparse
import asyncio
import statistics
import tempfile
import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx

from tests.support.backends import REDIS_URL, postgres_database, run_cli
from tests.support.fault_load import USAGE, World, make_world, records
from tests.support.live_server import live_server, server_env

REQUEST_LOG = """query($p: ID!, $after: String) { project(id: $p) {
  requests(first: 50, after: $after) { totalCount pageInfo { hasNextPage endCursor }
    edges { node { id createdAt status durationMs cost inputTokens outputTokens } } } } }"""
RSS_SAMPLE_SECONDS = 5.0
MAX_REQUESTS_PER_CLIENT = 100_000


@dataclass
class Tally:
    latencies: dict[str, list[float]] = field(default_factory=dict)
    statuses: Counter[int] = field(default_factory=Counter)
    codes: Counter[str] = field(default_factory=Counter)
    transport_errors: Counter[str] = field(default_factory=Counter)

    def see(self, kind: str, reply: httpx.Response, seconds: float) -> None:
        self.latencies.setdefault(kind, []).append(seconds)
        self.statuses[reply.status_code] += 1
        body = reply.json()
        for error in (body.get("errors") if isinstance(body, dict) else None) or []:
            self.codes[(error.get("extensions") or {}).get("code", "NONE")] += 1


def superuser(env: dict[str, str]) -> str:
    created = run_cli(
        ["create-user", "--email", "bench@example.com", "--name", "Bench", "--superuser"], env
    )
    if created.returncode != 0:
        raise RuntimeError(created.stderr)
    return created.stdout.strip().splitlines()[-1]


async def client(
    index: int, url: str, world: World, tally: Tally, deadline: float, http: httpx.AsyncClient
) -> None:
    kind = ("dashboard", "request-log", "ingestion")[index % 3]
    cursor: str | None = None
    for _ in range(MAX_REQUESTS_PER_CLIENT):
        if time.monotonic() >= deadline:
            return
        try:
            cursor = await one_request(kind, index, url, world, tally, http, cursor)
        except httpx.TransportError as error:  # counted, and the client goes on
            tally.transport_errors[type(error).__name__] += 1


async def one_request(
    kind: str,
    index: int,
    url: str,
    world: World,
    tally: Tally,
    http: httpx.AsyncClient,
    cursor: str | None,
) -> str | None:
    """One request of ``kind``; the request log's next cursor."""
    person = {"Authorization": f"Bearer {world.token}"}
    gateway = {"Authorization": f"Bearer {world.gateway}"}
    now = datetime.now(UTC)
    started = time.perf_counter()
    if kind == "dashboard":
        # a few ranges, as dashboards ask for: mostly cached answers, some computed
        start = now - timedelta(days=1 + index % 7)
        variables: dict[str, Any] = {
            "p": world.project_id,
            "r": {"from": start.replace(minute=0, second=0, microsecond=0).isoformat(),
                  "to": now.replace(second=0, microsecond=0).isoformat()},
        }  # fmt: skip
        body: dict[str, Any] = {"query": USAGE, "variables": variables}
        reply = await http.post(f"{url}/graphql", json=body, headers=person)
    elif kind == "request-log":
        body = {"query": REQUEST_LOG, "variables": {"p": world.project_id, "after": cursor}}
        reply = await http.post(f"{url}/graphql", json=body, headers=person)
        page = (reply.json().get("data") or {}).get("project") or {}
        info = (page.get("requests") or {}).get("pageInfo") or {}
        cursor = info.get("endCursor") if info.get("hasNextPage") else None
    else:
        body = {"records": records(world.model_id, 20)}
        reply = await http.post(f"{url}/v1/requests", json=body, headers=gateway)
    tally.see(kind, reply, time.perf_counter() - started)
    return cursor


def worker_pids(parent: int) -> list[int]:
    children = Path(f"/proc/{parent}/task/{parent}/children")
    found = [int(p) for p in children.read_text().split()] if children.exists() else []
    return found or [parent]


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


Samples = list[tuple[float, list[float]]]


def rss_of_workers(parent: int) -> list[float]:
    pids = [p for p in worker_pids(parent) if Path(f"/proc/{p}").exists()]
    return [round(rss_mb(p), 1) for p in pids]


async def sample_rss(parent: int, deadline: float, samples: Samples) -> None:
    started = time.monotonic()
    while time.monotonic() < deadline:
        samples.append((time.monotonic() - started, rss_of_workers(parent)))
        await asyncio.sleep(RSS_SAMPLE_SECONDS)


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


async def main(clients: int, seconds: float, workers: int, seed_records: int) -> None:
    async with postgres_database() as database_url:
        env = server_env(
            database_url,
            REDIS_URL,
            rate_limit_points="1000000000",
            ingestion_rate_limit_records="1000000000000",
        )
        if run_cli(["init-db"], env).returncode != 0:
            raise RuntimeError("init-db failed")
        token = superuser(env)
        with tempfile.TemporaryDirectory() as logs:
            async with live_server(env, Path(logs), "--workers", str(workers)) as server:
                world = await make_world(server.url, token)
                limits = httpx.Limits(max_connections=clients + 4)
                async with httpx.AsyncClient(timeout=30, limits=limits) as http:
                    gateway = {"Authorization": f"Bearer {world.gateway}"}
                    for _ in range(seed_records // 500):
                        body = {"records": records(world.model_id, 500)}
                        await http.post(f"{server.url}/v1/requests", json=body, headers=gateway)
                    tally = Tally()
                    rss: Samples = []
                    started = time.monotonic()
                    deadline = started + seconds
                    await asyncio.gather(
                        sample_rss(server.process.pid, deadline, rss),
                        *(
                            client(i, server.url, world, tally, deadline, http)
                            for i in range(clients)
                        ),
                    )
                    elapsed = time.monotonic() - started
                log = server.log()
    total = sum(len(v) for v in tally.latencies.values())
    print(f"{clients} clients, {workers} workers, {elapsed:.1f} s on PostgreSQL + Redis")
    print(f"throughput: {total / elapsed:.0f} requests/s ({total} requests)")
    for kind, values in sorted(tally.latencies.items()):
        print(
            f"  {kind:12} {len(values):7} requests  p50 {statistics.median(values) * 1000:7.1f} ms"
            f"  p99 {percentile(values, 0.99) * 1000:7.1f} ms"
        )
    print(f"statuses: {dict(tally.statuses)}  error codes: {dict(tally.codes) or 'none'}  "
          f"connection errors: {dict(tally.transport_errors) or 'none'}")  # fmt: skip
    print(f"server log: {log.count(' ERROR ')} ERROR lines, {log.count('Traceback')} tracebacks")
    print("resident memory per worker (MB) over time:")
    for at, sizes in rss:
        print(f"  t={at:5.1f} s  {sizes}")


def parse() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument("--seconds", type=float, default=60.0)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--seed-records", type=int, default=5000)
    return parser.parse_args()


if __name__ == "__main__":
    arguments = parse()
    asyncio.run(
        main(
            arguments.clients,
            min(arguments.seconds, 600),
            arguments.workers,
            arguments.seed_records,
        )
    )
