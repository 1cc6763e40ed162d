"""The benchmarks' one way of timing: a median in milliseconds, after warm-up runs."""

import statistics
import time
from collections.abc import Awaitable, Callable
from typing import Any


async def median_ms(
    runs: int,
    action: Callable[[], Awaitable[Any]],
    warmups: int = 3,
    clock: Callable[[], float] = time.perf_counter,
) -> float:
    """Median of ``runs`` timed calls, after ``warmups`` untimed ones (parser and validation
    caches, policy answers, connections). ``clock``: wall time by default; ``time.process_time``
    gives the process's CPU time (its threads included: SQLite's), which the other work on a
    loaded machine does not inflate."""
    for _ in range(warmups):
        await action()
    samples = []
    for _ in range(runs):
        start = clock()
        await action()
        samples.append((clock() - start) * 1000)
    return statistics.median(samples)
