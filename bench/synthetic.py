"""Synthetic requests at scale for the benchmarks: a realistic project (models, assistants,
API tokens, 200 members) and a fast bulk loader (SQLite ``executemany``, PostgreSQL ``COPY``)
that drops and rebuilds the secondary indexes and builds the rollups (the per-user quarter
hours from the requests, every other table from a finer one)."""

import math
import random
import sqlite3
import tempfile
import time
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import asyncpg
from tortoise.backends.base.client import BaseDBAsyncClient

from kernel.cache import ResultCache
from models import ProjectRole
from models.request import REQUEST_COLUMNS
from resolvers.rollup_rebuild import bulk_rollups_sql
from resolvers.rollups import BULK_SOURCES, TABLES
from tests.support.backends import postgres_database
from tests.support.factories import (
    grant,
    make_api_token,
    make_assistant,
    make_model,
    make_project,
    make_user,
)

HISTORY_DAYS = 30
CHUNK = 100_000
OTHER_PROJECTS = 9
USERS = 200
TOKENS = 5
ERROR_RATE = 0.03
NO_ASSISTANT_RATE = 0.05  # direct API calls
NO_USER_RATE = 0.10  # batch jobs acting for nobody
OFF_MODEL_RATE = 0.05  # an assistant A/B-tested on its alternative model
OFF_TOKEN_RATE = 0.03  # an assistant called through another gateway's token
POOL_BITS = 16  # 65,536 precomputed row tails per project: one random draw per row


# Input and output USD per million tokens of the 8 models.
MODEL_PRICES = (
    (2.5, 10.0), (0.15, 0.6), (3.0, 15.0), (0.8, 4.0),
    (15.0, 75.0), (1.25, 10.0), (0.1, 0.4), (0.5, 1.5),
)  # fmt: skip
ASSISTANT_WEIGHTS = (0.28, 0.18, 0.13, 0.1, 0.08, 0.07, 0.06, 0.05, 0.03, 0.02)


# UTC hour -> relative traffic: a working day with a lunch dip and a quiet night.
HOUR_WEIGHTS = (
    *(0.05, 0.04, 0.03, 0.03, 0.04, 0.08, 0.18, 0.4, 0.75, 1.0, 1.0, 0.95),
    *(0.7, 0.9, 1.0, 0.95, 0.85, 0.6, 0.4, 0.3, 0.25, 0.18, 0.12, 0.08),
)
WEEKEND_FACTOR = 0.25
PROMPTS = (
    "Summarize this support ticket.", "Translate into German.", "Write the SQL for it.",
    "What is the refund policy?", "Draft a polite reply.", "Explain this stack trace.",
)  # fmt: skip
ANSWERS = (
    "The customer asks for a callback.", "Vielen Dank fuer Ihre Nachricht.",
    "SELECT id FROM invoices WHERE paid_at IS NULL;", "Refunds are pro rata within 30 days.",
    "Thank you; unfortunately I cannot attend.", "An unset configuration value.",
)  # fmt: skip
ERRORS = ("upstream timeout after 30s", "rate limited by provider", "context length exceeded")


# The loader writes the first four per row and a precomputed tail for the rest.
COLUMNS = REQUEST_COLUMNS
HEAD = COLUMNS[:4]
assert HEAD == ("project_id", "external_id", "created_at", "recorded_at")
TAIL = COLUMNS[4:]


def rollups_sql(postgres: bool) -> list[str]:
    """Every rollup table, each from its bulk source: the per-user quarter hours from the
    requests, every other table from a finer one (fewer rows to read each time)."""
    return [bulk_rollups_sql(table, postgres) for table in BULK_SOURCES]


@dataclass
class World:
    project_id: int
    viewer_secret: str
    assistant_ids: list[int]
    # Per project id: precomputed row tails (the TAIL columns), drawn at random per row.
    pools: dict[int, list[tuple[object, ...]]]
    other_project_ids: list[int]


