"""Lists through GraphQL next to the same data served plainly, and graphql-core's own floor.

    .venv/bin/python -m bench.graphql_lists [--backend sqlite|postgres|both]
        [--requests 120000] [--seconds 4] [--rounds 3] [--runs 200] [--client wrk|python]

A seeded project (``bench.synthetic``: 8 models, 10 assistants, 202 members, ``--requests``
requests over 30 days; plus 50 API tokens and 120 audit events), on SQLite (in-process cache)
and on PostgreSQL + Redis, each in its own process. Four pages, as the dashboard's project
administrator asks for them: the request log's first page (50 requests with their model and
assistant), the members page and the audit-log page (50 each, with totalCount) and the API
tokens (50).

Over HTTP, in the same run, interleaved ``--rounds`` times: ``comptroller serve`` (1 worker,
rate limits off) answering each GraphQL document, next to ``bench.plain_lists``: a bare
Starlette app under the same uvicorn settings whose routes read the same rows with one SQL
statement and answer the same JSON with orjson (the bench checks both answers are equal).
8 keep-alive connections for ``--seconds`` each, from ``wrk`` (Debian's ``wrk``; the
``python`` client of ``bench.load`` costs the server's cores more). Prints requests/s of
both, the ratio GraphQL / plain (target >= 0.10x, stretch 0.15x) and its spread over rounds.

In process: ``schema.execute`` of each document (authentication included) and its parts
(the context, the page's read), next to graphql-core's floor: ``graphql.execute`` of the same
document over the answer's own dicts with default resolvers, on the same SDL.
"""

import argparse
import asyncio
import json
import random
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import graphql
import httpx
from tortoise import Tortoise

from bench.load import graphql_post, run_load
from bench.synthetic import Clock, database, generate_rows, load_postgres, load_sqlite, make_world
from bench.timing import median_ms
from comptroller.database import migrate_database, tortoise_config
from comptroller.settings import REPOSITORY_ROOT
from kernel.authorization import Policy
from kernel.cache import ResultCache
from models import Membership, Project, ProjectRole
from resolvers.governance.api_tokens import list_api_tokens
from resolvers.governance.audit import audit_page, record_event
from resolvers.governance.members import members_page
from resolvers.request_log import RequestFilter, request_page
from schema import build_schema
from schema.context import build_context
from tests.support.backends import REDIS_URL, free_port, run_cli
from tests.support.factories import grant, make_api_token, make_user
from tests.support.live_server import LiveServer, live_server, server_env, wait_until_up

CONNECTIONS = 8
TARGET = 0.10
STRETCH = 0.15
EXTRA_TOKENS = 45  # with the world's 5: a page of 50
AUDIT_EVENTS = 120
ACTIONS = ("member.add", "member.set_roles", "settings.update", "api_token.create")

REQUESTS = """query($id: ID!) { project(id: $id) { requests(first: 50) {
  edges { cursor node { id externalId createdAt status durationMs inputTokens outputTokens
    cost model { name } assistant { name } } }
  pageInfo { endCursor hasNextPage } } } }"""
MEMBERS = """query($id: ID!) { project(id: $id) { members(first: 50) { totalCount
  edges { cursor node { user { id email name } roles createdAt } }
  pageInfo { endCursor hasNextPage } } } }"""
AUDIT = """query($id: ID!) { project(id: $id) { auditLog(first: 50) { totalCount
  edges { cursor node { id at action target details actor { id email name } } }
  pageInfo { endCursor hasNextPage } } } }"""
TOKENS = """query($id: ID!) { project(id: $id) {
  apiTokens { id name prefix createdAt expiresAt revokedAt lastUsedAt } } }"""
TRIVIAL = "{ __typename }"
CPU = time.process_time  # this process's CPU (SQLite's thread included; PostgreSQL's not)
EVERY_REQUEST = RequestFilter()


@dataclass(frozen=True)
class Page:
    name: str
    document: str
    route: str  # the plain app's
    read: Callable[[int], Awaitable[Any]]  # the resolver that reads its rows


