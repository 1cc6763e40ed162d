"""The request log at scale: first and deep pages and ``totalCount`` over 1M and 10M requests,
in process (``schema.execute`` as a PROJECT_MEMBER, authentication included), next to the
SQL the resolver runs replayed raw on the same connection (the baseline), on SQLite and
PostgreSQL.

    .venv/bin/python -m bench.request_log [--backend sqlite|postgres|both]
        [--sizes 1000000,10000000] [--runs 30] [--project-share 1.0]

Each size gets a fresh database: the small tables through the ORM, then the requests by a
bulk loader (SQLite ``executemany`` in large transactions, PostgreSQL ``COPY``) with the
secondary indexes (and, on PostgreSQL, the constraints) of ``requests`` dropped and rebuilt
afterwards, the rollups built by ``INSERT ... SELECT ... GROUP BY`` quarter hour (and the
daily ones from those, per UTC day), then ``ANALYZE`` (``VACUUM ANALYZE`` on PostgreSQL).
``--project-share`` is the fraction of the rows in the benchmark project (the rest spread over
9 other projects); by default all of them.

Prints the median of ``--runs`` runs in ms of each query, the raw-SQL baseline and the ratio,
whether it meets the target (20 ms), and the query plans of the statements of any query that
misses it (or of all with ``--explain``).
"""

import argparse
import asyncio
import random
import re
import subprocess
import sys
import time
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from strawberry import ID, Schema
from tortoise import Tortoise, connections
from tortoise.backends.base.client import BaseDBAsyncClient

from bench.synthetic import (
    ASSISTANT_WEIGHTS,
    ERROR_RATE,
    HISTORY_DAYS,
    MODEL_PRICES,
    NO_ASSISTANT_RATE,
    OTHER_PROJECTS,
    TOKENS,
    USERS,
    Clock,
    NoCache,
    World,
    database,
    generate_rows,
    load_postgres,
    load_sqlite,
    make_world,
    report_sizes,
)
from bench.timing import median_ms
from comptroller.database import migrate_database, tortoise_config
from comptroller.settings import REPOSITORY_ROOT
from kernel.authorization import Policy
from kernel.cache import ResultCache
from models import RequestStatus
from resolvers.request_log import RequestFilter, request_page
from schema import build_schema
from schema.context import build_context
from schema.request_filter import RequestFilterInput

TARGET_MS = 20.0
PAGE_SIZE = 50
WALK_PAGES = 100
RANGE_DAYS = 20

PAGE = """query($id: ID!, $filter: RequestFilter, $after: String) {
  project(id: $id) { requests(filter: $filter, first: 50, after: $after) {
    edges { node { id createdAt status cost model { name } } }
    pageInfo { endCursor hasNextPage } } } }"""
COUNT = """query($id: ID!, $filter: RequestFilter) {
  project(id: $id) { requests(filter: $filter) { totalCount } } }"""
DATA_TABLES = re.compile(
    r'\bFROM\s+"?(requests|usage_rollups|user_usage_rollups|usage_daily_rollups|'
    r"user_usage_daily_rollups)\b",
    re.I,
)


# --- the data ---------------------------------------------------------------------------


# --- the measurements -------------------------------------------------------------------


@contextmanager
def capturing(connection: BaseDBAsyncClient) -> Iterator[list[tuple[str, list[Any]]]]:
    """Every statement the connection's class executes meanwhile, with its parameters."""
    cls = type(connection)
    originals = {name: getattr(cls, name) for name in ("execute_query", "execute_query_dict")}
    captured: list[tuple[str, list[Any]]] = []

    def spy(method: Callable[..., Awaitable[Any]]) -> Callable[..., Awaitable[Any]]:
        async def spying(
            self: BaseDBAsyncClient, query: str, values: list[Any] | None = None
        ) -> Any:
            captured.append((query, list(values or [])))
            return await method(self, query, values)

        return spying

    for name, method in originals.items():
        setattr(cls, name, spy(method))
    try:
        yield captured
    finally:
        for name, method in originals.items():
            setattr(cls, name, method)


