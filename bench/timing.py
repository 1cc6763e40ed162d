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


async def paired_median_ms(
    runs: int,
    action: Callable[[], Awaitable[Any]],
    baseline: Callable[[], Awaitable[Any]],
    warmups: int = 3,
) -> tuple[float, float]:
    """Medians of ``runs`` timed calls of ``action`` and of ``baseline``, taken in turns: on
    a machine whose load comes and goes, both medians see the same moments, and their ratio
    holds better than that of two medians taken one after the other."""
    for _ in range(warmups):
        await action()
        await baseline()
    samples: tuple[list[float], list[float]] = ([], [])
    for _ in range(runs):
        for timed, found in ((action, samples[0]), (baseline, samples[1])):
            start = time.perf_counter()
            await timed()
            found.append((time.perf_counter() - start) * 1000)
    return statistics.median(samples[0]), statistics.median(samples[1])
