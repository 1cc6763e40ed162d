"""Recording the requests a gateway reports: validate the whole batch, then store it in one
transaction with the rollups, idempotent on ``externalId`` per project."""

from collections.abc import Callable, Container, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import ROUND_HALF_EVEN, Decimal
from typing import Protocol

import asyncpg
from tortoise.backends.base.client import BaseDBAsyncClient
from tortoise.transactions import in_transaction

from kernel.errors import BadUserInput
from kernel.raw_sql import Statement, rows_source
from models import Request, RequestStatus
from resolvers.arguments import NANOS_PER_USD
from resolvers.budgets.thresholds import record_crossings
from resolvers.data_versions import bump_version
from resolvers.rollups import add_new_requests, add_requests_from

MAX_BATCH = 1000
EXTERNAL_ID_MAX_LENGTH = 200
CONTENT_MAX_LENGTH = 100_000
ERROR_MESSAGE_MAX_LENGTH = 10_000
MAX_COST_USD = 1_000_000
# Gateways' clocks drift; a request further in the future than this is a bug, not drift.
FUTURE_TOLERANCE = timedelta(minutes=5)
EARLIEST = datetime(2000, 1, 1, tzinfo=UTC)

# The SQL types of REQUEST_COLUMNS, in order (PostgreSQL binds each column as one array).
REQUEST_TYPES = (
    "int", "varchar", "timestamptz", "timestamptz", "varchar", "int", "int", "int", "int",
    "int", "int", "int", "bigint", "bigint", "bigint", "text", "text", "text",
)  # fmt: skip

UNKNOWN = {
    "modelId": "no model has id {}",
    "assistantId": "no assistant of this project has id {}",
    "userId": "user {} is not a member of this project",
    "apiTokenId": "no API token of this project has id {}",
}

REQUEST_COLUMNS = (
    "project_id", "external_id", "created_at", "recorded_at", "status", "duration_ms",
    "assistant_id", "model_id", "api_token_id", "user_id", "input_tokens", "output_tokens",
    "cost_nanos", "input_price_per_million_nanos", "output_price_per_million_nanos",
    "input", "output", "error_message",
)  # fmt: skip


# Makes the error for one field of the record at hand: (field, problem) -> error.
_Bad = Callable[[str, str], BadUserInput]


class RecordLike(Protocol):
    """One record as the client sent it (ids still strings, cost still a float): the
    GraphQL input object itself, or a ``RecordInput``."""

    @property
    def external_id(self) -> str: ...
    @property
    def created_at(self) -> datetime: ...
    @property
    def status(self) -> RequestStatus: ...
    @property
    def duration_ms(self) -> int: ...
    @property
    def model_id(self) -> str: ...
    @property
    def input_tokens(self) -> int: ...
    @property
    def output_tokens(self) -> int: ...
    @property
    def assistant_id(self) -> str | None: ...
    @property
    def user_id(self) -> str | None: ...
    @property
    def api_token_id(self) -> str | None: ...
    @property
    def cost(self) -> float | None: ...
    @property
    def input(self) -> str | None: ...
    @property
    def output(self) -> str | None: ...
    @property
    def error_message(self) -> str | None: ...


@dataclass(frozen=True)
class RecordInput:
    """A ``RecordLike`` built outside GraphQL (imports, tests)."""

    external_id: str
    created_at: datetime
    status: RequestStatus
    duration_ms: int
    model_id: str
    input_tokens: int
    output_tokens: int
    assistant_id: str | None = None
    user_id: str | None = None
    api_token_id: str | None = None
    cost: float | None = None
    input: str | None = None
    output: str | None = None
    error_message: str | None = None


@dataclass(frozen=True)
class RecordOutcome:
    accepted: int
    duplicates: int


# Private rows built 1,000 times a batch: slotted and not frozen, a frozen dataclass's
# __init__ costs twice as much.
@dataclass(slots=True)
class _Row:
    values: tuple[object, ...]  # REQUEST_COLUMNS
    external_id: str
    created_at: datetime


