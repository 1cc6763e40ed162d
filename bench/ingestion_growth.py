"""Ingestion as the table grows: a stream of records (1M by default) in batches of 1,000
through a real ``comptroller serve``, next to a raw insert of the same rows, in the same
order, into a table with the same indexes, committed per batch, in the same run.

    .venv/bin/python -m bench.ingestion_growth [--backend sqlite|postgres|both]
        [--records 1000000] [--order time|random] [--route json|graphql] [--workers 1]
        [--clients 1]

Records carry text content and random (UUID) externalIds, as gateways send them.
``--order time`` is a live gateway (createdAt rising, a second of jitter); ``--order random``
a backfill (createdAt anywhere in the last 30 days). The stream is cut in tenths; each tenth
goes first through the API (``POST /v1/requests``, or ``recordRequests`` with ``--route
graphql``; ``--clients`` clients at once), then into the raw table (SQLite ``executemany``
in a transaction per batch; PostgreSQL one ``COPY`` per batch, from ``--raw-writers``
connections): both tables hold the same number of rows at every step. The raw table is
``requests`` cloned from the migrated schema (its columns, constraints and indexes, as the
database reports them), in the same database.

Prints per tenth the API's records/s, the raw insert's rows/s and the ratio API / raw, and
for each the hold (last tenth / first tenth), and the CPU time a batch cost the server (its
workers and PostgreSQL's processes) and the raw insert's database, a figure the other
programs on the machine disturb less than the rates; then checks that every record sent is stored
once and counted once in the rollups (exit 1 if not). Bodies and rows are made before the
clock starts.
"""

import argparse
import asyncio
import os
import random
import statistics
import sys
import time
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from tortoise import connections

from bench.ingestion_data import (
    BATCH,
    HISTORY,
    World,
    batches,
    body_of,
    make_record,
    make_world,
    raw_rows,
)
from bench.ingestion_server import (
    PATHS,
    ROUTES,
    CpuMeter,
    Served,
    count_stored,
    measure_raw_insert,
    post_concurrently,
    run_each_backend,
    served,
)
from tests.support.factories import make_api_token

TENTHS = 10
WARMUP_BATCHES = 2
RAW_TABLE = "raw_requests"
# A live gateway's records: one a millisecond, each up to this much earlier than its turn
# (calls that took longer are reported later).
LIVE_STEP = timedelta(milliseconds=1)
LIVE_JITTER = timedelta(seconds=1)


@dataclass(frozen=True)
class Options:
    records: int
    order: str  # time | random
    route: str  # json | graphql
    workers: int
    clients: int
    raw_writers: int
    seed: int


@dataclass
class Stream:
    """The records to send, made a tenth at a time (a million dicts would not fit well)."""

    world: World
    options: Options
    rng: random.Random
    start: datetime  # createdAt of the first record in time order
    made: int = 0

    def next_records(self, count: int) -> list[dict[str, Any]]:
        records = [self._record(self.made + offset) for offset in range(count)]
        self.made += count
        return records

    def _record(self, number: int) -> dict[str, Any]:
        rng = self.rng
        external_id = str(uuid.UUID(int=rng.getrandbits(128), version=4))
        if self.options.order == "time":
            created_at = self.start + LIVE_STEP * number - LIVE_JITTER * rng.random()
        else:
            created_at = self.start + HISTORY - HISTORY * rng.random()
        return make_record(rng, self.world, external_id, created_at)


@dataclass
class Tenth:
    rows_after: int  # rows in each table once the tenth is stored
    api_seconds: float
    raw_seconds: float
    api_cpu: float  # CPU seconds of the server: its workers, PostgreSQL's backends
    raw_cpu: float  # CPU seconds of the raw insert's database work
    latencies_ms: list[float] = field(default_factory=list)


