"""Sums of requests over a range, grouped by dimensions and by a window's buckets.

Whole UTC days that lie inside one bucket are read from the daily rollups, whole hours that
do from the hourly ones where a table of that grain holds the dimensions needed (every one but
the user, or the user alone), the other whole quarter hours from the quarter-hour rollups,
and only the partial quarter hours at the edges of the range from raw rows
(``resolvers/dashboards/tiers.py``): one statement per source. Each grain's source is the
narrowest table holding every dimension the query groups or filters by: the user alone is
far fewer rows than the user with everything else. The cost of a dashboard therefore grows
with the number of buckets and dimension values, not with the number of requests.
PostgreSQL groups by bucket in SQL, so one row per bucket and dimension values reaches
Python; SQLite groups per rollup row start, and Python adds those up per bucket.
"""

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from functools import cache
from operator import add
from typing import Any

import msgspec
from tortoise.backends.base.client import BaseDBAsyncClient

from kernel.raw_sql import Statement
from models import Request, RequestStatus
from models.rollup import SUM_COLUMNS, RollupSums
from resolvers.dashboards.bucket_sql import bucket_index_sql, epoch_sql
from resolvers.dashboards.tiers import Span, plan_tiers, with_hours
from resolvers.dashboards.time_range import Window
from resolvers.rollups import REQUEST_SUMS_SQL, ROLLUP_SUMS_SQL, TABLES, Grain, quarter_hour_of


class Dimension(StrEnum):
    ASSISTANT = "assistant"
    MODEL = "model"
    API_TOKEN = "api_token"  # noqa: S105 - a dimension name, not a secret
    USER = "user"
    STATUS = "status"


# The column holding each dimension in the raw table and in the rollups (0 means "none").
_RAW = {
    Dimension.ASSISTANT: "COALESCE(assistant_id, 0)",
    Dimension.MODEL: "model_id",
    Dimension.API_TOKEN: "COALESCE(api_token_id, 0)",
    Dimension.USER: "COALESCE(user_id, 0)",
    Dimension.STATUS: "status",
}
_ROLLUP = {
    Dimension.ASSISTANT: "assistant_key",
    Dimension.MODEL: "model_id",
    Dimension.API_TOKEN: "api_token_key",
    Dimension.USER: "user_key",
    Dimension.STATUS: "status",
}


@dataclass(frozen=True)
class UsageFilter:
    """A validated ``UsageFilter``: ``None`` leaves a dimension open."""

    assistant_ids: tuple[int, ...] | None = None
    model_ids: tuple[int, ...] | None = None
    api_token_ids: tuple[int, ...] | None = None
    user_ids: tuple[int, ...] | None = None
    status: RequestStatus | None = None

    def constraints(self) -> dict[Dimension, tuple[Any, ...]]:
        found: dict[Dimension, tuple[Any, ...]] = {}
        for dimension, values in (
            (Dimension.ASSISTANT, self.assistant_ids),
            (Dimension.MODEL, self.model_ids),
            (Dimension.API_TOKEN, self.api_token_ids),
            (Dimension.USER, self.user_ids),
        ):
            if values is not None:
                found[dimension] = values
        if self.status is not None:
            found[Dimension.STATUS] = (self.status.value,)
        return found


class Group(msgspec.Struct, frozen=True, array_like=True):
    """One group's sums: ``bucket`` is its index in the window's buckets when asked for.
    A struct (cached as a JSON array), like the figures made from it."""

    bucket: int | None
    keys: tuple[Any, ...]
    sums: RollupSums = msgspec.field(default_factory=RollupSums)


# Where each group's sums accumulate over the sources, by (bucket index or None, its keys):
# one int per sum, in SUM_COLUMNS order.
Merged = dict[tuple[int | None, tuple[Any, ...]], list[int]]
_REQUESTS = SUM_COLUMNS.index("requests")
_LAST_SECOND = 86_399  # from a day's start
# Borrowing binds the filter up to 64 times a statement, whole days up to 17 times.
_MAX_VALUES_TO_BORROW = 200
_MAX_VALUES_FOR_DAYS = 1_000