async def make_world(rng: random.Random) -> World:
    """Projects, models, assistants, API tokens, 200 members and the viewer, via the ORM."""
    project = await make_project()
    models = [await make_model(i, o) for i, o in MODEL_PRICES]
    assistants = [
        await make_assistant(project, model=models[index % len(models)])
        for index in range(len(ASSISTANT_WEIGHTS))
    ]
    tokens = [(await make_api_token(project))[0].id for _ in range(TOKENS)]
    users = []
    for _ in range(USERS):
        user, _ = await make_user()
        await grant(user, project, ProjectRole.ASSISTANT_USER)
        users.append(user.id)
    viewer, secret = await make_user()
    await grant(viewer, project, ProjectRole.PROJECT_MEMBER)

    prices = {
        m.id: (m.input_price_per_million_nanos, m.output_price_per_million_nanos) for m in models
    }
    model_ids = [m.id for m in models]
    user_weights = [1 / (rank + 1) ** 0.8 for rank in range(USERS)]
    assistant_ids = [a.id for a in assistants]
    # Each assistant: its own model, an alternative one, and the gateway token it comes through.
    primary = {a.id: models[i % len(models)].id for i, a in enumerate(assistants)}
    alternative = {a.id: models[(i + 3) % len(models)].id for i, a in enumerate(assistants)}
    home_token = {a.id: tokens[i % len(tokens)] for i, a in enumerate(assistants)}

    def tail(assistant: int | None, model: int, token: int, user: int | None) -> tuple[object, ...]:
        failed = rng.random() < ERROR_RATE
        input_tokens = int(rng.lognormvariate(6.5, 1.0))
        output_tokens = 0 if failed else int(rng.lognormvariate(5.3, 0.9))
        input_price, output_price = prices[model]
        cost = (input_tokens * input_price + output_tokens * output_price + 500_000) // 1_000_000
        values: dict[str, object] = {
            "status": "ERROR" if failed else "SUCCESS",
            "duration_ms": int(rng.lognormvariate(6.5, 0.8)),
            "assistant_id": assistant,
            "model_id": model,
            "api_token_id": token,
            "user_id": user,
            "input_tokens": input_tokens,
            "output_tokens": output_tokens,
            "cost_nanos": cost,
            "input_price_per_million_nanos": input_price,
            "output_price_per_million_nanos": output_price,
            "input": rng.choice(PROMPTS) if rng.random() < 0.8 else None,
            "output": None if failed or rng.random() < 0.2 else rng.choice(ANSWERS),
            "error_message": rng.choice(ERRORS) if failed else None,
        }
        return tuple(values[column] for column in TAIL)

    pool = []
    for _ in range(1 << POOL_BITS):
        member = None if rng.random() < NO_USER_RATE else rng.choices(users, user_weights)[0]
        if rng.random() < NO_ASSISTANT_RATE:
            pool.append(tail(None, rng.choice(model_ids), rng.choice(tokens), member))
            continue
        assistant = rng.choices(assistant_ids, ASSISTANT_WEIGHTS)[0]
        model = alternative[assistant] if rng.random() < OFF_MODEL_RATE else primary[assistant]
        token = rng.choice(tokens) if rng.random() < OFF_TOKEN_RATE else home_token[assistant]
        pool.append(tail(assistant, model, token, member))
    pools = {project.id: pool}
    other_ids = []
    for index in range(OTHER_PROJECTS):
        other = await make_project()
        model = model_ids[index % len(model_ids)]
        assistant = (await make_assistant(other, model=models[index % len(models)])).id
        token = (await make_api_token(other))[0].id
        pools[other.id] = [tail(assistant, model, token, None) for _ in range(1 << POOL_BITS)]
        other_ids.append(other.id)
    return World(project.id, secret, assistant_ids, pools, other_ids)


def hourly_counts(rng: random.Random, size: int, start: datetime) -> list[int]:
    """Rows per hour over HISTORY_DAYS: a working day's shape, quieter weekends."""
    weights = []
    for hour in range(HISTORY_DAYS * 24):
        moment = start + timedelta(hours=hour)
        weekend = WEEKEND_FACTOR if moment.weekday() >= 5 else 1.0
        weights.append(HOUR_WEIGHTS[moment.hour] * weekend)
    total = sum(weights)
    counts = [math.floor(size * weight / total) for weight in weights]
    for hour in rng.choices(range(len(counts)), weights, k=size - sum(counts)):
        counts[hour] += 1
    return counts