@dataclass
class Bench:
    label: str
    schema: Schema
    policy: Policy
    cache: ResultCache  # NoCache: what a query costs when its figures are not cached yet
    warm_cache: ResultCache
    connection: BaseDBAsyncClient
    world: World
    runs: int
    explain: bool
    misses: int = 0

    async def gql(
        self, document: str, variables: dict[str, Any], cache: ResultCache | None = None
    ) -> dict[str, Any]:
        context = await build_context(
            token=self.world.viewer_secret,
            policy=self.policy,
            cache=cache or self.cache,
            request_id="b",
        )
        result = await self.schema.execute(document, variables, context_value=context)
        assert result.errors is None, result.errors
        assert result.data is not None
        return result.data

    async def split(self, query_ms: float, filters: RequestFilter, after: str | None) -> None:
        """Where a page query's time goes: authentication, the resolver, the rest."""
        project_id = self.world.project_id

        async def context() -> None:
            await build_context(
                token=self.world.viewer_secret, policy=self.policy, cache=self.cache, request_id="b"
            )

        context_ms = await median_ms(self.runs, context)
        page_ms = await median_ms(
            self.runs, lambda: request_page(project_id, filters, PAGE_SIZE, after)
        )
        rest_ms = query_ms - context_ms - page_ms
        print(
            f"[{self.label}]   split: build_context {context_ms:.2f} ms + request_page() "
            f"{page_ms:.2f} ms (SQL and 50 Tortoise rows) + the rest {rest_ms:.2f} ms "
            "(GraphQL execution: permission, 50 nodes, model loader)"
        )

    async def measure(self, what: str, document: str, variables: dict[str, Any]) -> float:
        """Median ms of the query and of the data statements it runs, replayed raw."""
        with capturing(self.connection) as captured:
            await self.gql(document, variables)
        statements = [(sql, params) for sql, params in captured if DATA_TABLES.search(sql)]

        async def raw() -> None:
            for sql, params in statements:
                await self.connection.execute_query(sql, params)

        query_ms = await median_ms(self.runs, lambda: self.gql(document, variables))
        raw_ms = await median_ms(self.runs, raw)
        verdict = "OK" if query_ms <= TARGET_MS else "MISSES"
        print(
            f"[{self.label}] {what}: {query_ms:.2f} ms median of {self.runs} "
            f"(raw SQL, {len(statements)} statement(s): {raw_ms:.2f} ms, ratio "
            f"{query_ms / raw_ms:.1f}x) {verdict} <= {TARGET_MS:.0f} ms",
            flush=True,
        )
        if query_ms > TARGET_MS:
            self.misses += 1
        if query_ms > TARGET_MS or self.explain:
            for sql, params in statements:
                await self.show_plan(sql, params)
        return query_ms

    async def show_plan(self, sql: str, params: list[Any]) -> None:
        postgres = self.connection.capabilities.dialect == "postgres"
        prefix = "EXPLAIN (ANALYZE, BUFFERS) " if postgres else "EXPLAIN QUERY PLAN "
        _, rows = await self.connection.execute_query(prefix + sql, params)
        shown = ", ".join(_short(p) for p in params[:8]) + (", ..." if len(params) > 8 else "")
        print(f"      {sql[:300]}{'...' if len(sql) > 300 else ''}")
        print(f"      params: {shown}")
        for row in rows:
            line = row["QUERY PLAN"] if postgres else f"{row['id']}|{row['parent']} {row['detail']}"
            print(f"        {line}")


def _short(value: object) -> str:
    text = repr(value)
    return text if len(text) <= 40 else text[:37] + "..."


async def plain_count(
    connection: BaseDBAsyncClient, project_id: int, filters: dict[str, Any] | None
) -> tuple[str, list[Any]]:
    """The naive count of the same requests: a baseline for totalCount."""
    postgres = connection.capabilities.dialect == "postgres"
    params: list[Any] = [project_id]

    def mark(value: Any) -> str:
        params.append(value)
        return f"${len(params)}" if postgres else "?"

    where = ["project_id = " + ("$1" if postgres else "?")]
    if filters:
        ids = ", ".join(mark(int(i)) for i in filters["assistantIds"])
        where.append(f"assistant_id IN ({ids})")
        where.append(f"status = {mark(filters['status'])}")
        where.append(f"created_at >= {mark(datetime.fromisoformat(filters['from']))}")
        where.append(f"created_at < {mark(datetime.fromisoformat(filters['to']))}")
    return f"SELECT COUNT(*) AS n FROM requests WHERE {' AND '.join(where)}", params


