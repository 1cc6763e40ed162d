"""Ingestion throughput over HTTP: batches of 1,000 records with a project API token, through
``recordRequests`` (GraphQL) and ``POST /v1/requests`` (plain JSON), against a real
``comptroller serve`` subprocess, next to a raw bulk insert of the same rows into ``requests``
(the baseline), on SQLite and PostgreSQL (+ Redis).

    .venv/bin/python -m bench.ingestion [--backend sqlite|postgres|both] [--records 50000]
        [--route graphql|json|both] [--workers 1] [--concurrency 2] [--history-days 30]
        [--profile]

Prints records/s end to end per route for one sequential client and for ``--concurrency``
clients at once, the raw insert's rows/s (SQLite ``executemany`` in one transaction,
PostgreSQL ``COPY``) and the ratio API / raw, then checks that every record sent is stored
(exit 1 if not). Below the target (25,000 records/s) or with ``--profile`` it breaks one in-process
1,000-record batch into phases and prints a cProfile of ``schema.execute``.

Request bodies are JSON-encoded before the clock starts: the figure is the server's
throughput, not the client's encoder's (both share this machine's cores).
"""

import argparse
import asyncio
import gc
import random
import statistics
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from bench.ingestion_data import (
    BATCH,
    CLIENT_TOKENS,
    HISTORY,
    USERS,
    World,
    batches,
    body_of,
    make_records,
    make_world,
    raw_rows,
)
from bench.ingestion_phases import breakdown
from bench.ingestion_server import (
    PATHS,
    ROUTES,
    count_stored,
    measure_raw_insert,
    post_concurrently,
    run_each_backend,
    served,
)
from tests.support.backends import Backend

TARGET_RECORDS_PER_SECOND = 25_000
WARMUP_BATCHES = 2


# --- over HTTP --------------------------------------------------------------------------


@dataclass(frozen=True)
class Run:
    records: int
    seconds: float
    latencies_ms: list[float]

    @property
    def rate(self) -> float:
        return self.records / self.seconds


async def send(
    backend: Backend,
    route: str,
    secret: str,
    records: Sequence[dict[str, Any]],
    clients: int,
    label: str,
) -> Run:
    chunks = batches(records)
    bodies = [body_of(chunk, route) for chunk in chunks]
    sizes = [len(chunk) for chunk in chunks]
    print(
        f"  {route} {label}: {len(records):,} records in {len(chunks)} batches, "
        f"{clients} client(s)..."
    )
    start = time.perf_counter()
    in_order = await post_concurrently(backend, route, secret, bodies, sizes, clients)
    seconds = time.perf_counter() - start
    return Run(len(records), seconds, [ms for _, ms in in_order])


