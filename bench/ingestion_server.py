"""What the ingestion benchmarks share: a fresh database with ``comptroller serve`` on it,
batches posted over HTTP and checked, the raw insert they are measured against, and the
count of what was stored.

Each backend runs in its own process (``run_each_backend``): Tortoise compiles statements
once per process and connection name.
"""

import asyncio
import os
import sqlite3
import subprocess
import sys
import tempfile
import time
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path

import asyncpg
import httpx
from tortoise import Tortoise, connections
from tortoise.backends.base.config_generator import expand_db_url
from tortoise.backends.sqlite.client import SqliteClient

from bench.ingestion_data import batches
from comptroller.database import tortoise_config
from models.request import REQUEST_COLUMNS
from tests.support.backends import REDIS_URL, Backend, postgres_database, serving

ROUTES = ("graphql", "json")
PATHS = {"graphql": "/graphql", "json": "/v1/requests"}


@asynccontextmanager
async def database(backend: str, folder: Path) -> AsyncIterator[tuple[str, str, Path | None]]:
    """(database URL, cache URL, SQLite file) of a fresh database, dropped afterwards."""
    if backend == "sqlite":
        path = folder / "ingestion.db"
        yield f"sqlite://{path}", "memory://", path
        return
    async with postgres_database() as url:
        yield url, REDIS_URL, None


@dataclass(frozen=True)
class Served:
    backend: Backend
    sqlite_path: Path | None  # None on PostgreSQL


@asynccontextmanager
async def served(name: str, workers: int, prefix: str) -> AsyncIterator[Served]:
    """A fresh, migrated database of backend ``name`` with ``comptroller serve --workers``
    on it, and Tortoise connected to it in this process (for the world and the counts)."""
    with tempfile.TemporaryDirectory(prefix=prefix) as temp:
        folder = Path(temp)
        async with (
            database(name, folder) as (url, cache_url, sqlite_path),
            serving(name, url, cache_url, folder, workers=workers) as backend,
        ):
            await Tortoise.init(config=tortoise_config(url))
            try:
                yield Served(backend, sqlite_path)
            finally:
                await Tortoise.close_connections()


async def post_batches(
    backend: Backend, route: str, secret: str, bodies: Sequence[bytes], sizes: Sequence[int]
) -> list[tuple[float, float]]:
    """Send ``bodies`` one after the other on one connection: (start, latency in ms) each."""
    headers = {"authorization": f"Bearer {secret}", "content-type": "application/json"}
    latencies = []
    async with httpx.AsyncClient(base_url=backend.server_url, timeout=120) as client:
        for body, size in zip(bodies, sizes, strict=True):
            start = time.perf_counter()
            response = await client.post(PATHS[route], content=body, headers=headers)
            latencies.append((start, (time.perf_counter() - start) * 1000))
            check_response(backend, route, response, size)
    return latencies


async def post_concurrently(
    backend: Backend,
    route: str,
    secret: str,
    bodies: Sequence[bytes],
    sizes: Sequence[int],
    clients: int,
) -> list[tuple[float, float]]:
    """``bodies`` dealt round-robin to ``clients`` clients posting at once: (start, latency
    in ms) of each, in order of start."""
    results = await asyncio.gather(
        *(
            post_batches(backend, route, secret, bodies[index::clients], sizes[index::clients])
            for index in range(clients)
        )
    )
    return sorted(sample for latencies in results for sample in latencies)


def check_response(backend: Backend, route: str, response: httpx.Response, size: int) -> None:
    payload = response.json() if response.status_code == 200 else None
    if route == "graphql":
        stored = ((payload or {}).get("data") or {}).get("recordRequests") or {}
    else:
        stored = payload or {}
    if payload is None or payload.get("errors") or stored.get("accepted") != size:
        log_tail = backend.server_log()[-3000:]
        raise RuntimeError(
            f"{PATHS[route]} failed: HTTP {response.status_code} {response.text[:2000]}\n"
            f"server log (tail):\n{log_tail}"
        )


def sqlite_connection(path: Path) -> sqlite3.Connection:
    """A connection to the server's SQLite file with the pragmas the server's own Tortoise
    connection sets (read from Tortoise's client for the server's URL, not copied)."""
    credentials = expand_db_url(tortoise_config(f"sqlite://{path}")["connections"]["default"])
    settings = dict(credentials["credentials"])
    pragmas = SqliteClient(connection_name="bench", **settings).pragmas
    db = sqlite3.connect(path, isolation_level=None)
    for pragma, value in pragmas.items():
        db.execute(f"PRAGMA {pragma}={value}")
    return db


@dataclass(frozen=True)
class RawRun:
    seconds: float
    cpu_seconds: float  # the database's: SQLite's in this process, PostgreSQL's backends'