async def record_requests(
    project_id: int, token_id: int | None, records: Sequence[RecordLike]
) -> RecordOutcome:
    """Store every record of the batch or none of them; duplicates are counted, not stored.

    ``token_id`` is the recording API token (the default ``apiTokenId``); None for imports.
    """
    check_batch_size(len(records))
    latest = datetime.now(UTC) + FUTURE_TOLERANCE
    parsed = [_parse(index, record, latest) for index, record in enumerate(records)]
    rows = await _resolve(project_id, token_id, parsed)
    unique = _first_of_each(rows)
    if not unique:
        return RecordOutcome(accepted=0, duplicates=len(rows))
    # Sorted: batches that share ids lock them in one order and cannot deadlock.
    unique.sort(key=lambda row: row.external_id)
    async with in_transaction() as connection:
        stored = await store_rows(connection, project_id, unique)
        # Threshold crossings are decided here, once, with the spend this batch adds.
        await record_crossings(connection, project_id, (row.created_at for row in stored))
    return RecordOutcome(accepted=len(stored), duplicates=len(rows) - len(stored))


async def store_rows(
    connection: BaseDBAsyncClient, project_id: int, rows: list["_Row"]
) -> list["_Row"]:
    """Insert the rows that are new and add them to the rollups, in the caller's
    transaction; the rows stored. ``rows`` carry distinct external ids, sorted."""
    if connection.capabilities.dialect == "postgres":
        if await _copy_all(connection, rows):
            stored = rows
        else:  # some already exist: only the new ones
            stored, _ = await _insert_new(connection, rows)
        if stored:
            await bump_version(connection, project_id)
            columns = zip(*(row.values for row in stored), strict=True)
            by_name = dict(zip(REQUEST_COLUMNS, columns, strict=True))
            await add_new_requests(connection, project_id, by_name)
        return stored
    stored, first_id = await _insert_new(connection, rows)
    if stored:
        await bump_version(connection, project_id)
        await add_requests_from(connection, project_id, first_id)
    return stored


def check_batch_size(count: int) -> None:
    if count > MAX_BATCH:
        raise BadUserInput("records", f"at most {MAX_BATCH} records per call")


@dataclass(slots=True)
class _Parsed:
    index: int
    record: RecordLike
    created_at: datetime
    model_id: int
    assistant_id: int | None
    user_id: int | None
    api_token_id: int | None
    cost_nanos: int | None


def _parse(index: int, record: RecordLike, latest: datetime) -> _Parsed:
    """Checks that need no database, naming ``records[i].field`` on failure; ``latest`` is
    the last acceptable ``createdAt`` (now, plus the clock drift tolerated)."""

    def bad(field: str, problem: str) -> BadUserInput:
        return BadUserInput(f"records[{index}].{field}", problem)

    if not 1 <= len(record.external_id) <= EXTERNAL_ID_MAX_LENGTH:
        raise bad("externalId", f"must be 1 to {EXTERNAL_ID_MAX_LENGTH} characters")
    created_at = record.created_at
    if created_at.tzinfo is None or created_at.utcoffset() is None:
        raise bad("createdAt", "must carry a UTC offset")
    created_at = created_at.astimezone(UTC)
    if created_at > latest:
        raise bad("createdAt", "is more than 5 minutes in the future")
    if created_at < EARLIEST:
        raise bad("createdAt", "is before 2000-01-01")
    for field, value in (
        ("durationMs", record.duration_ms),
        ("inputTokens", record.input_tokens),
        ("outputTokens", record.output_tokens),
    ):
        if value < 0:
            raise bad(field, "must not be negative")
    for field, text, limit in (
        ("input", record.input, CONTENT_MAX_LENGTH),
        ("output", record.output, CONTENT_MAX_LENGTH),
        ("errorMessage", record.error_message, ERROR_MESSAGE_MAX_LENGTH),
    ):
        if text is not None and len(text) > limit:
            raise bad(field, f"must be at most {limit} characters")
    return _Parsed(
        index=index,
        record=record,
        created_at=created_at,
        model_id=_id(record.model_id, bad, "modelId"),
        assistant_id=None
        if record.assistant_id is None
        else _id(record.assistant_id, bad, "assistantId"),
        user_id=None if record.user_id is None else _id(record.user_id, bad, "userId"),
        api_token_id=None
        if record.api_token_id is None
        else _id(record.api_token_id, bad, "apiTokenId"),
        cost_nanos=None if record.cost is None else _cost_nanos(record.cost, bad),
    )