def rollup_column(dimension: Dimension) -> str:
    """The column holding ``dimension`` in the rollups."""
    return _ROLLUP[dimension]


@cache
def source_table(grain: Grain, with_user: bool, needed: frozenset[str]) -> str | None:
    """The rollup table of ``grain`` to read: the one with the fewest key columns among those
    holding every column ``needed`` that keep the user when ``with_user`` (the others hold
    fewer rows for queries without it); None when that grain has none."""
    fitting = [
        (len(layout.keys), table)
        for table, layout in TABLES.items()
        if layout.grain is grain and layout.with_user == with_user and needed <= set(layout.keys)
    ]
    return min(fitting)[1] if fitting else None


async def aggregate(
    project_id: int,
    filters: UsageFilter,
    start: datetime,
    end: datetime,
    group_by: tuple[Dimension, ...] = (),
    buckets: Window | None = None,
    connection: BaseDBAsyncClient | None = None,
) -> list[Group]:
    """Sums of the matching requests with ``start <= created_at < end``, per group, and per
    bucket of ``buckets`` (a window from ``start`` to ``end``) when given; on ``connection``
    (a transaction's) when given, else the ORM's connection, whatever its name."""
    connection = connection or Request._meta.db
    with_user = Dimension.USER in group_by or filters.user_ids is not None
    needed = frozenset(_ROLLUP[d] for d in (*group_by, *filters.constraints()))
    daily, hourly, quarterly = (
        source_table(grain, with_user, needed) for grain in (Grain.DAY, Grain.HOUR, Grain.QUARTER)
    )
    # Every dimension is kept by the day and by the quarter hour.
    assert daily is not None
    assert quarterly is not None
    # PostgreSQL plans parallel workers for each statement (5-10 ms): for the rollups without
    # the user, whose quarter hours are few, borrowing's extra statement cost more than it
    # saved (a New York usage timeline, 1M requests). SQLite gains either way.
    borrow = with_user or connection.capabilities.dialect != "postgres"
    # Each span repeats the filter's values in its statement, which binds at most 32,766
    # values (SQLite; asyncpg 32,767): long id lists read fewer spans, or one as before.
    values = sum(len(v) for v in filters.constraints().values())
    plan = plan_tiers(start, end, buckets, borrow and values <= _MAX_VALUES_TO_BORROW,
                      values <= _MAX_VALUES_FOR_DAYS)  # fmt: skip
    if hourly is not None:
        plan = with_hours(plan, buckets)
    merged: Merged = {}
    # A day's row counts in the bucket of its start, or of its last second (a late day).
    days = [(span, 0) for span in plan.days] + [(span, _LAST_SECOND) for span in plan.late_days]
    for table, spans in (
        (daily, days),
        (hourly, [(span, 0) for span in plan.hours]),
        (quarterly, [(span, 0) for span in plan.quarters]),
    ):
        if spans:
            assert table is not None
            await _from_rollup(connection, table, project_id, filters, spans, group_by,
                               buckets, merged)  # fmt: skip
    for table, borrowed in ((quarterly, plan.borrowed), (hourly, plan.borrowed_hours)):
        if borrowed:
            assert buckets is not None, "only cut buckets borrow"
            assert table is not None
            await _subtract_borrowed(connection, table, project_id, filters, borrowed,
                                     group_by, buckets, merged)  # fmt: skip
    for edge_start, edge_end in plan.raw:
        await _from_raw(connection, project_id, filters, edge_start, edge_end, group_by,
                        buckets, merged)  # fmt: skip
    # A group borrowed from may come to nothing: it had no requests.
    groups = (Group(bucket=b, keys=k, sums=RollupSums(*sums)) for (b, k), sums in merged.items())
    return [group for group in groups if group.sums.requests]


