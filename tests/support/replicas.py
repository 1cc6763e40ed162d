"""A second ``comptroller serve`` on a backend's database and cache namespace: another
replica, to show that what one serves is what the other has just changed."""

import asyncio
import subprocess
import sys
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import httpx

from tests.support.backends import SERVER_START_SECONDS, Backend, command_env, free_port


@asynccontextmanager
async def replica(
    backend: Backend, workdir: Path, extra_env: dict[str, str] | None = None
) -> AsyncIterator[str]:
    """The base URL of another server process sharing ``backend``'s database and cache."""
    env = command_env(backend.database_url, backend.cache_url, backend.cache_namespace)
    env.update(extra_env or {})
    port = free_port()
    log_path = workdir / f"replica-{port}.log"
    with log_path.open("w") as log:
        process = subprocess.Popen(  # noqa: ASYNC220 - started here, awaited below
            [sys.executable, "-m", "comptroller", "serve", "--port", str(port)],
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    url = f"http://127.0.0.1:{port}"
    try:
        await _ready(url, process, log_path)
        yield url
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()


def _log(path: Path) -> str:
    return path.read_text(errors="replace")


async def _ready(url: str, process: subprocess.Popen[bytes], log_path: Path) -> None:
    deadline = time.monotonic() + SERVER_START_SECONDS
    async with httpx.AsyncClient(base_url=url) as client:
        while time.monotonic() < deadline:
            if process.poll() is not None:
                raise RuntimeError(f"replica exited early:\n{_log(log_path)}")
            try:
                if (await client.get("/readyz")).status_code == 200:
                    return
            except httpx.TransportError:
                pass
            await asyncio.sleep(0.1)
    raise RuntimeError(f"replica not ready:\n{_log(log_path)}")