async def clone_requests_table(table: str) -> None:
    """``table``: ``requests`` with its columns, constraints and indexes as the migrated
    database holds them, and no rows."""
    connection = connections.get("default")
    if connection.capabilities.dialect == "postgres":
        await connection.execute_script(
            f"CREATE TABLE {table} (LIKE requests INCLUDING ALL)"  # indexes, unique, defaults
        )
        return
    _, found = await connection.execute_query(
        "SELECT type, name, sql FROM sqlite_master WHERE tbl_name = 'requests' "
        "AND sql IS NOT NULL ORDER BY type = 'index'"
    )
    for kind, name, sql in (tuple(row) for row in found):
        statement = str(sql).replace('"requests"', f'"{table}"', 1)
        if kind == "index":
            statement = statement.replace(f'"{name}"', f'"{name}_{table}"', 1)
        await connection.execute_script(statement)


async def measure(name: str, options: Options) -> bool:
    async with served(name, options.workers, "bench-growth-") as server:
        return await measure_on(name, server, options)


async def measure_on(name: str, server: Served, options: Options) -> bool:
    started = time.perf_counter()
    backend, sqlite = server.backend, server.sqlite_path is not None
    world = await make_world()
    await clone_requests_table(RAW_TABLE)
    start = datetime.now(UTC) - LIVE_STEP * (options.records + WARMUP_BATCHES * BATCH)
    if options.order == "random":
        start = datetime.now(UTC) - HISTORY
    stream = Stream(world, options, random.Random(options.seed), start)
    project_id = world.project.id
    writers = 1 if sqlite else options.raw_writers
    meter = CpuMeter(backend)
    print(
        f"[{name}] {options.records:,} records, {options.order} order, {PATHS[options.route]}, "
        f"{options.workers} worker(s), {options.clients} client(s), raw insert by {writers} "
        f"connection(s); load average {_load()}"
    )

    async def through_both(records: list[dict[str, Any]]) -> Tenth:
        chunks = batches(records)
        bodies = [body_of(chunk, options.route) for chunk in chunks]
        sizes = [len(chunk) for chunk in chunks]
        rows = raw_rows(world, records, sqlite=sqlite, project_id=project_id)
        await meter.start()
        clock = time.perf_counter()
        samples = await post_concurrently(
            backend, options.route, world.secret, bodies, sizes, options.clients
        )
        api_seconds = time.perf_counter() - clock
        api_cpu = await meter.stop()
        world.sent += len(records)
        raw = await measure_raw_insert(
            backend.database_url, server.sqlite_path, rows, BATCH, RAW_TABLE, writers
        )
        world.raw_sent += len(rows)
        latencies = [ms for _, ms in samples]
        return Tenth(world.sent, api_seconds, raw.seconds, api_cpu, raw.cpu_seconds, latencies)

    await through_both(stream.next_records(WARMUP_BATCHES * BATCH))
    tenths = []
    for _ in range(TENTHS):
        # A token a tenth: each token's ingestion budget is 1M records an hour by default.
        world.recording_token, world.secret = await make_api_token(world.project)
        tenths.append(await through_both(stream.next_records(options.records // TENTHS)))
        print(f"  tenth {len(tenths)}: {_row(tenths[-1], options.records // TENTHS)}", flush=True)

    report(name, tenths, options)
    stored, rolled_up = await count_stored(project_id)
    raw_stored, _ = await count_stored(project_id, RAW_TABLE)
    ok = stored == world.sent and rolled_up == world.sent and raw_stored == world.raw_sent
    print(
        f"[{name}] check: {stored:,} rows stored for {world.sent:,} records accepted, rollups "
        f"count {rolled_up:,}, raw table {raw_stored:,} of {world.raw_sent:,}: "
        + ("OK" if ok else "FAILED")
    )
    print(f"[{name}] wall clock {time.perf_counter() - started:.0f} s; load average {_load()}")
    return ok


def _row(tenth: Tenth, records: int) -> str:
    api, raw = records / tenth.api_seconds, records / tenth.raw_seconds
    batches = records / BATCH
    return (
        f"{tenth.rows_after:>9,} rows  API {api:>7,.0f}/s  raw {raw:>7,.0f}/s  API/raw "
        f"{api / raw:.2f}  batch median {statistics.median(tenth.latencies_ms):.0f} ms; CPU "
        f"ms a batch: server {tenth.api_cpu / batches * 1000:.0f}, raw "
        f"{tenth.raw_cpu / batches * 1000:.0f}"
    )


def report(name: str, tenths: Sequence[Tenth], options: Options) -> None:
    records = options.records // TENTHS
    api = [records / tenth.api_seconds for tenth in tenths]
    raw = [records / tenth.raw_seconds for tenth in tenths]
    print(
        f"[{name}] per tenth of {records:,} records ({options.order} order, "
        f"{options.clients} client(s), {options.workers} worker(s)):"
    )
    print(
        "  tenth   rows after   API rec/s   raw rows/s   API/raw   CPU ms a batch: server"
        "   raw   raw/server"
    )
    per_batch = 1000 * BATCH / records
    for number, (tenth, a, r) in enumerate(zip(tenths, api, raw, strict=True), start=1):
        server_ms, raw_ms = tenth.api_cpu * per_batch, tenth.raw_cpu * per_batch
        print(
            f"  {number:>5}  {tenth.rows_after:>11,}  {a:>10,.0f}  {r:>11,.0f}  {a / r:>8.2f}"
            f"   {server_ms:>21.0f}  {raw_ms:>5.0f}  {raw_ms / server_ms:>10.2f}"
        )
    total = records * len(tenths)
    api_all = total / sum(tenth.api_seconds for tenth in tenths)
    raw_all = total / sum(tenth.raw_seconds for tenth in tenths)
    print(f"  all    {total:>11,}  {api_all:>10,.0f}  {raw_all:>11,.0f}  {api_all / raw_all:>8.2f}")
    ratios = [a / r for a, r in zip(api, raw, strict=True)]
    print(
        f"[{name}] hold (last tenth / first): API {api[-1] / api[0]:.2f}, raw "
        f"{raw[-1] / raw[0]:.2f}; API/raw lowest {min(ratios):.2f}, highest {max(ratios):.2f}"
    )


def _load() -> str:
    return " ".join(f"{figure:.1f}" for figure in os.getloadavg())


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--backend", choices=["sqlite", "postgres", "both"], default="both")
    parser.add_argument("--records", type=int, default=1_000_000)
    parser.add_argument("--order", choices=["time", "random"], default="time")
    parser.add_argument("--route", choices=list(ROUTES), default="json")
    parser.add_argument("--workers", type=int, default=1, help="comptroller serve --workers")
    parser.add_argument("--clients", type=int, default=1, help="clients posting at once")
    parser.add_argument(
        "--raw-writers", type=int, default=1, help="PostgreSQL connections of the raw insert"
    )
    parser.add_argument("--seed", type=int, default=20_260_101)
    args = parser.parse_args()
    if args.records < TENTHS * BATCH or args.records % (TENTHS * BATCH):
        parser.error(f"--records must be a positive multiple of {TENTHS * BATCH}")
    options = Options(
        records=args.records,
        order=args.order,
        route=args.route,
        workers=args.workers,
        clients=args.clients,
        raw_writers=args.raw_writers,
        seed=args.seed,
    )
    if args.backend != "both":
        if not asyncio.run(measure(args.backend, options)):
            sys.exit("FAILED: the rows stored do not match the records sent")
        return
    arguments = ["--records", str(args.records), "--order", args.order, "--route", args.route]
    arguments += ["--workers", str(args.workers), "--clients", str(args.clients)]
    arguments += ["--raw-writers", str(args.raw_writers)]
    run_each_backend("bench.ingestion_growth", [*arguments, "--seed", str(args.seed)])


if __name__ == "__main__":
    main()