def describe(run: Run) -> str:
    latencies = sorted(run.latencies_ms)
    p95 = latencies[min(len(latencies) - 1, int(len(latencies) * 0.95))]
    tenth = max(1, len(run.latencies_ms) // 10)
    early = statistics.median(run.latencies_ms[:tenth])
    late = statistics.median(run.latencies_ms[-tenth:])
    return (
        f"{run.records:,} records in {run.seconds:.2f} s = {run.rate:,.0f} records/s "
        f"(per batch of {BATCH:,}: median {statistics.median(latencies):.0f} ms, "
        f"p95 {p95:.0f} ms; first/last tenth of the batches {early:.0f}/{late:.0f} ms)"
    )


@dataclass(frozen=True)
class Options:
    records: int  # per run
    workers: int
    concurrency: int  # clients in the second run
    routes: tuple[str, ...]
    history: timedelta  # the spread of createdAt
    profile: bool


async def measure(name: str, options: Options) -> bool:
    rng = random.Random(20_260_101)
    async with served(name, options.workers, "bench-ingestion-") as server:
        return await measure_on(name, server.backend, server.sqlite_path, rng, options)


async def measure_on(
    name: str, backend: Backend, sqlite_path: Path | None, rng: random.Random, options: Options
) -> bool:
    started = time.perf_counter()
    world = await make_world()
    print(
        f"[{name}] server {backend.server_url}, {options.workers} worker(s), cache "
        f"{backend.cache_url}; {len(world.models)} models, {len(world.assistants)} assistants, "
        f"{USERS} members, {1 + CLIENT_TOKENS} API tokens, createdAt over the last "
        f"{options.history} (setup {time.perf_counter() - started:.1f} s)"
    )
    sequential = await throughput(name, backend, sqlite_path, world, rng, options)
    one = sequential.get("graphql")
    if one is not None and (options.profile or one.rate < TARGET_RECORDS_PER_SECOND):
        # The records and rows above are gone; a small heap, as in the server, keeps the
        # cyclic garbage collector's full passes from inflating the in-process figures.
        gc.collect()
        gc.freeze()
        await breakdown(world, rng, name, statistics.median(one.latencies_ms))

    stored, rolled_up = await count_stored(world.project.id)
    raw_stored, _ = await count_stored(world.raw_project.id)
    ok = stored == world.sent and rolled_up == world.sent and raw_stored == world.raw_sent
    print(
        f"[{name}] check: {stored:,} rows stored for {world.sent:,} records accepted, rollups "
        f"count {rolled_up:,}, raw project {raw_stored:,} of {world.raw_sent:,}: "
        + ("OK" if ok else "FAILED")
    )
    print(f"[{name}] wall clock {time.perf_counter() - started:.1f} s")
    return ok


async def throughput(
    name: str,
    backend: Backend,
    sqlite_path: Path | None,
    world: World,
    rng: random.Random,
    options: Options,
) -> dict[str, Run]:
    """The HTTP runs and the raw insert; prints their figures, returns each route's
    sequential run. The routes take turns at each step, so neither gets the emptier table."""
    total, concurrency, routes, history = (
        options.records, options.concurrency, options.routes, options.history
    )  # fmt: skip
    now = datetime.now(UTC)
    records = {
        (route, step): make_records(rng, world, f"{route}-{step}", count, now, history)
        for route in routes
        for step, count in (("warm", WARMUP_BATCHES * BATCH), ("seq", total), ("conc", total))
    }
    encode_ms = {}
    for route in routes:
        encoding = time.perf_counter()
        body_of(records[route, "seq"][:BATCH], route)
        encode_ms[route] = (time.perf_counter() - encoding) * 1000

    runs: dict[tuple[str, str], Run] = {}
    for step, clients, label in (
        ("warm", 1, "warm-up"),
        ("seq", 1, "sequential"),
        ("conc", concurrency, "concurrent"),
    ):
        for route in routes:
            batch = records[route, step]
            runs[route, step] = await send(backend, route, world.secret, batch, clients, label)
            world.sent += len(batch)

    # The baseline: the rows of the first route's sequential run, in one transaction; and,
    # for scale, other rows committed per batch as the API must (one transaction a call).
    sqlite = sqlite_path is not None
    rows = raw_rows(world, records[routes[0], "seq"], sqlite=sqlite)
    raw = await measure_raw_insert(backend.database_url, sqlite_path, rows, len(rows))
    batched = make_records(rng, world, "raw", total, now, history)
    batched_rows = raw_rows(world, batched, sqlite=sqlite)
    batched_run = await measure_raw_insert(backend.database_url, sqlite_path, batched_rows, BATCH)
    world.raw_sent += len(rows) + len(batched_rows)
    raw_rate = len(rows) / raw.seconds
    raw_kind = "executemany" if sqlite else "COPY (asyncpg)"

    print(
        f"[{name}] raw insert ({raw_kind}, one transaction): {len(rows):,} rows in "
        f"{raw.seconds:.2f} s = {raw_rate:,.0f} rows/s; committed per {BATCH:,} rows: "
        f"{len(batched_rows) / batched_run.seconds:,.0f} rows/s"
    )
    for route in routes:
        one, many = runs[route, "seq"], runs[route, "conc"]
        print(f"[{name}] {route} ({PATHS[route]}), 1 client:  {describe(one)}")
        print(f"[{name}] {route} ({PATHS[route]}), {concurrency} clients: {describe(many)}")
        print(
            f"[{name}] {route} ratio API / raw: {one.rate / raw_rate:.3f} (1 client), "
            f"{many.rate / raw_rate:.3f} ({concurrency} clients); raw is "
            f"{raw_rate / one.rate:.1f}x faster than 1 client; client-side JSON encoding of "
            f"one batch (not timed): {encode_ms[route]:.1f} ms"
        )
    print(f"[{name}] summary, records/s (raw {raw_rate:,.0f} rows/s):")
    for route in routes:
        one, many = runs[route, "seq"], runs[route, "conc"]
        share = max(one.rate, many.rate) / TARGET_RECORDS_PER_SECOND
        verdict = "MEETS" if share >= 1 else "MISSES"
        print(
            f"  {route:<8} 1 client {one.rate:>8,.0f} ({one.rate / raw_rate:.2f} of raw)   "
            f"{concurrency} clients {many.rate:>8,.0f} ({many.rate / raw_rate:.2f} of raw)   "
            f"target {TARGET_RECORDS_PER_SECOND:,}: {verdict} ({share:.0%})"
        )
    return {route: runs[route, "seq"] for route in routes}


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--backend", choices=["sqlite", "postgres", "both"], default="both")
    parser.add_argument("--records", type=int, default=50_000, help="records per run")
    parser.add_argument("--workers", type=int, default=1, help="comptroller serve --workers")
    parser.add_argument("--concurrency", type=int, default=2, help="clients in the 2nd run")
    parser.add_argument("--route", choices=[*ROUTES, "both"], default="both")
    parser.add_argument(
        "--history-days",
        type=float,
        default=HISTORY.total_seconds() / 86_400,
        help="spread of createdAt (default 30: a backfill; a live gateway's span is seconds)",
    )
    parser.add_argument(
        "--profile", action="store_true", help="break down a GraphQL batch even when on target"
    )
    args = parser.parse_args()
    if args.records < BATCH or args.records % BATCH:
        parser.error(f"--records must be a positive multiple of {BATCH}")
    options = Options(
        records=args.records,
        workers=args.workers,
        concurrency=args.concurrency,
        routes=ROUTES if args.route == "both" else (args.route,),
        history=timedelta(days=args.history_days),
        profile=args.profile,
    )
    if args.backend != "both":
        ok = asyncio.run(measure(args.backend, options))
        if not ok:
            sys.exit("FAILED: the rows stored do not match the records sent")
        return
    arguments = ["--records", str(args.records), "--workers", str(args.workers)]
    arguments += ["--concurrency", str(args.concurrency), "--route", args.route]
    arguments += ["--history-days", str(args.history_days)]
    arguments += ["--profile"] if args.profile else []
    run_each_backend("bench.ingestion", arguments)


if __name__ == "__main__":
    main()
