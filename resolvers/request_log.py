"""The request log: filtered, newest first, keyset-paginated, with an exact total count.

Pages are read with a row-value keyset predicate, ``(created_at, id) < (?, ?)``, which both
SQLite and PostgreSQL answer from the ``(project_id, [dimension,] created_at, id)`` indexes by
reading only the page. The total count is an aggregate like the dashboards' (rollups for whole
days and quarter hours, raw rows only at the edges) and shares their cache.
"""

import asyncio
from dataclasses import dataclass, field
from datetime import UTC, datetime

from kernel.errors import NotFound
from kernel.raw_sql import Statement
from models import Request
from resolvers.dashboards.aggregates import Dimension, UsageFilter
from resolvers.dashboards.figure_cache import Aggregator
from resolvers.pagination import Ordering, SortKey, decode_cursor, encode_cursor

NEWEST_FIRST = Ordering(
    name="requests", keys=(SortKey("created_at", datetime, True), SortKey("id", int, True))
)


# The open ends of an unbounded range: nothing is recorded before 2000 (ingestion refuses
# it) and nothing far in the future.
EARLIEST = datetime(2000, 1, 1, tzinfo=UTC)
LATEST = datetime(9999, 1, 1, tzinfo=UTC)


@dataclass(frozen=True)
class RequestFilter:
    """A validated ``RequestFilter``: the dimensions, and an optional range."""

    dimensions: UsageFilter = field(default_factory=UsageFilter)
    start: datetime | None = None  # inclusive, UTC
    end: datetime | None = None  # exclusive, UTC


@dataclass(frozen=True)
class RequestPage:
    rows: list[Request]
    cursors: list[str]
    has_next_page: bool


# Plain columns (no COALESCE), so that the (project_id, dimension, created_at, id) indexes serve.
_COLUMNS = {
    Dimension.ASSISTANT: "assistant_id",
    Dimension.MODEL: "model_id",
    Dimension.API_TOKEN: "api_token_id",
    Dimension.USER: "user_id",
    Dimension.STATUS: "status",
}


def constrain_to(sql: Statement, project_id: int, filters: RequestFilter, table: str = "") -> None:
    """The WHERE of a project's requests matching ``filters`` (``table``: a qualifier such
    as ``"r."`` when the statement joins); the page and the CSV export share it."""
    sql.where.append(f"{table}project_id = {sql.bind(project_id)}")
    columns = {key: f"{table}{column}" for key, column in _COLUMNS.items()}
    sql.constrain(columns, filters.dimensions.constraints())
    if filters.start is not None:
        sql.where.append(f"{table}created_at >= {sql.bind(filters.start)}")
    if filters.end is not None:
        sql.where.append(f"{table}created_at < {sql.bind(filters.end)}")


async def request_page(
    project_id: int, filters: RequestFilter, first: int, after: str | None
) -> RequestPage:
    position = None if after is None else decode_cursor(NEWEST_FIRST, after)
    connection = Request._meta.db  # the ORM's connection, whatever its name
    sql = Statement(connection)
    constrain_to(sql, project_id, filters)
    if position is not None:
        created_at, row_id = position
        sql.where.append(f"(created_at, id) < ({sql.bind(created_at)}, {sql.bind(row_id)})")
    query = (
        f"SELECT id FROM requests WHERE {' AND '.join(sql.where)} "
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


class LazyRequestPage:
    """A page of the request log, read when a field first needs it and then shared: a client
    that selects only ``totalCount`` (a counter, a badge) never pays for the page."""

    def __init__(self, project_id: int, filters: RequestFilter, first: int, after: str | None):
        if after is not None:
            # Now rather than when read: a bad cursor is BAD_USER_INPUT whatever is selected.
            decode_cursor(NEWEST_FIRST, after)
        self.project_id = project_id
        self.filters = filters
        self._arguments = (first, after)
        self._page: asyncio.Future[RequestPage] | None = None

    async def get(self) -> RequestPage:
        if self._page is None:
            self._page = asyncio.ensure_future(
                request_page(self.project_id, self.filters, *self._arguments)
            )
        return await self._page


async def request_count(project_id: int, filters: RequestFilter, aggregate: Aggregator) -> int:
    """Exact count of matching requests, from the (cached) aggregates."""
    groups = await aggregate(
        project_id, filters.dimensions, filters.start or EARLIEST, filters.end or LATEST
    )
    return sum(group.sums.requests for group in groups)


async def request_by_id(project_id: int, request_id: int) -> Request:
    row = await Request.get_or_none(id=request_id, project_id=project_id)
    if row is None:
        raise NotFound("Request not found.")
    return row