async def run_queries(bench: Bench, end: datetime) -> None:
    world = bench.world
    start = (end - timedelta(days=RANGE_DAYS + 5)).replace(microsecond=0) + timedelta(
        minutes=7, seconds=13
    )
    filters = {
        "assistantIds": [str(world.assistant_ids[0])],
        "status": "SUCCESS",
        "from": start.isoformat(),
        "to": (start + timedelta(days=RANGE_DAYS)).isoformat(),
    }
    print(
        f"[{bench.label}] filter: assistantIds [{world.assistant_ids[0]}] (the busiest, "
        f"~{ASSISTANT_WEIGHTS[0] * (1 - NO_ASSISTANT_RATE):.0%} of the project's requests), "
        f"status SUCCESS, from {filters['from']} to {filters['to']} ({RANGE_DAYS} days)"
    )
    resolved = RequestFilterInput(
        assistant_ids=[ID(str(world.assistant_ids[0]))],
        status=RequestStatus.SUCCESS,
        from_=start,
        to=start + timedelta(days=RANGE_DAYS),
    ).validated()
    project = str(world.project_id)
    for name, chosen, plain in (
        ("3 filters", filters, resolved),
        ("no filter", None, RequestFilterInput().validated()),
    ):
        variables: dict[str, Any] = {"id": project, "filter": chosen}
        first_ms = await bench.measure(f"first page, {name}", PAGE, variables)
        await bench.split(first_ms, plain, None)

        walking = time.perf_counter()
        after: str | None = None
        for page in range(WALK_PAGES):
            data = await bench.gql(PAGE, {**variables, "after": after})
            info = data["project"]["requests"]["pageInfo"]
            if not info["hasNextPage"]:
                raise RuntimeError(f"only {page + 1} pages with {name}: too little data")
            after = info["endCursor"]
        walked = time.perf_counter() - walking
        print(
            f"[{bench.label}]   (walked {WALK_PAGES} pages in {walked:.2f} s, "
            f"{walked / WALK_PAGES * 1000:.1f} ms a page)"
        )
        deep_ms = await bench.measure(
            f"page {WALK_PAGES + 1} (deep), {name}", PAGE, {**variables, "after": after}
        )
        await bench.split(deep_ms, plain, after)

        count_ms = await bench.measure(f"totalCount, {name}, no cache", COUNT, variables)

        async def warm(variables: dict[str, Any] = variables) -> None:
            await bench.gql(COUNT, variables, bench.warm_cache)

        warm_ms = await median_ms(bench.runs, warm)
        print(
            f"[{bench.label}] totalCount, {name}, warm cache (memory, same data version): "
            f"{warm_ms:.2f} ms median of {bench.runs}"
        )
        data = await bench.gql(COUNT, variables)
        total = int(data["project"]["requests"]["totalCount"])
        sql, params = await plain_count(bench.connection, world.project_id, chosen)
        _, rows = await bench.connection.execute_query(sql, params)
        expected = int(rows[0]["n"])
        if total != expected:
            raise RuntimeError(f"totalCount {total:,} != COUNT(*) {expected:,} ({name})")

        async def naive(sql: str = sql, params: list[Any] = params) -> None:
            await bench.connection.execute_query(sql, params)

        naive_ms = await median_ms(bench.runs, naive)
        print(
            f"[{bench.label}]   totalCount = {total:,} (= COUNT(*)); plain COUNT(*) over "
            f"requests {naive_ms:.2f} ms ({naive_ms / count_ms:.1f}x the uncached totalCount query)"
        )


# --- one backend and size ---------------------------------------------------------------


