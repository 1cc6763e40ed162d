"""The project dashboards' figures (CONTRACT.md §5): usage, tokens, per-user activity.

Each report runs only the queries its selected fields need, each at most once, however many
fields share it (GraphQL resolves sibling fields concurrently).
"""

import asyncio
from collections import defaultdict
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any, TypeVar

from resolvers.aggregates import Dimension, Group, Sums, UsageFilter
from resolvers.figure_cache import Aggregator
from resolvers.time_range import Window

T = TypeVar("T")
NONE_KEY = 0  # requests without an assistant (or user) are grouped under key 0


class Memo:
    """Runs each named computation once and shares the result between concurrent callers."""

    def __init__(self) -> None:
        self._tasks: dict[str, asyncio.Future[Any]] = {}

    async def once(self, name: str, compute: Callable[[], Awaitable[T]]) -> T:
        task = self._tasks.get(name)
        if task is None:
            task = asyncio.ensure_future(compute())
            self._tasks[name] = task
        result: T = await task
        return result


@dataclass(frozen=True)
class Share:
    key: int  # assistant or model id; NONE_KEY for "no assistant"
    sums: Sums


def by_cost(shares: dict[int, Sums]) -> list[Share]:
    """Highest cost first; ties by id, so the order never depends on the database."""
    ordered = sorted(shares.items(), key=lambda item: (-item[1].cost_nanos, item[0]))
    return [Share(key, sums) for key, sums in ordered]


class Report:
    """Figures of one project, filter and window, each computed once."""

    def __init__(
        self, project_id: int, filters: UsageFilter, window: Window, aggregate: Aggregator
    ) -> None:
        self.project_id = project_id
        self.filters = filters
        self.window = window
        self._aggregate = aggregate
        self._memo = Memo()


class UsageReport(Report):
    """``usage`` and ``tokenUsage``."""

    async def timeline(self) -> list[tuple[datetime, Sums]]:
        return await self._memo.once("timeline", self._timeline)

    async def totals(self) -> Sums:
        total = Sums()
        for _, sums in await self.timeline():
            total.add(sums)
        return total

    async def previous(self) -> Sums:
        async def compute() -> Sums:
            start, end = self.window.previous()
            total = Sums()
            for group in await self._aggregate(self.project_id, self.filters, start, end):
                total.add(group.sums)
            return total

        return await self._memo.once("previous", compute)

    async def by_assistant_and_model(self) -> list[Group]:
        async def compute() -> list[Group]:
            dims = (Dimension.ASSISTANT, Dimension.MODEL)
            return await self._aggregate(
                self.project_id, self.filters, self.window.start, self.window.end, dims
            )

        return await self._memo.once("assistant_model", compute)

    async def by_assistant(self) -> list[Share]:
        return by_cost(_sum_by(await self.by_assistant_and_model(), 0))

    async def by_model(self) -> list[Share]:
        return by_cost(_sum_by(await self.by_assistant_and_model(), 1))

    async def _timeline(self) -> list[tuple[datetime, Sums]]:
        window = self.window
        buckets = [Sums() for _ in window.starts]
        groups = await self._aggregate(
            self.project_id, self.filters, window.start, window.end, (), window
        )
        for group in groups:
            assert group.bucket is not None
            buckets[group.bucket].add(group.sums)
        return list(zip(window.starts, buckets, strict=True))


def _sum_by(groups: list[Group], position: int) -> dict[int, Sums]:
    shares: dict[int, Sums] = defaultdict(Sums)
    for group in groups:
        shares[group.keys[position]].add(group.sums)
    return shares