PAGES = (
    Page(
        "request log", REQUESTS, "/requests", lambda p: request_page(p, RequestFilter(), 50, None)
    ),
    Page("members", MEMBERS, "/members", lambda p: members_page(p, 50, None)),
    Page("audit log", AUDIT, "/audit", lambda p: audit_page(p, 50, None)),
    Page("API tokens", TOKENS, "/tokens", list_api_tokens),
)


@dataclass(frozen=True)
class Seeded:
    project_id: int
    admin_secret: str


async def seed(url: str, sqlite_path: Path | None, size: int, label: str) -> Seeded:
    """The synthetic world and its requests, plus the administrator, tokens and audit events."""
    rng = random.Random(size)
    clock = Clock(label)
    await migrate_database(url)
    await Tortoise.init(config=tortoise_config(url))
    try:
        world = await make_world(rng)
        project = await Project.get(id=world.project_id)
        admin, secret = await make_user()
        await grant(admin, project, ProjectRole.PROJECT_ADMIN)
        for _ in range(EXTRA_TOKENS):
            await make_api_token(project)
        members = await Membership.filter(project_id=project.id).limit(5)
        actors = [admin.id, None, *(member.user_id for member in members)]
        for index in range(AUDIT_EVENTS):
            await record_event(
                actor_id=actors[index % len(actors)],
                project_id=project.id,
                action=ACTIONS[index % len(ACTIONS)],
                target=f"user:{index}",
                details={"before": ["ASSISTANT_USER"], "after": ["PROJECT_MEMBER"], "n": index},
            )
    finally:
        await Tortoise.close_connections()
    end = datetime.now(UTC).replace(microsecond=0)
    rows = generate_rows(rng, world, size, end, 1.0, as_text=sqlite_path is not None)
    with clock.phase("requests loaded", size):
        if sqlite_path is not None:
            load_sqlite(sqlite_path, rows, size, clock)
        else:
            await load_postgres(url, rows, size, clock)
    return Seeded(world.project_id, secret)


# --- in process -------------------------------------------------------------------------


def count_fields(data: Any) -> int:
    """Fields in an answer: each key of each object (graphql-core resolves each once)."""
    if isinstance(data, dict):
        return sum(1 + count_fields(value) for value in data.values())
    if isinstance(data, list):
        return sum(count_fields(item) for item in data)
    return 0


async def in_process(url: str, seeded: Seeded, runs: int, label: str) -> dict[str, Any]:
    """Each page's answer, and its in-process figures next to graphql-core's floor."""
    await Tortoise.init(config=tortoise_config(url))
    answers: dict[str, Any] = {}
    try:
        schema = build_schema()
        policy = Policy(REPOSITORY_ROOT / "policy.polar")
        cache = ResultCache("memory://", "bench-lists")
        floor_schema = graphql.build_schema(graphql.print_schema(schema._schema))
        variables = {"id": str(seeded.project_id)}

        async def context() -> Any:
            return await build_context(
                token=seeded.admin_secret, policy=policy, cache=cache, request_id="b"
            )

        for page in PAGES:

            async def run(document: str = page.document) -> dict[str, Any]:
                result = await schema.execute(document, variables, context_value=await context())
                assert result.errors is None, result.errors
                assert result.data is not None
                return result.data

            data = await run()
            answers[page.name] = data
            total_ms = await median_ms(runs, run, clock=CPU)
            context_ms = await median_ms(runs, context, clock=CPU)

            async def read(page: Page = page) -> None:
                await page.read(seeded.project_id)

            read_ms = await median_ms(runs, read, clock=CPU)
            parsed = graphql.parse(page.document)

            async def floor(parsed: graphql.DocumentNode = parsed, data: Any = data) -> None:
                result = graphql.execute(floor_schema, parsed, data, variable_values=variables)
                assert not isinstance(result, Awaitable)
                assert result.errors is None

            floor_ms = await median_ms(runs, floor, clock=CPU)
            executing = total_ms - context_ms - read_ms
            print(
                f"[{label}] in process, CPU: {page.name} ({count_fields(data)} fields) "
                f"{total_ms:.2f} ms = context {context_ms:.2f} + the page's read "
                f"{read_ms:.2f} + the rest {executing:.2f} (project, execution); graphql-core's "
                f"floor, the document over the answer's dicts: {floor_ms:.2f} ms "
                f"(the page {total_ms / floor_ms:.2f}x, the rest {executing / floor_ms:.2f}x)",
                flush=True,
            )
    finally:
        await Tortoise.close_connections()
    return answers