def _id(value: str, bad: _Bad, field: str) -> int:
    text = value.strip()
    if not (text.isascii() and text.isdigit()) or len(text) > 18 or int(text) == 0:
        raise bad(field, f"{value!r} is not a valid id")
    return int(text)


def _cost_nanos(cost: float, bad: _Bad) -> int:
    # Through the decimal the client wrote (repr), so $0.000001 is exactly 1,000 nano-USD.
    if not Decimal(repr(cost)).is_finite() or cost < 0 or cost > MAX_COST_USD:
        raise bad("cost", f"must be a number from 0 to {MAX_COST_USD}")
    nanos = (Decimal(repr(cost)) * NANOS_PER_USD).to_integral_value(ROUND_HALF_EVEN)
    return int(nanos)


async def _resolve(project_id: int, token_id: int | None, parsed: list[_Parsed]) -> list[_Row]:
    """Checks against the project's data, in one query, then the rows to store."""
    known = await _known(
        project_id,
        models={p.model_id for p in parsed},
        assistants={p.assistant_id for p in parsed if p.assistant_id is not None},
        users={p.user_id for p in parsed if p.user_id is not None},
        tokens={p.api_token_id for p in parsed if p.api_token_id is not None},
    )
    models, assistants, members, tokens = (
        known.models, known.assistants, known.members, known.tokens
    )  # fmt: skip

    def check(p: _Parsed, field: str, value: int | None, known: Container[int]) -> None:
        if value is not None and value not in known:
            raise BadUserInput(f"records[{p.index}].{field}", UNKNOWN[field].format(value))

    now = datetime.now(UTC)
    rows = []
    for p in parsed:
        check(p, "modelId", p.model_id, models)
        check(p, "assistantId", p.assistant_id, assistants)
        check(p, "userId", p.user_id, members)
        check(p, "apiTokenId", p.api_token_id, tokens)
        rows.append(_row(project_id, token_id, p, models[p.model_id], known.keep_content, now))
    return rows


@dataclass(frozen=True)
class _Known:
    """What a batch refers to that exists: models with their prices (input, output nano-USD
    per million tokens), the project's assistants, members and API tokens."""

    models: dict[int, tuple[int, int]]
    assistants: set[int]
    members: set[int]
    tokens: set[int]
    keep_content: bool


async def _known(
    project_id: int, models: set[int], assistants: set[int], users: set[int], tokens: set[int]
) -> _Known:
    """One round trip for all of a batch's lookups, where the ORM took five."""
    connection = Request._meta.db  # the ORM's connection, whatever its name
    statement = Statement(connection)

    def among(column: str, wanted: set[int]) -> str:
        # bigint: an id past INTEGER is simply not found (asyncpg refuses it as an int4).
        if statement.postgres:
            return f"{column} = ANY({statement.bind(list(wanted))}::bigint[])"
        return f"{column} IN ({', '.join(statement.bind(value) for value in wanted)})"

    parts = [
        "SELECT 's', CASE WHEN store_request_content THEN 1 ELSE 0 END, 0, 0 "
        f"FROM project_settings WHERE project_id = {statement.bind(project_id)}"
    ]
    for kind, table, column, wanted in (
        ("a", "assistants", "id", assistants),
        ("u", "memberships", "user_id", users),
        ("t", "api_tokens", "id", tokens),
    ):
        if wanted:
            parts.append(
                f"SELECT '{kind}', {column}, 0, 0 FROM {table} "
                f"WHERE project_id = {statement.bind(project_id)} AND {among(column, wanted)}"
            )
    parts.append(
        "SELECT 'm', id, input_price_per_million_nanos, output_price_per_million_nanos "
        f"FROM ai_models WHERE {among('id', models)}"
    )
    _, found = await connection.execute_query(" UNION ALL ".join(parts), statement.params)
    by_kind: dict[str, set[int]] = {"a": set(), "u": set(), "t": set()}
    prices: dict[int, tuple[int, int]] = {}
    keep_content = True  # a project without its settings row keeps the default
    for kind, value, input_price, output_price in (tuple(row) for row in found):
        if kind == "m":
            prices[int(value)] = (int(input_price), int(output_price))
        elif kind == "s":
            keep_content = bool(value)
        else:
            by_kind[kind].add(int(value))
    return _Known(prices, by_kind["a"], by_kind["u"], by_kind["t"], keep_content)