async def _from_rollup(
    connection: BaseDBAsyncClient,
    table: str,
    project_id: int,
    filters: UsageFilter,
    spans: list[tuple[Span, int]],
    group_by: tuple[Dimension, ...],
    buckets: Window | None,
    merged: Merged,
) -> None:
    """Add the sums of ``table``'s rows in each span; with ``buckets``, each row counts in the
    bucket holding its start plus the span's shift (seconds)."""
    statement = Statement(connection)
    keys = [_ROLLUP[d] for d in group_by]

    def rows(columns: str, grouping: str = "", shifted: bool = False) -> str:
        """The rollup rows of every span, one index range each, as one compound SELECT;
        ``shifted`` adds each span's shift as a column."""
        selects = []
        for (span_start, span_end), shift in spans:
            where = range_where(statement, project_id, filters, "bucket_start", span_start,
                                span_end)  # fmt: skip
            selected = f"{columns}, {int(shift)} AS shift" if shifted else columns
            selects.append(f"SELECT {selected} FROM {table} WHERE {where}{grouping}")
        return " UNION ALL ".join(selects)

    if buckets is None:
        if len(spans) == 1:
            (span_start, span_end), _ = spans[0]
            source = table
            statement.where.append(
                range_where(statement, project_id, filters, "bucket_start", span_start, span_end)
            )
        else:
            source = f"({rows('*')}) AS tier"
        await _run(connection, statement, source, keys, ROLLUP_SUMS_SQL, None, merged)
        return
    if statement.postgres:
        # One step: PostgreSQL aggregates the rows in parallel workers; a first step per
        # quarter hour only made it sort ~270k groups on disk.
        source = f"({rows('*', shifted=True)}) AS tier"
        epoch = f"{epoch_sql('bucket_start', True)} + shift"
        index = bucket_index_sql(buckets, epoch, statement.bind, True)
        await _run(
            connection, statement, source, [index, *keys], ROLLUP_SUMS_SQL, None, merged,
            bucket_column=True,
        )  # fmt: skip
        return
    # Per rollup row start (a quarter hour, hour or day), in the order of the rollups' unique
    # index (so SQLite streams each span without sorting), then per bucket here: SQLite's date
    # functions cost more per row (the CASE over segments called them up to three times) than
    # adding the row up in Python.
    per_start = ", ".join(["bucket_start", *keys])
    sql = rows(f"{per_start}, {ROLLUP_SUMS_SQL}", f" GROUP BY {per_start}", shifted=True)
    _, found = await connection.execute_query(sql, statement.params)
    index_of = _stored_start_indexes(buckets)
    _add_rows(found, len(keys) + 1, merged, lambda row: index_of(row[0], row[-1]))


def _stored_start_indexes(buckets: Window) -> Callable[[str, int], int]:
    """The bucket holding a row start as SQLite stores it, shifted by seconds; each distinct
    one parsed once."""
    known: dict[tuple[str, int], int] = {}

    def index_of(stored: str, shift: int) -> int:
        index = known.get((stored, shift))
        if index is None:
            instant = datetime.fromisoformat(stored) + timedelta(seconds=shift)
            index = known[(stored, shift)] = buckets.index_of(instant)
        return index

    return index_of


async def _subtract_borrowed(
    connection: BaseDBAsyncClient,
    table: str,
    project_id: int,
    filters: UsageFilter,
    borrowed: list[tuple[Span, datetime]],
    group_by: tuple[Dimension, ...],
    buckets: Window,
    merged: Merged,
) -> None:
    """Subtract the quarter hours of each borrowed span from the bucket its day's row was
    counted in (the one holding the instant given)."""
    statement = Statement(connection)
    selects = []
    for (span_start, span_end), counted_at in borrowed:
        mark = statement.bind(buckets.index_of(counted_at))
        index = f"CAST({mark} AS BIGINT)" if statement.postgres else mark
        where = range_where(statement, project_id, filters, "bucket_start", span_start,
                            span_end)  # fmt: skip
        selects.append(f"SELECT {index} AS counted_in, * FROM {table} WHERE {where}")
    source = f"({' UNION ALL '.join(selects)}) AS borrowed"
    keys = ["counted_in", *(_ROLLUP[d] for d in group_by)]
    await _run(connection, statement, source, keys, ROLLUP_SUMS_SQL, None, merged,
               bucket_column=True, sign=-1)  # fmt: skip