async def measure_raw_insert(
    database_url: str,
    sqlite_path: Path | None,
    rows: list[tuple[object, ...]],
    per_commit: int,
    table: str = "requests",
    writers: int = 1,
) -> RawRun:
    """Store ``rows`` in ``table`` (of REQUEST_COLUMNS), committing every ``per_commit``
    rows: executemany in a transaction (SQLite), or one COPY (PostgreSQL), per ``per_commit``
    rows. On PostgreSQL ``writers`` connections take the chunks round-robin, at once; SQLite
    has one writer at a time."""
    chunks = batches(rows, per_commit)
    if sqlite_path is not None:
        columns = ", ".join(REQUEST_COLUMNS)
        marks = ", ".join("?" * len(REQUEST_COLUMNS))
        db = sqlite_connection(sqlite_path)
        try:
            start, cpu = time.perf_counter(), time.process_time()
            for chunk in chunks:
                db.execute("BEGIN")
                db.executemany(f"INSERT INTO {table} ({columns}) VALUES ({marks})", chunk)
                db.execute("COMMIT")
            run = RawRun(time.perf_counter() - start, time.process_time() - cpu)
            # Leave the WAL as short as the server found it, for what is measured next.
            db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
            return run
        finally:
            db.close()
    opened = [await asyncpg.connect(database_url) for _ in range(writers)]
    try:
        pids = [connection.get_server_pid() for connection in opened]

        async def copy(connection: asyncpg.Connection, mine: Sequence[Sequence[object]]) -> None:
            for chunk in mine:
                await connection.copy_records_to_table(
                    table, records=chunk, columns=list(REQUEST_COLUMNS)
                )

        start, cpu = time.perf_counter(), sum(cpu_seconds(pid) for pid in pids)
        await asyncio.gather(
            *(copy(connection, chunks[index::writers]) for index, connection in enumerate(opened))
        )
        seconds = time.perf_counter() - start
        return RawRun(seconds, sum(cpu_seconds(pid) for pid in pids) - cpu)
    finally:
        for connection in opened:
            await connection.close()


async def count_stored(project_id: int, table: str = "requests") -> tuple[int, int]:
    """(rows of one project in ``table``, SUM(requests) of its ``usage_rollups``)."""
    connection = connections.get("default")
    mark = "?" if connection.capabilities.dialect == "sqlite" else "$1"
    _, rows = await connection.execute_query(
        f"SELECT COUNT(*) AS n FROM {table} WHERE project_id = {mark}", [project_id]
    )
    _, sums = await connection.execute_query(
        f"SELECT COALESCE(SUM(requests), 0) AS n FROM usage_rollups WHERE project_id = {mark}",
        [project_id],
    )
    return int(rows[0]["n"]), int(sums[0]["n"])


CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


def cpu_seconds(pid: int) -> float:
    """User and system CPU time of a process so far (0 once it is gone)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except (FileNotFoundError, ProcessLookupError):
        return 0.0
    fields = stat.rsplit(")", 1)[1].split()  # fields from the third (state) on
    return (int(fields[11]) + int(fields[12])) / CLOCK_TICKS


def server_pids(backend: Backend) -> list[int]:
    """The ``comptroller serve`` process of ``backend`` and its workers."""
    port = backend.server_url.rsplit(":", 1)[1]
    parents: dict[int, int] = {}
    serve = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            command = (entry / "cmdline").read_bytes().split(b"\0")
            stat = (entry / "stat").read_text()
        except (FileNotFoundError, ProcessLookupError, PermissionError):
            continue
        parents[int(entry.name)] = int(stat.rsplit(")", 1)[1].split()[1])
        if b"serve" in command and port.encode() in command:
            serve.append(int(entry.name))
    found = list(serve)
    for pid in found:  # grows while it is walked: children, then theirs
        found += [child for child, parent in parents.items() if parent == pid]
    return found


async def database_backend_pids() -> list[int]:
    """PostgreSQL's processes serving this database, but the one asking; none on SQLite."""
    connection = connections.get("default")
    if connection.capabilities.dialect != "postgres":
        return []
    _, rows = await connection.execute_query(
        "SELECT pid FROM pg_stat_activity WHERE datname = current_database() "
        "AND pid <> pg_backend_pid()"
    )
    return [int(row["pid"]) for row in rows]


class CpuMeter:
    """CPU seconds spent by the server (workers, and PostgreSQL's processes of its
    database) between ``start`` and ``stop``: a figure the other programs sharing the machine
    disturb less than the wall clock."""

    def __init__(self, backend: Backend) -> None:
        self.backend = backend
        self.started: dict[int, float] = {}

    async def pids(self) -> list[int]:
        return server_pids(self.backend) + await database_backend_pids()

    async def start(self) -> None:
        self.started = {pid: cpu_seconds(pid) for pid in await self.pids()}

    async def stop(self) -> float:
        """CPU seconds since ``start`` (a process that started since counts whole)."""
        now = {pid: cpu_seconds(pid) for pid in await self.pids()}
        return sum(seconds - self.started.get(pid, 0.0) for pid, seconds in now.items())


def run_each_backend(module: str, arguments: list[str]) -> None:
    """Run ``python -m module --backend B *arguments`` for SQLite, then PostgreSQL, each in
    its own process; exit 1 naming the backends that failed."""
    failed = []
    for backend in ("sqlite", "postgres"):
        command = [sys.executable, "-m", module, "--backend", backend, *arguments]
        if subprocess.run(command, check=False).returncode != 0:  # noqa: S603
            failed.append(backend)
    if failed:
        sys.exit(f"FAILED on {', '.join(failed)}")
