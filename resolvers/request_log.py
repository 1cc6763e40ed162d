"""The request log: filtered, newest first, keyset-paginated, with an exact total count.

Pages are read with a row-value keyset predicate, ``(created_at, id) < (?, ?)``, which both
SQLite and PostgreSQL answer from the ``(project_id, [dimension,] created_at, id)`` indexes by
reading only the page. The total count is an aggregate like the dashboards' (rollups for whole
days and quarter hours, raw rows only at the edges) and shares their cache.
"""

import asyncio
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from kernel.errors import NotFound
from kernel.raw_sql import Statement
from models import Request, RequestStatus
from resolvers.dashboards.aggregates import Dimension, UsageFilter
from resolvers.dashboards.figure_cache import Aggregator
from resolvers.listed_rows import (
    ListedApiToken,
    ListedAssistant,
    ListedModel,
    ListedUser,
    RowReader,
    row_reader,
)
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


@dataclass(frozen=True, slots=True)
class LoggedRequest:
    """A request's own columns, as the log shows them."""

    id: int
    external_id: str
    created_at: datetime
    status: RequestStatus
    duration_ms: int
    input_tokens: int
    output_tokens: int
    cost_nanos: int
    input: str | None
    output: str | None
    error_message: str | None


@dataclass(frozen=True, slots=True)
class LogEntry:
    """A request with what it refers to, read in the same statement."""

    request: LoggedRequest
    model: ListedModel
    assistant: ListedAssistant | None
    api_token: ListedApiToken | None
    user: ListedUser | None


@dataclass(frozen=True)
class RequestPage:
    rows: list[LogEntry]
    cursors: list[str]
    has_next_page: bool


@dataclass(frozen=True)
class Relations:
    """What a read of requests joins besides their model and assistant (always read: the log
    shows them): the token and the user only when the client asks for them."""

    api_token: bool = True
    user: bool = True


# What a request refers to, joined by id, by alias (the export reads all of them).
_JOINS = {
    "a": "LEFT JOIN assistants a ON a.id = r.assistant_id",
    "m": "JOIN ai_models m ON m.id = r.model_id",
    "t": "LEFT JOIN api_tokens t ON t.id = r.api_token_id",
    "u": "LEFT JOIN users u ON u.id = r.user_id",
}
RELATED_JOINS = " ".join(_JOINS.values())


class _EntryReader:
    """The columns of a request and of what it refers to, and how records become entries."""

    def __init__(self, connection: Any, relations: Relations) -> None:
        self.request = row_reader(LoggedRequest, "r", connection)
        self.model = row_reader(ListedModel, "m", connection, self.request.end)
        self.assistant = row_reader(ListedAssistant, "a", connection, self.model.end)
        end = self.assistant.end
        joined = {"a", "m"}
        self.api_token: RowReader[ListedApiToken] | None = None
        self.user: RowReader[ListedUser] | None = None
        if relations.api_token:
            self.api_token = row_reader(ListedApiToken, "t", connection, end)
            end = self.api_token.end
            joined.add("t")
        if relations.user:
            self.user = row_reader(ListedUser, "u", connection, end)
            joined.add("u")
        readers = (self.request, self.model, self.assistant, self.api_token, self.user)
        self.select = ", ".join(reader.select for reader in readers if reader is not None)
        self.joins = " ".join(join for alias, join in _JOINS.items() if alias in joined)

    def entries(self, records: list[Any]) -> list[LogEntry]:
        """The page's entries; each model, assistant, token and user read once."""
        models: dict[Any, ListedModel] = {}
        assistants: dict[Any, ListedAssistant] = {}
        tokens: dict[Any, ListedApiToken] = {}
        users: dict[Any, ListedUser] = {}
        token, user = self.api_token, self.user
        entries = []
        for record in records:
            model = self.model.shared(record, models)
            assert model is not None, "requests.model_id always names a model"
            entries.append(
                LogEntry(
                    self.request(record),
                    model,
                    self.assistant.shared(record, assistants),
                    None if token is None else token.shared(record, tokens),
                    None if user is None else user.shared(record, users),
                )
            )
        return entries


_entry_readers: dict[tuple[str, Relations], _EntryReader] = {}


def _entry_reader(connection: Any, relations: Relations) -> _EntryReader:
    key = (connection.capabilities.dialect, relations)
    reader = _entry_readers.get(key)
    if reader is None:
        reader = _entry_readers[key] = _EntryReader(connection, relations)
    return reader


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
    project_id: int,
    filters: RequestFilter,
    first: int,
    after: str | None,
    relations: Relations = Relations(),
) -> RequestPage:
    """One statement: the page's ids by the keyset (from the index alone), then their rows
    with what they refer to. A token or user not in ``relations`` is left None."""
    position = None if after is None else decode_cursor(NEWEST_FIRST, after)
    connection = Request._meta.db  # the ORM's connection, whatever its name
    reader = _entry_reader(connection, relations)
    sql = Statement(connection)
    constrain_to(sql, project_id, filters)
    if position is not None:
        created_at, row_id = position
        sql.where.append(f"(created_at, id) < ({sql.bind(created_at)}, {sql.bind(row_id)})")
    page_ids = (
        f"SELECT id FROM requests WHERE {' AND '.join(sql.where)} "
        # The size is written, not bound: PostgreSQL then keeps one generic plan of the
        # statement (with LIMIT a parameter, its generic plan is a scan of the project, and
        # it plans the six-table join afresh every time instead, ~2 ms).
        f"ORDER BY created_at DESC, id DESC LIMIT {int(first) + 1}"
    )
    query = (
        f"SELECT {reader.select} FROM ({page_ids}) p JOIN requests r ON r.id = p.id "
        f"{reader.joins} ORDER BY r.created_at DESC, r.id DESC"
    )
    _, found = await connection.execute_query(query, sql.params)
    entries = reader.entries(list(found[:first]))
    return RequestPage(
        rows=entries,
        cursors=[
            encode_cursor(NEWEST_FIRST, (e.request.created_at, e.request.id)) for e in entries
        ],
        has_next_page=len(found) > first,
    )


class LazyRequestPage:
    """A page of the request log, read when a field first needs it and then shared: a client
    that selects only ``totalCount`` (a counter, a badge) never pays for the page."""

    def __init__(
        self,
        project_id: int,
        filters: RequestFilter,
        first: int,
        after: str | None,
        relations: Relations,
    ):
        if after is not None:
            # Now rather than when read: a bad cursor is BAD_USER_INPUT whatever is selected.
            decode_cursor(NEWEST_FIRST, after)
        self.project_id = project_id
        self.filters = filters
        self._arguments = (first, after, relations)
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


async def request_by_id(project_id: int, request_id: int) -> LogEntry:
    connection = Request._meta.db
    reader = _entry_reader(connection, Relations())
    sql = Statement(connection)
    where = f"r.id = {sql.bind(request_id)} AND r.project_id = {sql.bind(project_id)}"
    query = f"SELECT {reader.select} FROM requests r {RELATED_JOINS} WHERE {where}"
    _, found = await connection.execute_query(query, sql.params)
    if not found:
        raise NotFound("Request not found.")
    return reader.entries(list(found))[0]