async def measure(backend: str, size: int, runs: int, share: float, explain: bool) -> int:
    label = f"{backend} {size:,}"
    clock = Clock(label)
    rng = random.Random(size)
    started = time.perf_counter()
    async with database(backend) as (url, sqlite_path):
        await migrate_database(url)
        await Tortoise.init(config=tortoise_config(url))
        try:
            world = await make_world(rng)
        finally:
            await Tortoise.close_connections()
        main_rows = round(size * share) if share < 1 else size
        print(
            f"[{label}] {size:,} requests over the last {HISTORY_DAYS} days: "
            + (
                "all in the benchmark project"
                if share >= 1
                else f"~{main_rows:,} in the benchmark project, the rest in "
                f"{OTHER_PROJECTS} other projects"
            )
            + f"; {len(ASSISTANT_WEIGHTS)} assistants, {len(MODEL_PRICES)} models, "
            f"{TOKENS} API tokens, {USERS} users, {ERROR_RATE:.0%} errors",
            flush=True,
        )
        end = datetime.now(UTC).replace(microsecond=0)
        rows = generate_rows(rng, world, size, end, share, as_text=sqlite_path is not None)
        with clock.phase("load in total", size):
            if sqlite_path is not None:
                load_sqlite(sqlite_path, rows, size, clock)
            else:
                await load_postgres(url, rows, size, clock)

        await Tortoise.init(config=tortoise_config(url))
        try:
            connection = connections.get("default")
            await report_sizes(connection, world.project_id, label)
            bench = Bench(
                label=label,
                schema=build_schema(),
                policy=Policy(REPOSITORY_ROOT / "policy.polar"),
                cache=NoCache("memory://", "bench-cold"),
                warm_cache=ResultCache("memory://", "bench-warm"),
                connection=connection,
                world=world,
                runs=runs,
                explain=explain,
            )
            await run_queries(bench, end)
        finally:
            await Tortoise.close_connections()
    print(f"[{label}] wall clock {time.perf_counter() - started:.0f} s", flush=True)
    return bench.misses


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--backend", choices=["sqlite", "postgres", "both"], default="both")
    parser.add_argument(
        "--sizes", default="1000000,10000000", help="comma-separated numbers of requests"
    )
    parser.add_argument("--runs", type=int, default=30, help="runs per median")
    parser.add_argument(
        "--project-share",
        type=float,
        default=1.0,
        help="fraction of the requests in the benchmark project (the rest in 9 others)",
    )
    parser.add_argument("--explain", action="store_true", help="plans of every query")
    args = parser.parse_args()
    try:
        sizes = [int(size.replace("_", "")) for size in args.sizes.split(",")]
    except ValueError:
        parser.error("--sizes takes comma-separated integers")
    if not 0 < args.project_share <= 1:
        parser.error("--project-share must be in (0, 1]")
    if any(size * args.project_share < 50_000 for size in sizes):
        # 101 pages of 50 must match the filter (~17% of the benchmark project's requests).
        parser.error("each size x --project-share must be at least 50,000")
    backends = ["sqlite", "postgres"] if args.backend == "both" else [args.backend]
    if len(backends) == 1 and len(sizes) == 1:
        misses = asyncio.run(
            measure(backends[0], sizes[0], args.runs, args.project_share, args.explain)
        )
        print(f"[{backends[0]} {sizes[0]:,}] queries over {TARGET_MS:.0f} ms: {misses}")
        return
    # Tortoise compiles statements once per process and connection name, and each size wants
    # a fresh database: one process each.
    failed = []
    for backend in backends:
        for size in sizes:
            command = [sys.executable, "-m", "bench.request_log", "--backend", backend]
            command += ["--sizes", str(size), "--runs", str(args.runs)]
            command += ["--project-share", str(args.project_share)]
            command += ["--explain"] if args.explain else []
            if subprocess.run(command, check=False).returncode != 0:  # noqa: S603
                failed.append(f"{backend} {size:,}")
    if failed:
        sys.exit(f"FAILED: {', '.join(failed)}")


if __name__ == "__main__":
    main()
