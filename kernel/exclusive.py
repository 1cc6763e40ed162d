"""One process at a time, across workers and replicas: for the jobs ``comptroller serve``
runs on a timer (retention, webhook delivery rounds), which every worker schedules but only
one may run at once.

PostgreSQL: a session advisory lock, held on one pooled connection for the job's length and
released when the job ends (or when the connection drops with a crashed process). SQLite
serves one host: an exclusive ``flock`` on a file beside the database does the same across
that host's processes.
"""

import fcntl
import hashlib
import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from tortoise import connections
from tortoise.backends.base.client import BaseDBAsyncClient


def lock_key(name: str) -> int:
    """A stable signed 64-bit key for ``name`` (advisory locks are keyed by a bigint)."""
    digest = hashlib.sha256(f"comptroller:{name}".encode()).digest()
    return int.from_bytes(digest[:8], "big", signed=True)


@asynccontextmanager
async def exclusive(name: str, connection: BaseDBAsyncClient | None = None) -> AsyncIterator[bool]:
    """Yields True when this process holds the lock named ``name`` (until the block ends),
    False at once when another holds it: the caller then skips its round."""
    client = connection or connections.get("default")
    if client.capabilities.dialect == "postgres":
        async with client.acquire_connection() as raw:
            held = bool(await raw.fetchval("SELECT pg_try_advisory_lock($1)", lock_key(name)))
            try:
                yield held
            finally:
                if held:
                    await raw.execute("SELECT pg_advisory_unlock($1)", lock_key(name))
        return
    path = f"{_sqlite_path(client)}.{name}.lock"
    descriptor = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        try:
            fcntl.flock(descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            yield False
            return
        try:
            yield True
        finally:
            fcntl.flock(descriptor, fcntl.LOCK_UN)
    finally:
        os.close(descriptor)


def _sqlite_path(client: Any) -> str:
    filename = str(client.filename)
    # An in-memory database has no other process to share it with: a per-process file.
    return filename if filename != ":memory:" else f"/tmp/comptroller-memory-{os.getpid()}"  # noqa: S108
