"""The benchmarks' one way of timing: a median in milliseconds, after warm-up runs."""

import statistics
import time
from collections.abc import Awaitable, Callable
from typing import Any


async def median_ms(runs: int, action: Callable[[], Awaitable[Any]], warmups: int = 3) -> float:
    """Median of ``runs`` timed calls, after ``warmups`` untimed ones (parser and validation
    caches, policy answers, connections)."""
    for _ in range(warmups):
        await action()
    samples = []
    for _ in range(runs):
        start = time.perf_counter()
        await action()
        samples.append((time.perf_counter() - start) * 1000)
    return statistics.median(samples)
