"""``userActivity``: who uses the project, how much, over time, and on what."""

from collections import defaultdict
from datetime import datetime
from enum import StrEnum

import msgspec

from models.rollup import RollupSums
from resolvers.dashboards.active_users import active_users
from resolvers.dashboards.aggregates import Dimension, Group
from resolvers.dashboards.buckets import Granularity, bucket_starts
from resolvers.dashboards.time_range import Window
from resolvers.dashboards.usage import NONE_KEY, Report


class PivotDimension(StrEnum):
    ASSISTANT = "ASSISTANT"
    MODEL = "MODEL"
    DAY = "DAY"


class PivotMeasure(StrEnum):
    COST = "COST"
    REQUESTS = "REQUESTS"
    TOKENS = "TOKENS"


# The figures are structs: cached as JSON arrays (figure_cache.py), compact as the rows.
class UserTotals(msgspec.Struct, frozen=True, array_like=True):
    user_id: int
    sums: RollupSums


class ActivityBucket(msgspec.Struct, frozen=True, array_like=True):
    start: datetime
    active_users: int
    cost_nanos: int  # of requests with a user
    requests: int  # with a user


class Pivot(msgspec.Struct, frozen=True, array_like=True):
    columns: list[tuple[str, int | datetime]]  # (key, assistant/model id or day start)
    rows: list[tuple[int, list[int], int]]  # (user id, values per column, total)


def measure_of(sums: RollupSums, measure: PivotMeasure) -> int:
    if measure is PivotMeasure.COST:
        return sums.cost_nanos
    if measure is PivotMeasure.REQUESTS:
        return sums.requests
    return sums.input_tokens + sums.output_tokens


class UserActivityReport(Report):
    """``userActivity``."""

    async def per_user(self) -> list[UserTotals]:
        """Every active user's totals (requests without a user are left out)."""

        async def compute() -> list[UserTotals]:
            # Grouped by the user alone: the per-user tiers without the other dimensions.
            totals = {
                group.keys[0]: group.sums
                for group in await self._groups((Dimension.USER,))
                if group.keys[0] != NONE_KEY
            }
            return [UserTotals(user_id, totals[user_id]) for user_id in sorted(totals)]

        return await self._figure("per_user", compute, list[UserTotals])

    async def top_users(self, measure: PivotMeasure, limit: int) -> list[UserTotals]:
        users = await self.per_user()
        ranked = sorted(users, key=lambda u: (-measure_of(u.sums, measure), u.user_id))
        return ranked[:limit]

    async def timeline(self) -> list[ActivityBucket]:
        async def compute() -> list[ActivityBucket]:
            window = self.window
            found = await active_users(self.project_id, self.filters, window, self._user_buckets)
            return [
                ActivityBucket(start, users, sums.cost_nanos, sums.requests)
                for start, (users, sums) in zip(window.starts, found, strict=True)
            ]

        return await self._figure("timeline", compute, list[ActivityBucket])

    async def pivot(self, columns: PivotDimension, measure: PivotMeasure) -> Pivot:
        async def compute() -> Pivot:
            return await self._pivot(columns, measure)

        name = f"pivot:{columns.value}:{measure.value}"
        return await self._figure(name, compute, Pivot)

    async def _pivot(self, columns: PivotDimension, measure: PivotMeasure) -> Pivot:
        cells: dict[int, dict[int | datetime, int]] = defaultdict(lambda: defaultdict(int))
        if columns is PivotDimension.DAY:
            days = self._days()
            for group in await self._user_buckets(days):
                assert group.bucket is not None
                day = days.starts[group.bucket]
                cells[group.keys[0]][day] += measure_of(group.sums, measure)
        else:
            position = 1 if columns is PivotDimension.ASSISTANT else 2
            for group in await self._user_assistant_model_groups():
                if group.keys[0] != NONE_KEY:
                    cells[group.keys[0]][group.keys[position]] += measure_of(group.sums, measure)
        present = sorted({column for row in cells.values() for column in row}, key=_column_order)
        rows = []
        for user_id, row in cells.items():
            values = [row.get(column, 0) for column in present]
            rows.append((user_id, values, sum(values)))
        rows.sort(key=lambda r: (-r[2], r[0]))
        return Pivot(columns=[(_column_key(c), c) for c in present], rows=rows)

    def _days(self) -> Window:
        """The window's local days (itself when its granularity is DAY)."""
        window = self.window
        if window.granularity is Granularity.DAY:
            return window
        days = bucket_starts(window.start, window.end, window.zone, Granularity.DAY)
        return Window(window.start, window.end, window.zone_name, Granularity.DAY, tuple(days))

    async def _user_assistant_model_groups(self) -> list[Group]:
        """Sums per (user, assistant, model): the pivots by assistant and by model, which a
        dashboard asks for together, share this one scan. An assistant mostly calls one
        model, so it reads about the rows that grouping by (user, assistant) would."""

        async def compute() -> list[Group]:
            return await self._groups((Dimension.USER, Dimension.ASSISTANT, Dimension.MODEL))

        # Not cached itself: the figures made from it are.
        return await self._memo.once("user_assistant_model", compute)

    async def _user_buckets(self, buckets: Window) -> list[Group]:
        """Sums per (bucket of ``buckets``, active user), over ``buckets``' range (the
        window's, or a part of it)."""

        async def compute() -> list[Group]:
            period = (buckets.start, buckets.end)
            groups = await self._groups((Dimension.USER,), buckets, period)
            return [g for g in groups if g.keys[0] != NONE_KEY]

        # Shared by the timeline (the buckets it cannot count in SQL) and a DAY pivot in one
        # request; not cached itself.
        name = f"user_buckets:{buckets.granularity}:{buckets.start}:{buckets.end}"
        return await self._memo.once(name, compute)


def _column_order(column: int | datetime) -> tuple[int, str]:
    if isinstance(column, datetime):
        return (0, column.isoformat())
    return (0, f"{column:020d}")


def _column_key(column: int | datetime) -> str:
    if isinstance(column, datetime):
        return column.isoformat()
    return "none" if column == NONE_KEY else str(column)