def generate_rows(
    rng: random.Random, world: World, size: int, end: datetime, share: float, as_text: bool
) -> Iterator[list[tuple[object, ...]]]:
    """Chunks of rows in time order (ids grow with created_at, as in production)."""
    start = end - timedelta(days=HISTORY_DAYS)
    base = start.timestamp()
    main = world.pools[world.project_id]
    others = [world.pools[i] for i in world.other_project_ids]
    bits = POOL_BITS
    chunk: list[tuple[object, ...]] = []
    number = 0
    for hour, count in enumerate(hourly_counts(rng, size, start)):
        offset = base + hour * 3600
        for moment in sorted(offset + 3600 * rng.random() for _ in range(count)):
            number += 1
            instant = datetime.fromtimestamp(moment, UTC)
            created: object = instant.isoformat(" ") if as_text else instant
            if share >= 1 or rng.random() < share:
                project_id, tail = world.project_id, main[rng.getrandbits(bits)]
            else:
                index = rng.randrange(OTHER_PROJECTS)
                project_id = world.other_project_ids[index]
                tail = others[index][rng.getrandbits(bits)]
            chunk.append((project_id, f"r{number:010d}", created, created, *tail))
            if len(chunk) == CHUNK:
                yield chunk
                chunk = []
    if chunk:
        yield chunk


class Clock:
    """Prints what a phase did and how long it took."""

    def __init__(self, label: str) -> None:
        self.label = label

    @contextmanager
    def phase(self, what: str, rows: int | None = None) -> Iterator[None]:
        start = time.perf_counter()
        yield
        seconds = time.perf_counter() - start
        rate = f", {rows / seconds:,.0f} rows/s" if rows else ""
        print(f"[{self.label}]   {what}: {seconds:.1f} s{rate}", flush=True)


def progress(label: str, done: int, total: int, started: float) -> None:
    elapsed = time.perf_counter() - started
    print(
        f"[{label}]   loaded {done:,} / {total:,} rows ({done / elapsed:,.0f} rows/s)",
        flush=True,
    )


def load_sqlite(
    path: Path, rows: Iterator[list[tuple[object, ...]]], size: int, clock: Clock
) -> None:
    """executemany in large transactions, secondary indexes dropped and rebuilt, rollups."""
    db = sqlite3.connect(path, isolation_level=None)
    try:
        # Nothing else has the file open: no journal while loading, WAL again afterwards.
        for pragma in ("journal_mode=OFF", "synchronous=OFF", "cache_size=-1000000"):
            db.execute(f"PRAGMA {pragma}")
        db.execute("PRAGMA temp_store=MEMORY")
        indexes = db.execute(
            "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND tbl_name = 'requests' "
            "AND sql IS NOT NULL"
        ).fetchall()
        for name, _ in indexes:
            db.execute(f'DROP INDEX "{name}"')
        insert = (
            f"INSERT INTO requests ({', '.join(COLUMNS)}) VALUES ({', '.join('?' * len(COLUMNS))})"
        )
        started = time.perf_counter()
        done = 0
        with clock.phase(f"{size:,} requests, executemany", size):
            for chunk in rows:
                db.execute("BEGIN")
                db.executemany(insert, chunk)
                db.execute("COMMIT")
                done += len(chunk)
                if done % (10 * CHUNK) == 0 or done == size:
                    progress(clock.label, done, size, started)
        with clock.phase(f"{len(indexes)} secondary indexes of requests rebuilt", size):
            for name, sql in indexes:
                with clock.phase(f"  {name}"):
                    db.execute(sql)
        with clock.phase(f"rollups ({', '.join(BULK_SOURCES)})", size):
            db.execute("BEGIN")
            for sql in rollups_sql(postgres=False):
                db.execute(sql)
            db.execute("COMMIT")
        with clock.phase("ANALYZE"):
            db.execute("ANALYZE")
        db.execute("PRAGMA journal_mode=WAL")
    finally:
        db.close()


