"""A lean HTTP/1.1 load generator: keep-alive connections, each sending one POST after
another and reading each answer whole, like ``wrk``.

The benchmarks run on the same cores as the server they measure, so the client must cost far
less than the server: httpx spends ~1 ms of CPU on a request, as much as a cached answer
costs the server. This one sends bytes encoded once and parses only the status line and
``Content-Length``, and checks that no answer failed.
"""

import asyncio
import json
import time
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit


@dataclass(frozen=True)
class LoadResult:
    requests: int
    seconds: float

    @property
    def per_second(self) -> float:
        return self.requests / self.seconds


def graphql_post(url: str, headers: dict[str, str], body: dict[str, Any]) -> bytes:
    """The bytes of one ``POST`` of a GraphQL request to ``url``."""
    parts = urlsplit(url)
    payload = json.dumps(body).encode()
    lines = [
        f"POST {parts.path or '/'} HTTP/1.1",
        f"Host: {parts.netloc}",
        "Content-Type: application/json",
        f"Content-Length: {len(payload)}",
        *(f"{name}: {value}" for name, value in headers.items()),
    ]
    return ("\r\n".join(lines) + "\r\n\r\n").encode() + payload


async def run_load(url: str, request: bytes, total: int, connections: int) -> LoadResult:
    """Send ``request`` ``total`` times over ``connections`` keep-alive connections; raises
    on any answer that is not a 200 without GraphQL errors."""
    parts = urlsplit(url)
    host, port = parts.hostname or "127.0.0.1", parts.port or 80
    remaining = iter(range(total))

    async def connection() -> None:
        reader, writer = await asyncio.open_connection(host, port)
        try:
            for _ in remaining:
                writer.write(request)
                head = await reader.readuntil(b"\r\n\r\n")
                status = head[9:12]
                length = _content_length(head)
                body = await reader.readexactly(length)
                if status != b"200" or b'"errors"' in body:
                    raise RuntimeError(f"failed answer {status!r}: {body[:300]!r}")
        finally:
            writer.close()

    started = time.perf_counter()
    await asyncio.gather(*(connection() for _ in range(connections)))
    return LoadResult(total, time.perf_counter() - started)


def _content_length(head: bytes) -> int:
    for line in head.split(b"\r\n"):
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length":
            return int(value)
    raise RuntimeError("an answer without Content-Length")