# --- over HTTP --------------------------------------------------------------------------


def _lua(body: dict[str, Any], headers: dict[str, str]) -> str:
    lines = ['wrk.method = "POST"', f"wrk.body = [==[{json.dumps(body)}]==]"]
    lines += [f'wrk.headers["{name}"] = "{value}"' for name, value in headers.items()]
    return "\n".join(lines) + "\n"


@dataclass(frozen=True)
class Load:
    """One kind of request, and how the client sends it."""

    url: str
    body: dict[str, Any] | None = None  # a GraphQL POST; None: a GET of url
    headers: dict[str, str] | None = None

    async def rate(self, client: str, seconds: float, workdir: Path) -> float:
        if client == "wrk":
            return await self._wrk(seconds, workdir)
        parts = urlsplit(self.url)
        if self.body is None:
            raw = f"GET {parts.path}?{parts.query} HTTP/1.1\r\nHost: {parts.netloc}\r\n\r\n"
            request = raw.encode()
        else:
            request = graphql_post(self.url, self.headers or {}, self.body)
        probe = await run_load(self.url, request, 200, CONNECTIONS)
        total = max(CONNECTIONS, round(probe.per_second * seconds))
        return (await run_load(self.url, request, total, CONNECTIONS)).per_second

    async def _wrk(self, seconds: float, workdir: Path) -> float:
        command = ["wrk", "-t1", f"-c{CONNECTIONS}", f"-d{max(1, round(seconds))}s"]
        if self.body is not None:
            script = workdir / f"load-{abs(hash(json.dumps(self.body)))}.lua"
            headers = {"Content-Type": "application/json", **(self.headers or {})}
            script.write_text(_lua(self.body, headers))
            command += ["-s", str(script)]
        process = await asyncio.create_subprocess_exec(
            *command, self.url, stdout=subprocess.PIPE, stderr=subprocess.STDOUT
        )
        output = (await process.communicate())[0].decode()
        if "Non-2xx" in output or "Socket errors" in output:
            raise RuntimeError(f"failed answers under load:\n{output}")
        found = re.search(r"Requests/sec:\s+([\d.]+)", output)
        if found is None:
            raise RuntimeError(f"wrk printed no rate:\n{output}")
        return float(found.group(1))


async def plain_server(url: str, workdir: Path) -> Any:
    port = free_port()
    log = (workdir / "plain.log").open("w")
    command = [sys.executable, "-m", "bench.plain_lists", "--database-url", url]
    process = subprocess.Popen([*command, "--port", str(port)], stdout=log, stderr=log)  # noqa: ASYNC220, S603
    server = LiveServer(f"http://127.0.0.1:{port}", workdir / "plain.log", process)
    await wait_until_up(server)
    return server


async def over_http(
    backend: str,
    url: str,
    seeded: Seeded,
    answers: dict[str, Any],
    options: argparse.Namespace,
    label: str,
) -> list[float]:
    cache_url = "memory://" if backend == "sqlite" else REDIS_URL
    env = server_env(
        url,
        cache_url,
        rate_limit_points="0",
        retention_interval_seconds="0",
        webhook_poll_seconds="0",
    )
    if run_cli(["init-db"], env).returncode != 0:
        raise RuntimeError("init-db failed")
    headers = {"Authorization": f"Bearer {seeded.admin_secret}"}
    variables = {"id": str(seeded.project_id)}
    with tempfile.TemporaryDirectory(prefix="bench-lists-") as folder:
        workdir = Path(folder)
        plain = await plain_server(url, workdir)
        try:
            async with live_server(env, workdir) as server, httpx.AsyncClient() as http:
                graphql_url = f"{server.url}/graphql"
                loads: dict[str, tuple[Load, Load]] = {}
                for page in PAGES:
                    body = {"query": page.document, "variables": variables}
                    route = f"{plain.url}{page.route}?project={seeded.project_id}"
                    gql = (await http.post(graphql_url, json=body, headers=headers)).json()
                    bare = (await http.get(route)).json()
                    if gql != {"data": answers[page.name]} or bare != gql:
                        raise RuntimeError(f"{page.name}: the answers differ")
                    loads[page.name] = (Load(route), Load(graphql_url, body, headers))
                trivial = Load(graphql_url, {"query": TRIVIAL}, headers)
                return await _rounds(loads, trivial, options, workdir, label)
        finally:
            plain.process.terminate()
            plain.process.wait(timeout=10)