async def load_postgres(
    url: str, rows: Iterator[list[tuple[object, ...]]], size: int, clock: Clock
) -> None:
    """COPY with the indexes and constraints of requests dropped and rebuilt, rollups."""
    db = await asyncpg.connect(url)
    try:
        await db.execute("SET maintenance_work_mem = '1GB'; SET synchronous_commit = off")
        constraints = await db.fetch(
            "SELECT conname, pg_get_constraintdef(oid) AS definition, contype FROM pg_constraint "
            "WHERE conrelid = 'requests'::regclass AND contype IN ('u', 'f') ORDER BY contype DESC"
        )
        indexes = await db.fetch(
            "SELECT indexname, indexdef FROM pg_indexes WHERE schemaname = current_schema() "
            "AND tablename = 'requests' AND indexname NOT IN "
            "(SELECT conname FROM pg_constraint WHERE conrelid = 'requests'::regclass)"
        )
        for index in indexes:
            await db.execute(f'DROP INDEX "{index["indexname"]}"')
        for constraint in constraints:
            await db.execute(f'ALTER TABLE requests DROP CONSTRAINT "{constraint["conname"]}"')
        started = time.perf_counter()
        done = 0
        with clock.phase(f"{size:,} requests, COPY", size):
            for chunk in rows:
                await db.copy_records_to_table("requests", records=chunk, columns=list(COLUMNS))
                done += len(chunk)
                if done % (10 * CHUNK) == 0 or done == size:
                    progress(clock.label, done, size, started)
        with clock.phase(f"{len(constraints)} constraints (unique, foreign keys) re-added", size):
            for constraint in constraints:
                with clock.phase(f"  {constraint['conname']}"):
                    await db.execute(
                        f'ALTER TABLE requests ADD CONSTRAINT "{constraint["conname"]}" '
                        f"{constraint['definition']}"
                    )
        with clock.phase(f"{len(indexes)} secondary indexes of requests rebuilt", size):
            for index in indexes:
                with clock.phase(f"  {index['indexname']}"):
                    await db.execute(index["indexdef"])
        with clock.phase(f"rollups ({', '.join(BULK_SOURCES)})", size):
            async with db.transaction():
                for sql in rollups_sql(postgres=True):
                    await db.execute(sql)
        with clock.phase("VACUUM ANALYZE + CHECKPOINT"):
            await db.execute("VACUUM (ANALYZE) requests")
            for table in TABLES:
                await db.execute(f"ANALYZE {table}")
            await db.execute("CHECKPOINT")
    finally:
        await db.close()


class NoCache(ResultCache):
    """Every read misses: each figure is computed from the database, every run."""

    async def get(self, key: str) -> Any:
        return None

    async def set(self, key: str, value: Any, ttl_seconds: int) -> None:
        return None


@asynccontextmanager
async def database(backend: str) -> AsyncIterator[tuple[str, Path | None]]:
    """(URL, SQLite file or None) of a fresh database, removed afterwards even on failure."""
    if backend == "sqlite":
        with tempfile.TemporaryDirectory(prefix="bench-request-log-") as folder:
            path = Path(folder) / "requests.db"
            yield f"sqlite://{path}", path
        return
    async with postgres_database() as url:
        yield url, None


async def report_sizes(connection: BaseDBAsyncClient, project_id: int, label: str) -> None:
    """Rows per rollup table; raises unless each sums every request of the project."""
    mark = "$1" if connection.capabilities.dialect == "postgres" else "?"
    _, rows = await connection.execute_query(
        f"SELECT COUNT(*) AS n FROM requests WHERE project_id = {mark}", [project_id]
    )
    requests = int(rows[0]["n"])
    sizes = []
    for table in TABLES:
        _, rows = await connection.execute_query(
            f"SELECT COUNT(*) AS n, COALESCE(SUM(requests), 0) AS requests FROM {table} "
            f"WHERE project_id = {mark}",
            [project_id],
        )
        if int(rows[0]["requests"]) != requests:
            raise RuntimeError(f"{table} counts {rows[0]['requests']:,} != {requests:,} requests")
        sizes.append(f"{int(rows[0]['n']):,} {table} rows")
    print(f"[{label}] benchmark project: {requests:,} requests, {', '.join(sizes)}", flush=True)
