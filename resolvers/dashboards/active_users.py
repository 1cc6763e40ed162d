"""Distinct users per bucket (a user timeline), counted in the database where it can be.

A bucket that is exactly one UTC hour or one UTC day is one row per user in the per-user
rollup of that grain (the user alone): its distinct users are its rows, counted in SQL while
the rows stream in index order, so one row per bucket reaches Python (an hourly week: 168
rows where the users' hours are ~12k at 150k requests a month). Every other bucket (a local
day in New York, a week, a bucket cut by the range's edges, an hour of a half-hour zone) is
summed per user over its sources (``aggregate``) and its users counted in Python.
"""

from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta

from tortoise.backends.base.client import BaseDBAsyncClient

from kernel.raw_sql import Statement
from models import Request
from models.rollup import SUM_COLUMNS, USER_KEY, RollupSums
from resolvers.dashboards.aggregates import (
    Dimension,
    Group,
    UsageFilter,
    range_where,
    rollup_column,
    source_table,
)
from resolvers.dashboards.time_range import Window
from resolvers.dashboards.usage import NONE_KEY
from resolvers.rollups import ROLLUP_SUMS_SQL, START_OF, TABLES, Grain

_LENGTH = {Grain.HOUR: timedelta(hours=1), Grain.DAY: timedelta(days=1)}
# Runs of buckets counted one way or the other: each is an index range (or a statement) of
# its own. Past this many, the whole window is summed per user, as every bucket can be.
_MAX_RUNS = 16

Activity = tuple[int, RollupSums]  # distinct users, and the sums of requests with a user
Run = tuple[int, int]  # [first, last) bucket indexes


async def active_users(
    project_id: int,
    filters: UsageFilter,
    window: Window,
    per_user: Callable[[Window], Awaitable[list[Group]]],
    connection: BaseDBAsyncClient | None = None,
) -> list[Activity]:
    """Per bucket of ``window``: the users with a request in it, and those requests' sums.
    ``per_user`` sums a part of the window per (bucket, user) over every source (the
    report's, so that a pivot by day of the same days shares its scan)."""
    connection = connection or Request._meta.db

    found: list[Activity] = [(0, RollupSums()) for _ in window.starts]
    needed = frozenset(rollup_column(d) for d in (Dimension.USER, *filters.constraints()))
    counted: dict[Grain, list[Run]] = {}
    merged: list[Run] = []
    for index, grain in enumerate(_whole_grains(window, needed)):
        runs = merged if grain is None else counted.setdefault(grain, [])
        if runs and runs[-1][1] == index:
            runs[-1] = (runs[-1][0], index + 1)
        else:
            runs.append((index, index + 1))
    if sum(map(len, counted.values())) + len(merged) > _MAX_RUNS:
        counted, merged = {}, [(0, len(window.starts))]
    for grain, runs in counted.items():
        table = source_table(grain, True, needed)
        assert table is not None
        await _count(connection, table, project_id, filters, window, runs, found)
    for first, last in merged:
        await _merge(window, first, last, found, per_user)
    return found


def _whole_grains(window: Window, needed: frozenset[str]) -> list[Grain | None]:
    """Per bucket: the grain of the per-user rollup one of whose buckets it is exactly, or
    None."""
    # Only a table keyed by the user alone holds one row per user and bucket.
    tables = {
        grain: table
        for grain in _LENGTH
        if (table := source_table(grain, True, needed)) and TABLES[table].keys == USER_KEY
    }
    grains: list[Grain | None] = []
    for index, start in enumerate(window.starts):
        end = window.starts[index + 1] if index + 1 < len(window.starts) else window.end
        whole = None
        if window.start <= start:
            for grain, length in _LENGTH.items():
                if grain in tables and end - start == length and START_OF[grain](start) == start:
                    whole = grain
        grains.append(whole)
    return grains


async def _count(
    connection: BaseDBAsyncClient,
    table: str,
    project_id: int,
    filters: UsageFilter,
    window: Window,
    runs: list[Run],
    found: list[Activity],
) -> None:
    statement = Statement(connection)
    selects = []
    for first, last in runs:
        end = window.starts[last] if last < len(window.starts) else window.end
        where = range_where(statement, project_id, filters, "bucket_start",
                            window.starts[first], end)  # fmt: skip
        selects.append(
            f"SELECT bucket_start, COUNT(*) AS users, {ROLLUP_SUMS_SQL} FROM {table} "
            f"WHERE {where} AND user_key <> {NONE_KEY} AND requests <> 0 GROUP BY bucket_start"
        )
    _, rows = await connection.execute_query(" UNION ALL ".join(selects), statement.params)
    for row in rows:
        start = row[0]
        if isinstance(start, str):  # SQLite returns the stored text
            start = datetime.fromisoformat(start)
        found[window.index_of(start)] = (
            int(row[1]),
            RollupSums(*(int(row[2 + i]) for i in range(len(SUM_COLUMNS)))),
        )


async def _merge(
    window: Window,
    first: int,
    last: int,
    found: list[Activity],
    summed: Callable[[Window], Awaitable[list[Group]]],
) -> None:
    """Sum buckets ``[first, last)`` per (bucket, user) over every source, then count: a user
    active in two sources of one bucket (an edge and a day's row) is one user."""
    start = max(window.start, window.starts[first])
    end = window.starts[last] if last < len(window.starts) else window.end
    part = Window(start, end, window.zone_name, window.granularity, window.starts[first:last])
    users = [0] * (last - first)
    totals = [RollupSums() for _ in range(last - first)]
    for group in await summed(part):
        assert group.bucket is not None
        if group.keys[0] != NONE_KEY:
            users[group.bucket] += 1
            totals[group.bucket].add(group.sums)
    found[first:last] = list(zip(users, totals, strict=True))
