"""The request log: filtered, newest first, keyset-paginated, with an exact total count.

Pages are read with a row-value keyset predicate, ``(created_at, id) < (?, ?)``, which both
SQLite and PostgreSQL answer from the ``(project_id, [dimension,] created_at, id)`` indexes by
reading only the page. The total count comes from the rollups for whole 15-minute buckets and
from the raw rows only for the partial buckets at the edges of the range.
"""

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from tortoise import connections
from tortoise.backends.base.client import BaseDBAsyncClient

from comptroller.errors import NotFound
from models import Request, RequestStatus
from resolvers.pagination import Ordering, SortKey, decode_cursor, encode_cursor
from resolvers.rollups import bucket_of, next_bucket

NEWEST_FIRST = Ordering(
    name="requests", keys=(SortKey("created_at", datetime, True), SortKey("id", int, True))
)


@dataclass(frozen=True)
class RequestFilter:
    """A validated ``RequestFilter``: ``None`` leaves a dimension open."""

    assistant_ids: tuple[int, ...] | None = None
    model_ids: tuple[int, ...] | None = None
    api_token_ids: tuple[int, ...] | None = None
    user_ids: tuple[int, ...] | None = None
    status: RequestStatus | None = None
    start: datetime | None = None  # inclusive, UTC
    end: datetime | None = None  # exclusive, UTC


@dataclass(frozen=True)
class RequestPage:
    rows: list[Request]
    cursors: list[str]
    has_next_page: bool


class _Sql:
    """WHERE clauses with bound parameters in the connection's placeholder style."""

    def __init__(self, connection: BaseDBAsyncClient) -> None:
        self.postgres = connection.capabilities.dialect == "postgres"
        self.params: list[Any] = []
        self.clauses: list[str] = []

    def bind(self, value: Any) -> str:
        self.params.append(value)
        return f"${len(self.params)}" if self.postgres else "?"

    def add(self, clause: str) -> None:
        self.clauses.append(clause)

    def where(self) -> str:
        return " AND ".join(self.clauses)


# Request columns and the matching rollup columns, for each filterable dimension.
_DIMENSIONS = (
    ("assistant_ids", "assistant_id", "assistant_key"),
    ("model_ids", "model_id", "model_id"),
    ("api_token_ids", "api_token_id", "api_token_key"),
    ("user_ids", "user_id", "user_key"),
)


def _filter_on(sql: _Sql, project_id: int, filters: RequestFilter, raw: bool) -> None:
    sql.add(f"project_id = {sql.bind(project_id)}")
    for attribute, raw_column, rollup_column in _DIMENSIONS:
        ids: tuple[int, ...] | None = getattr(filters, attribute)
        if ids is not None:
            column = raw_column if raw else rollup_column
            if not ids:
                sql.add("1 = 0")
            else:
                sql.add(f"{column} IN ({', '.join(sql.bind(i) for i in ids)})")
    if filters.status is not None:
        sql.add(f"status = {sql.bind(filters.status.value)}")


async def request_page(
    project_id: int, filters: RequestFilter, first: int, after: str | None
) -> RequestPage:
    position = None if after is None else decode_cursor(NEWEST_FIRST, after)
    connection = connections.get("default")
    sql = _Sql(connection)
    _filter_on(sql, project_id, filters, raw=True)
    if filters.start is not None:
        sql.add(f"created_at >= {sql.bind(filters.start)}")
    if filters.end is not None:
        sql.add(f"created_at < {sql.bind(filters.end)}")
    if position is not None:
        created_at, row_id = position
        sql.add(f"(created_at, id) < ({sql.bind(created_at)}, {sql.bind(row_id)})")
    query = (
        f"SELECT id FROM requests WHERE {sql.where()} "
        f"ORDER BY created_at DESC, id DESC LIMIT {sql.bind(first + 1)}"
    )
    _, found = await connection.execute_query(query, sql.params)
    ids = [int(row["id"]) for row in found]
    has_next = len(ids) > first
    ids = ids[:first]
    by_id = {row.id: row for row in await Request.filter(id__in=ids)} if ids else {}
    rows = [by_id[i] for i in ids]
    return RequestPage(
        rows=rows,
        cursors=[encode_cursor(NEWEST_FIRST, (row.created_at, row.id)) for row in rows],
        has_next_page=has_next,
    )


async def request_count(project_id: int, filters: RequestFilter) -> int:
    """Exact count of matching requests: whole buckets from the rollup, edges from raw rows."""
    connection = connections.get("default")
    inner_start = None if filters.start is None else _ceil_bucket(filters.start)
    inner_end = None if filters.end is None else bucket_of(filters.end)
    if inner_start is not None and inner_end is not None and inner_start >= inner_end:
        return await _count(connection, project_id, filters, filters.start, filters.end, raw=True)
    total = await _count(connection, project_id, filters, inner_start, inner_end, raw=False)
    if filters.start is not None and inner_start is not None and filters.start < inner_start:
        total += await _count(connection, project_id, filters, filters.start, inner_start, raw=True)
    if filters.end is not None and inner_end is not None and inner_end < filters.end:
        total += await _count(connection, project_id, filters, inner_end, filters.end, raw=True)
    return total


async def _count(
    connection: BaseDBAsyncClient,
    project_id: int,
    filters: RequestFilter,
    start: datetime | None,
    end: datetime | None,
    *,
    raw: bool,
) -> int:
    """Matching requests in [start, end): counted in ``requests``, or summed in a rollup
    (whose bucket bounds must then be whole buckets)."""
    if raw:
        table, instant, measure = "requests", "created_at", "COUNT(*)"
    else:
        table = "usage_rollups" if filters.user_ids is None else "user_usage_rollups"
        instant, measure = "bucket_start", "COALESCE(SUM(requests), 0)"
    sql = _Sql(connection)
    _filter_on(sql, project_id, filters, raw=raw)
    if start is not None:
        sql.add(f"{instant} >= {sql.bind(start)}")
    if end is not None:
        sql.add(f"{instant} < {sql.bind(end)}")
    _, rows = await connection.execute_query(
        f"SELECT {measure} AS n FROM {table} WHERE {sql.where()}", sql.params
    )
    return int(rows[0]["n"])


def _ceil_bucket(instant: datetime) -> datetime:
    start = bucket_of(instant)
    return start if start == instant else next_bucket(start)


async def request_by_id(project_id: int, request_id: int) -> Request:
    row = await Request.get_or_none(id=request_id, project_id=project_id)
    if row is None:
        raise NotFound("Request not found.")
    return row
