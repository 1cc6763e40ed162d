"""The project dashboards' figures (CONTRACT.md §5): usage, tokens, per-user activity.

Each report runs only the queries its selected fields need, each at most once, however many
fields share it (GraphQL resolves sibling fields concurrently). Its figures go through the
cache whole; the groups they are computed from are not cached.
"""

import asyncio
from collections import defaultdict
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any, TypeVar

from models.rollup import RollupSums
from resolvers.dashboards.aggregates import Dimension, Group, UsageFilter, aggregate
from resolvers.dashboards.figure_cache import Aggregator, describe_filter, describe_window
from resolvers.dashboards.time_range import Window

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
    sums: RollupSums


def by_cost(shares: dict[int, RollupSums]) -> list[Share]:
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
        self._figures = aggregate
        self._memo = Memo()

    async def _figure(
        self,
        name: str,
        compute: Callable[[], Awaitable[T]],
        kind: type[T],
    ) -> T:
        """The figure ``name`` (which must say its arguments, a value of type ``kind``), once
        per report, cached."""
        # Reports name figures alike ("timeline"): the report's kind is part of the key.
        figure = f"{type(self).__name__}.{name}"
        described = [*describe_filter(self.filters), *describe_window(self.window), figure]

        async def cached() -> T:
            return await self._figures.figure(self.project_id, described, compute, kind)

        return await self._memo.once(name, cached)

    async def _groups(
        self,
        group_by: tuple[Dimension, ...],
        buckets: Window | None = None,
        period: tuple[datetime, datetime] | None = None,
    ) -> list[Group]:
        """Sums over the window (or ``period``), uncached: only figures are cached."""
        start, end = period or (self.window.start, self.window.end)
        return await aggregate(self.project_id, self.filters, start, end, group_by, buckets)


class UsageReport(Report):
    """``usage`` and ``tokenUsage``."""

    async def timeline(self) -> list[tuple[datetime, RollupSums]]:
        return await self._figure("timeline", self._timeline, list[tuple[datetime, RollupSums]])

    async def totals(self) -> RollupSums:
        total = RollupSums()
        for _, sums in await self.timeline():
            total.add(sums)
        return total

    async def previous(self) -> RollupSums:
        async def compute() -> RollupSums:
            total = RollupSums()
            for group in await self._groups((), period=self.window.previous()):
                total.add(group.sums)
            return total

        return await self._figure("previous", compute, RollupSums)

    async def by_assistant_and_model(self) -> list[Group]:
        async def compute() -> list[Group]:
            return await self._groups((Dimension.ASSISTANT, Dimension.MODEL))

        return await self._figure("assistant_model", compute, list[Group])

    async def by_assistant(self) -> list[Share]:
        return by_cost(_sum_by(await self.by_assistant_and_model(), 0))

    async def by_model(self) -> list[Share]:
        return by_cost(_sum_by(await self.by_assistant_and_model(), 1))

    async def _timeline(self) -> list[tuple[datetime, RollupSums]]:
        window = self.window
        buckets = [RollupSums() for _ in window.starts]
        for group in await self._groups((), window):
            assert group.bucket is not None
            buckets[group.bucket].add(group.sums)
        return list(zip(window.starts, buckets, strict=True))


def _sum_by(groups: list[Group], position: int) -> dict[int, RollupSums]:
    shares: dict[int, RollupSums] = defaultdict(RollupSums)
    for group in groups:
        shares[group.keys[position]].add(group.sums)
    return shares
