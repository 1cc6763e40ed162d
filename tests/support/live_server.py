"""``comptroller serve`` in a subprocess on settings of a test's own, ready or not.

``tests.backends.serving`` migrates a database and waits for /readyz; the hardening tests
also need servers on a database that is down, behind, or about to go away, so this one
waits only for /healthz (the process is up) and takes any extra ``COMPTROLLER_*`` setting.
"""

import asyncio
import subprocess
import sys
import time
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx

from tests.support.backends import command_env, free_port

START_SECONDS = 30


@dataclass(frozen=True)
class LiveServer:
    url: str
    log_path: Path
    process: subprocess.Popen[bytes]

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")


def server_env(database_url: str, cache_url: str, **settings: str) -> dict[str, str]:
    env = command_env(database_url, cache_url, f"comptroller-test-{uuid.uuid4().hex[:8]}")
    env.update({f"COMPTROLLER_{name.upper()}": value for name, value in settings.items()})
    return env


@asynccontextmanager
async def live_server(
    env: dict[str, str], workdir: Path, *args: str, port: int | None = None
) -> AsyncIterator[LiveServer]:
    """Serve with ``env`` until the block ends; ``args`` go to ``comptroller serve``."""
    port = port or free_port()
    log_path = workdir / f"server-{port}-{uuid.uuid4().hex[:6]}.log"
    with log_path.open("w") as log:
        # Popen returns at once; the start-up is awaited below, not blocked on.
        process = subprocess.Popen(  # noqa: ASYNC220
            [sys.executable, "-m", "comptroller", "serve", "--port", str(port), *args],
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    server = LiveServer(f"http://127.0.0.1:{port}", log_path, process)
    try:
        await wait_until_up(server)
        yield server
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)


async def wait_until_up(server: LiveServer, path: str = "/healthz") -> None:
    deadline = time.monotonic() + START_SECONDS
    async with httpx.AsyncClient(base_url=server.url) as client:
        while time.monotonic() < deadline:
            if server.process.poll() is not None:
                raise RuntimeError(f"server exited early:\n{server.log()}")
            try:
                if (await client.get(path)).status_code == 200:
                    return
            except httpx.TransportError:
                pass
            await asyncio.sleep(0.1)
    raise RuntimeError(f"server not up after {START_SECONDS}s:\n{server.log()}")
