"""The two backends every database test runs on, each with a real server over HTTP.

- ``sqlite``: an embedded SQLite file and the in-process cache (the demo's default).
- ``postgres``: a fresh PostgreSQL database and a Redis namespace (production's shape).

A backend is set up once per session: a new database migrated with ``comptroller init-db``,
then ``comptroller serve`` as a subprocess on a free port. The tests build their data with
the ORM in this process (factories) and talk to the server over HTTP.
"""

import asyncio
import os
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import asyncpg
import httpx
import redis.asyncio as aioredis

POSTGRES_ADMIN_URL = os.environ.get(
    "COMPTROLLER_TEST_POSTGRES_URL", "postgres://postgres@127.0.0.1:5432/postgres"
)
REDIS_URL = os.environ.get("COMPTROLLER_TEST_REDIS_URL", "redis://127.0.0.1:6379/0")
SERVER_START_SECONDS = 30


@dataclass(frozen=True)
class Backend:
    name: str
    database_url: str
    cache_url: str
    cache_namespace: str
    server_url: str
    log_path: Path

    def server_log(self) -> str:
        return self.log_path.read_text(errors="replace")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


async def postgres_and_redis_problem() -> str | None:
    """Why the PostgreSQL + Redis backend cannot run here, or None when it can."""
    try:
        connection = await asyncpg.connect(POSTGRES_ADMIN_URL, timeout=3)
        await connection.close()
    except (TimeoutError, OSError, asyncpg.PostgresError) as error:
        return f"PostgreSQL unreachable at {POSTGRES_ADMIN_URL}: {error}"
    client = aioredis.from_url(REDIS_URL, socket_connect_timeout=3)
    try:
        await client.ping()
    except (OSError, aioredis.RedisError) as error:
        return f"Redis unreachable at {REDIS_URL}: {error}"
    finally:
        await client.aclose()
    return None


def command_env(database_url: str, cache_url: str, namespace: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("COMPTROLLER_")}
    env.update(
        COMPTROLLER_DATABASE_URL=database_url,
        COMPTROLLER_CACHE_URL=cache_url,
        COMPTROLLER_CACHE_NAMESPACE=namespace,
        COMPTROLLER_LOG_LEVEL="INFO",
        # The webhook tests' receiver listens on 127.0.0.1, an address otherwise refused.
        COMPTROLLER_WEBHOOK_ALLOWED_HOSTS='["127.0.0.1"]',
    )
    return env


def run_cli(args: list[str], env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "comptroller", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


@asynccontextmanager
async def postgres_database() -> AsyncIterator[str]:
    name = f"comptroller_test_{uuid.uuid4().hex[:12]}"
    admin = await asyncpg.connect(POSTGRES_ADMIN_URL)
    try:
        await admin.execute(f'CREATE DATABASE "{name}"')
    finally:
        await admin.close()
    parts = urlsplit(POSTGRES_ADMIN_URL)
    try:
        yield urlunsplit(parts._replace(path=f"/{name}"))
    finally:
        admin = await asyncpg.connect(POSTGRES_ADMIN_URL)
        try:
            await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        finally:
            await admin.close()


@asynccontextmanager
async def serving(
    name: str, database_url: str, cache_url: str, workdir: Path, workers: int = 1
) -> AsyncIterator[Backend]:
    """Migrate the database, start ``comptroller serve`` on it, stop it afterwards."""
    namespace = f"comptroller-test-{uuid.uuid4().hex[:8]}"
    env = command_env(database_url, cache_url, namespace)
    migrated = run_cli(["init-db"], env)
    if migrated.returncode != 0:
        raise RuntimeError(f"init-db failed: {migrated.stdout}{migrated.stderr}")
    port = free_port()
    log_path = workdir / f"server-{name}-{port}.log"
    with log_path.open("w") as log:
        # Popen returns at once; the server's start-up is awaited below, not blocked on.
        process = subprocess.Popen(  # noqa: ASYNC220
            [
                sys.executable,
                "-m",
                "comptroller",
                "serve",
                "--port",
                str(port),
                "--workers",
                str(workers),
            ],
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    backend = Backend(
        name=name,
        database_url=database_url,
        cache_url=cache_url,
        cache_namespace=namespace,
        server_url=f"http://127.0.0.1:{port}",
        log_path=log_path,
    )
    try:
        await _wait_until_ready(backend, process)
        yield backend
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()


async def _wait_until_ready(backend: Backend, process: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + SERVER_START_SECONDS
    async with httpx.AsyncClient(base_url=backend.server_url) as client:
        while time.monotonic() < deadline:
            if process.poll() is not None:
                raise RuntimeError(f"server exited early:\n{backend.server_log()}")
            try:
                if (await client.get("/readyz")).status_code == 200:
                    return
            except httpx.TransportError:
                pass
            await asyncio.sleep(0.1)
    raise RuntimeError(f"server not ready after {SERVER_START_SECONDS}s:\n{backend.server_log()}")