def _row(
    project_id: int,
    token_id: int | None,
    p: _Parsed,
    prices: tuple[int, int],
    keep_content: bool,
    now: datetime,
) -> _Row:
    record = p.record
    input_price, output_price = prices
    cost = p.cost_nanos
    if cost is None:
        # nano-USD per million tokens x tokens / 10^6, rounded half up, in integers.
        cost = (
            record.input_tokens * input_price + record.output_tokens * output_price + 500_000
        ) // 1_000_000
    api_token_id = p.api_token_id if p.api_token_id is not None else token_id
    values = (
        project_id, record.external_id, p.created_at, now, record.status.value, record.duration_ms,
        p.assistant_id, p.model_id, api_token_id, p.user_id, record.input_tokens,
        record.output_tokens, cost, input_price, output_price,
        record.input if keep_content else None, record.output if keep_content else None,
        record.error_message,
    )  # fmt: skip
    return _Row(values=values, external_id=record.external_id, created_at=p.created_at)


def _first_of_each(rows: list[_Row]) -> list[_Row]:
    """A batch that repeats an externalId stores its first occurrence."""
    seen: set[str] = set()
    unique = []
    for row in rows:
        if row.external_id not in seen:
            seen.add(row.external_id)
            unique.append(row)
    return unique


async def _copy_all(connection: BaseDBAsyncClient, rows: list[_Row]) -> bool:
    """PostgreSQL: COPY the rows in, within a savepoint; False, and nothing stored, when one
    of them is already there (a retried batch, or a concurrent one sharing ids).

    New rows are the rule and COPY stores them in about two thirds of the time of the
    INSERT ... ON CONFLICT that handles the exception. The unique (project_id, external_id)
    still decides: against an uncommitted concurrent batch, COPY waits for its outcome.
    """
    async with connection.acquire_connection() as raw:
        try:
            async with raw.transaction():
                await raw.copy_records_to_table(
                    "requests", records=[row.values for row in rows], columns=REQUEST_COLUMNS
                )
        except asyncpg.UniqueViolationError:
            return False
    return True


async def _insert_new(connection: BaseDBAsyncClient, rows: list[_Row]) -> tuple[list[_Row], int]:
    """Insert what is new; the unique (project_id, external_id) decides, even against a
    concurrent batch, and RETURNING says which rows this call stored: those rows, and the
    smallest id they were given (0 when none)."""
    source, values = rows_source(connection, [row.values for row in rows], REQUEST_TYPES)
    sql = (
        f"INSERT INTO requests ({', '.join(REQUEST_COLUMNS)}) {source} "
        "ON CONFLICT (project_id, external_id) DO NOTHING RETURNING id, external_id"
    )
    # execute_query_dict: Tortoise's execute_query drops RETURNING rows on asyncpg.
    returned = await connection.execute_query_dict(sql, values)
    stored = {record["external_id"] for record in returned}
    first_id = min((int(record["id"]) for record in returned), default=0)
    return [row for row in rows if row.external_id in stored], first_id