async def _rounds(
    loads: dict[str, tuple[Load, Load]],
    trivial: Load,
    options: argparse.Namespace,
    workdir: Path,
    label: str,
) -> list[float]:
    seconds, client = options.seconds, options.client
    for bare, gql in loads.values():  # warm-up: caches, connections, the JIT of nothing
        await bare.rate(client, 1, workdir)
        await gql.rate(client, 1, workdir)
    rates: dict[str, list[tuple[float, float]]] = {name: [] for name in loads}
    trivial_rates = []
    for _ in range(options.rounds):
        for name, (bare, gql) in loads.items():
            rates[name].append(
                (
                    await bare.rate(client, seconds, workdir),
                    await gql.rate(client, seconds, workdir),
                )
            )
        trivial_rates.append(await trivial.rate(client, seconds, workdir))
    print(
        f"[{label}] over HTTP, 1 worker, {CONNECTIONS} keep-alive connections ({client}), "
        f"{options.rounds} interleaved rounds of {seconds:g} s each; machine load "
        f"{_load_average()}",
        flush=True,
    )
    print(f"[{label}] {'page':<12}{'plain req/s':>13}{'GraphQL req/s':>15}{'ratio':>8}"
          f"{'spread':>15}  target >= {TARGET}x / stretch {STRETCH}x")  # fmt: skip
    medians = []
    for name, pairs in rates.items():
        ratios = [gql / bare for bare, gql in pairs]
        ratio = statistics.median(ratios)
        medians.append(ratio)
        verdict = "stretch met" if ratio >= STRETCH else "met" if ratio >= TARGET else "MISSED"
        print(
            f"[{label}] {name:<12}{statistics.median(b for b, _ in pairs):>13,.0f}"
            f"{statistics.median(g for _, g in pairs):>15,.0f}{ratio:>7.3f}x"
            f"{min(ratios):>8.3f}-{max(ratios):.3f}  {verdict}",
            flush=True,
        )
    print(
        f"[{label}] reference: {{ __typename }} with the token checked "
        f"{statistics.median(trivial_rates):,.0f} req/s"
    )
    return medians


def _load_average() -> str:
    try:
        return " ".join(Path("/proc/loadavg").read_text().split()[:3])
    except OSError:
        return "unknown"


async def measure(backend: str, options: argparse.Namespace) -> bool:
    label = backend
    started = time.perf_counter()
    async with database(backend) as (url, sqlite_path):
        seeded = await seed(url, sqlite_path, options.requests, label)
        answers = await in_process(url, seeded, options.runs, label)
        ratios = await over_http(backend, url, seeded, answers, options, label)
    print(f"[{label}] wall clock {time.perf_counter() - started:.0f} s", flush=True)
    return all(ratio >= TARGET for ratio in ratios)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--backend", choices=["sqlite", "postgres", "both"], default="both")
    parser.add_argument("--requests", type=int, default=120_000)
    parser.add_argument("--seconds", type=int, default=4, help="per load")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--runs", type=int, default=200, help="runs per in-process median")
    parser.add_argument(
        "--client",
        choices=["wrk", "python"],
        default="wrk" if shutil.which("wrk") else "python",
        help="the load generator (default: wrk when installed)",
    )
    options = parser.parse_args()
    if options.backend != "both":
        sys.exit(0 if asyncio.run(measure(options.backend, options)) else 1)
    # Tortoise compiles statements once per process and connection name: one process each.
    failed = []
    for backend in ("sqlite", "postgres"):
        command = [sys.executable, "-m", "bench.graphql_lists", "--backend", backend]
        for name in ("requests", "seconds", "rounds", "runs", "client"):
            command += [f"--{name}", str(getattr(options, name))]
        if subprocess.run(command, check=False).returncode != 0:  # noqa: S603
            failed.append(backend)
    if failed:
        sys.exit(f"targets missed or failed: {', '.join(failed)}")


if __name__ == "__main__":
    main()
