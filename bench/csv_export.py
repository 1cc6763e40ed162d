"""CSV export of the request log at scale: ``GET /exports/requests.csv`` over HTTP from a
live server, next to the database's own CSV of the same rows (SQLite's ``sqlite3 -csv``,
PostgreSQL's ``COPY (...) TO STDOUT WITH CSV`` through psql).

    .venv/bin/python -m bench.csv_export [--backend sqlite|postgres|both] [--size 1000000]

The data is bench.synthetic's (all rows in one project, loaded in bulk); the server is
``comptroller serve`` with one worker. Prints rows/s and peak RSS of each: for the export, the
server process's peak (VmHWM) and its RSS before the export; for the baselines, the peak of
the command (``/usr/bin/time``), which holds no more than a row at a time either.
"""

import argparse
import asyncio
import random
import re
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

import httpx
from tortoise import Tortoise

from bench.synthetic import Clock, database, generate_rows, load_postgres, load_sqlite, make_world
from comptroller.database import migrate_database, tortoise_config
from resolvers.request_export import EXPORT_FROM, export_columns
from tests.support.backends import command_env, free_port

READY_SECONDS = 60


def rss_kb(pid: int, field: str) -> int:
    status = Path(f"/proc/{pid}/status").read_text()
    found = re.search(rf"^{field}:\s+(\d+) kB", status, re.M)
    return int(found.group(1)) if found else 0


def baseline_sql(project_id: int) -> str:
    """The export's own SELECT (its columns, joins and order), for the database to write."""
    columns = ", ".join(column.sql for column in export_columns(with_content=False))
    return (
        f"SELECT {columns} {EXPORT_FROM} WHERE r.project_id = {int(project_id)} "
        "ORDER BY r.created_at DESC, r.id DESC"
    )


def timed_command(command: list[str], env: dict[str, str] | None = None) -> tuple[float, int, int]:
    """(seconds, peak RSS in kB, lines written) of a command writing CSV to stdout."""
    started = time.perf_counter()
    done = subprocess.run(  # noqa: S603 - our own fixed command line
        ["/usr/bin/time", "-f", "%M", *command],
        capture_output=True,
        env=env,
        check=True,
    )
    seconds = time.perf_counter() - started
    peak = int(done.stderr.decode().strip().splitlines()[-1])
    return seconds, peak, done.stdout.count(b"\n")


async def export_over_http(url: str, project_id: int, token: str, server_pid: int) -> None:
    before = rss_kb(server_pid, "VmRSS")
    lines = 0
    size = 0
    async with httpx.AsyncClient(timeout=600) as client:
        started = time.perf_counter()
        async with client.stream(
            "GET",
            f"{url}/exports/requests.csv",
            params={"project": str(project_id)},
            headers={"Authorization": f"Bearer {token}"},
        ) as reply:
            reply.raise_for_status()
            async for chunk in reply.aiter_bytes():
                lines += chunk.count(b"\n")
                size += len(chunk)
        seconds = time.perf_counter() - started
    peak = rss_kb(server_pid, "VmHWM")
    rows = lines - 1
    print(
        f"  export over HTTP: {rows:,} rows, {size / 1e6:,.0f} MB in {seconds:.1f} s = "
        f"{rows / seconds:,.0f} rows/s; server RSS {before / 1024:,.0f} MB before, "
        f"peak {peak / 1024:,.0f} MB",
        flush=True,
    )


async def measure(backend: str, size: int) -> None:
    label = f"{backend} {size:,}"
    clock = Clock(label)
    rng = random.Random(size)
    async with database(backend) as (url, sqlite_path):
        await migrate_database(url)
        await Tortoise.init(config=tortoise_config(url))
        try:
            world = await make_world(rng)
        finally:
            await Tortoise.close_connections()
        end = datetime.now(UTC).replace(microsecond=0)
        rows = generate_rows(rng, world, size, end, 1.0, as_text=sqlite_path is not None)
        with clock.phase("load", size):
            if sqlite_path is not None:
                load_sqlite(sqlite_path, rows, size, clock)
            else:
                await load_postgres(url, rows, size, clock)
        print(f"[{label}]", flush=True)
        sql = baseline_sql(world.project_id)
        if sqlite_path is not None:
            seconds, peak, lines = timed_command(
                ["sqlite3", "-csv", "-header", str(sqlite_path), sql]
            )
            name = "sqlite3 -csv"
        else:
            psql_url = url.replace("postgres://", "postgresql://", 1)
            copy = f"COPY ({sql}) TO STDOUT WITH (FORMAT csv, HEADER)"
            seconds, peak, lines = timed_command(["psql", "-X", "-q", psql_url, "-c", copy])
            name = "psql COPY TO STDOUT"
        print(
            f"  {name}: {lines - 1:,} rows in {seconds:.1f} s = {(lines - 1) / seconds:,.0f} "
            f"rows/s; peak RSS {peak / 1024:,.0f} MB",
            flush=True,
        )
        port = free_port()
        env = command_env(url, "memory://", "bench-csv")
        env["COMPTROLLER_LOG_LEVEL"] = "WARNING"
        # Started and left running while the export is awaited below.
        server = subprocess.Popen(  # noqa: S603, ASYNC220
            [sys.executable, "-m", "comptroller", "serve", "--port", str(port), "--workers", "1"],
            env=env,
        )
        try:
            base = f"http://127.0.0.1:{port}"
            await wait_ready(base)
            await export_over_http(base, world.project_id, world.viewer_secret, server.pid)
        finally:
            server.terminate()
            server.wait(timeout=20)


async def wait_ready(base: str) -> None:
    deadline = time.monotonic() + READY_SECONDS
    async with httpx.AsyncClient() as client:
        while time.monotonic() < deadline:
            try:
                if (await client.get(f"{base}/readyz")).status_code == 200:
                    return
            except httpx.TransportError:
                pass
            await asyncio.sleep(0.2)
    raise RuntimeError("server not ready")


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--backend", choices=["sqlite", "postgres", "both"], default="both")
    parser.add_argument("--size", type=int, default=1_000_000)
    args = parser.parse_args()
    if args.backend != "both":
        asyncio.run(measure(args.backend, args.size))
        return
    # One process per backend: Tortoise's models keep the SQL dialect of their first init.
    for backend in ("sqlite", "postgres"):
        command = [sys.executable, "-m", "bench.csv_export", "--backend", backend]
        subprocess.run([*command, "--size", str(args.size)], check=True)  # noqa: S603


if __name__ == "__main__":
    main()
