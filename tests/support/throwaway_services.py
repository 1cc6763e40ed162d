"""A PostgreSQL cluster and a Redis server of a test's own, on free loopback ports, that the
test may stop and start at will (the machine's own servers on 5432 and 6379 are never
touched).

PostgreSQL: Debian's ``initdb``/``pg_ctl`` (under /usr/lib/postgresql/*/bin), run as the
``postgres`` user when the tests run as root (initdb refuses root), on a Unix socket in the
cluster's own directory and 127.0.0.1. Redis: ``redis-server`` with persistence off.
"""

import asyncio
import contextlib
import os
import shutil
import subprocess
import tempfile
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path

from tests.support.backends import free_port

START_SECONDS = 30


def postgres_binaries() -> Path:
    found = sorted(Path("/usr/lib/postgresql").glob("*/bin/pg_ctl"))
    if not found:
        raise RuntimeError("no PostgreSQL binaries under /usr/lib/postgresql/*/bin")
    return found[-1].parent


def _as_postgres(command: list[str]) -> list[str]:
    if os.geteuid() != 0:
        return command
    return ["runuser", "-u", "postgres", "--", *command]


@dataclass
class PostgresCluster:
    directory: Path
    port: int
    bin: Path = field(default_factory=postgres_binaries)

    @property
    def url(self) -> str:
        return f"postgres://postgres@127.0.0.1:{self.port}/postgres"

    def _pg_ctl(self, *args: str) -> None:
        subprocess.run(
            _as_postgres([str(self.bin / "pg_ctl"), "-D", str(self.directory / "data"), *args]),
            check=True,
            capture_output=True,
            timeout=START_SECONDS,
        )

    def start(self) -> None:
        """Start and wait until it accepts connections."""
        options = (
            f"-p {self.port} -c listen_addresses=127.0.0.1 -k {self.directory} "
            "-c fsync=off -c max_connections=50"
        )
        self._pg_ctl("-w", "-l", str(self.directory / "server.log"), "-o", options, "start")

    def stop(self, mode: str = "fast") -> None:
        """Stop it: ``fast`` rolls back open transactions and closes every connection;
        ``immediate`` is a crash."""
        self._pg_ctl("-w", "-m", mode, "stop")


def _cluster_directory() -> Path:
    # Not under pytest's tmp_path: the postgres user must be able to enter the directory.
    directory = Path(tempfile.mkdtemp(prefix="comptroller-pg-"))
    directory.chmod(0o700)
    if os.geteuid() == 0:
        shutil.chown(directory, "postgres")
    return directory


@asynccontextmanager
async def throwaway_postgres() -> AsyncIterator[PostgresCluster]:
    directory = await asyncio.to_thread(_cluster_directory)
    cluster = PostgresCluster(directory, free_port())
    try:
        await asyncio.to_thread(
            subprocess.run,
            _as_postgres(
                [
                    str(cluster.bin / "initdb"),
                    "-D",
                    str(directory / "data"),
                    "-U",
                    "postgres",
                    "--auth=trust",
                    "--no-sync",
                ]
            ),
            check=True,
            capture_output=True,
            timeout=120,
        )
        await asyncio.to_thread(cluster.start)
        yield cluster
    finally:
        with contextlib.suppress(subprocess.CalledProcessError):  # stopped by the test already
            await asyncio.to_thread(cluster.stop, "immediate")
        shutil.rmtree(directory, ignore_errors=True)


@dataclass
class RedisServer:
    port: int
    process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        self.process = subprocess.Popen(
            [
                "redis-server",
                "--port",
                str(self.port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + START_SECONDS
        while time.monotonic() < deadline:
            probe = subprocess.run(
                ["redis-cli", "-p", str(self.port), "ping"],
                capture_output=True,
                text=True,
                check=False,
            )
            if probe.stdout.strip() == "PONG":
                return
            time.sleep(0.05)
        raise RuntimeError(f"redis-server on {self.port} did not start")

    def stop(self) -> None:
        if self.process is not None:
            self.process.kill()
            self.process.wait(timeout=10)
            self.process = None


@asynccontextmanager
async def throwaway_redis() -> AsyncIterator[RedisServer]:
    server = RedisServer(free_port())
    await asyncio.to_thread(server.start)
    try:
        yield server
    finally:
        server.stop()