async def _from_raw(
    connection: BaseDBAsyncClient,
    project_id: int,
    filters: UsageFilter,
    start: datetime,
    end: datetime,
    group_by: tuple[Dimension, ...],
    buckets: Window | None,
    merged: Merged,
) -> None:
    statement = _statement(connection, project_id, filters, "created_at", start, end, _RAW)
    keys = [_RAW[d] for d in group_by]
    # An edge lies inside one quarter hour, hence inside one bucket.
    bucket = None if buckets is None else buckets.index_of(quarter_hour_of(start))
    await _run(connection, statement, "requests", keys, REQUEST_SUMS_SQL, bucket, merged)


def _statement(
    connection: BaseDBAsyncClient,
    project_id: int,
    filters: UsageFilter,
    instant: str,
    start: datetime,
    end: datetime,
    columns: dict[Dimension, str],
) -> Statement:
    """The WHERE of one project's rows with ``start <= instant < end`` matching ``filters``."""
    statement = Statement(connection)
    statement.where.append(
        range_where(statement, project_id, filters, instant, start, end, columns)
    )
    return statement


def range_where(
    statement: Statement,
    project_id: int,
    filters: UsageFilter,
    instant: str,
    start: datetime,
    end: datetime,
    columns: dict[Dimension, str] = _ROLLUP,
) -> str:
    """One project's rows with ``start <= instant < end`` matching ``filters``, its values
    bound to ``statement``."""
    outer = statement.where
    statement.where = [
        f"project_id = {statement.bind(project_id)}",
        f"{instant} >= {statement.bind(start)}",
        f"{instant} < {statement.bind(end)}",
    ]
    statement.constrain(columns, filters.constraints())
    clauses, statement.where = statement.where, outer
    return " AND ".join(clauses)


async def _run(
    connection: BaseDBAsyncClient,
    statement: Statement,
    source: str,
    keys: list[str],
    sums: str,
    fixed_bucket: int | None,
    merged: Merged,
    bucket_column: bool = False,
    sign: int = 1,
) -> None:
    """Run the grouped SELECT and add its rows (times ``sign``) to ``merged``; with
    ``bucket_column`` the first key is the bucket index."""
    selected = ", ".join([*(f"{key} AS k{i}" for i, key in enumerate(keys)), sums])
    where = f" WHERE {' AND '.join(statement.where)}" if statement.where else ""
    grouping = f" GROUP BY {', '.join(f'k{i}' for i in range(len(keys)))}" if keys else ""
    sql = f"SELECT {selected} FROM {source}{where}{grouping}"
    # Rows by position, not as dicts: a pivot or timeline brings thousands of rows, and
    # building a dict per row cost more than the rest of the loop.
    _, rows = await connection.execute_query(sql, statement.params)
    if bucket_column:
        _add_rows(rows, len(keys), merged, lambda row: int(row[0]), sign)
    else:
        _add_rows(rows, len(keys), merged, lambda _: fixed_bucket, sign, first_key=0)


def _add_rows(
    rows: Sequence[Any],
    width: int,
    merged: Merged,
    bucket_of: Callable[[Any], int | None],
    sign: int = 1,
    first_key: int = 1,
) -> None:
    """Add grouped rows (times ``sign``) to ``merged``: each row holds ``width`` key columns,
    the dimensions' values from ``first_key`` on (before it the bucket, read by
    ``bucket_of``), then the sums."""
    # Dimension values come as the ints and strs they are stored as; PostgreSQL sums BIGINTs
    # as NUMERIC (Decimal): int() each. Slices, not a loop per column: a pivot or timeline
    # brings thousands of rows, and this loop was most of the Python time of its figures.
    end = width + len(SUM_COLUMNS)
    for row in rows:
        cells = tuple(row)
        if not cells[width + _REQUESTS]:  # NULL (no row matched) or a group emptied by purges
            continue
        key = (bucket_of(cells), cells[first_key:width])
        sums = [sign * int(value) for value in cells[width:end]]
        total = merged.get(key)
        if total is None:
            merged[key] = sums
        else:
            total[:] = map(add, total, sums)
