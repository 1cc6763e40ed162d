"""Storing a checked batch: its rows in ``REQUEST_COLUMNS`` order, the first of each
externalId, written by COPY (PostgreSQL) or INSERT ... ON CONFLICT, with the project's data
version and rollups, in the caller's transaction."""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

import asyncpg
from tortoise.backends.base.client import BaseDBAsyncClient

from kernel.raw_sql import rows_source
from models.request import REQUEST_COLUMN_TYPES, REQUEST_COLUMNS
from resolvers.data_versions import bump_version
from resolvers.ingestion.lookups import Known
from resolvers.ingestion.validation import ParsedRecord
from resolvers.rollups import add_new_requests, add_requests_from

REQUEST_TYPES = tuple(REQUEST_COLUMN_TYPES.values())


# Built 1,000 times a batch: slotted and not frozen, a frozen dataclass's __init__ costs twice
# as much.
@dataclass(slots=True)
class Row:
    values: tuple[object, ...]  # REQUEST_COLUMNS
    external_id: str
    created_at: datetime


def rows_of(
    project_id: int, token_id: int | None, parsed: Sequence[ParsedRecord], known: Known
) -> list[Row]:
    """The rows to store for checked records; ``token_id`` is the recording API token (the
    default ``apiTokenId``)."""
    now = datetime.now(UTC)
    return [
        _row(project_id, token_id, p, known.models[p.model_id], known.keep_content, now)
        for p in parsed
    ]


def _row(
    project_id: int,
    token_id: int | None,
    p: ParsedRecord,
    prices: tuple[int, int],
    keep_content: bool,
    now: datetime,
) -> Row:
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
    return Row(values=values, external_id=record.external_id, created_at=p.created_at)


def first_of_each(rows: list[Row]) -> list[Row]:
    """A batch that repeats an externalId stores its first occurrence."""
    seen: set[str] = set()
    unique = []
    for row in rows:
        if row.external_id not in seen:
            seen.add(row.external_id)
            unique.append(row)
    return unique


async def store_rows(connection: BaseDBAsyncClient, project_id: int, rows: list[Row]) -> list[Row]:
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
    stored, first_id = await _insert_new_sqlite(connection, project_id, rows)
    if stored:
        await bump_version(connection, project_id)
        await add_requests_from(connection, project_id, first_id)
    return stored


async def _copy_all(connection: BaseDBAsyncClient, rows: list[Row]) -> bool:
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


_SQLITE_INSERT = (
    f"INSERT INTO requests ({', '.join(REQUEST_COLUMNS)}) "
    f"VALUES ({', '.join('?' * len(REQUEST_COLUMNS))}) "
    "ON CONFLICT (project_id, external_id) DO NOTHING"
)


async def _insert_new_sqlite(
    connection: BaseDBAsyncClient, project_id: int, rows: list[Row]
) -> tuple[list[Row], int]:
    """SQLite: insert what is new, one prepared statement run per row (``executemany``, a
    sixth cheaper than one 18,000-parameter INSERT ... RETURNING); the rows this call
    stored, and the smallest id they were given (0 when none).

    The unique (project_id, external_id) decides. The first insert takes the database's one
    write lock, held to the commit: the rows this call stored are the newest of all, with
    ids from ``last_insert_rowid() - stored + 1`` when every row went in, else the newest of
    the batch's external ids found.
    """
    async with connection.acquire_connection() as raw:
        cursor = await raw.executemany(_SQLITE_INSERT, [row.values for row in rows])
        inserted = cursor.rowcount
        if inserted == len(rows):
            cursor = await raw.execute("SELECT last_insert_rowid()")
            (last_id,) = await cursor.fetchone() or (0,)
            return rows, int(last_id) - inserted + 1
        if inserted == 0:
            return [], 0
        marks = ", ".join("?" * len(rows))
        cursor = await raw.execute(
            f"SELECT id, external_id FROM requests WHERE project_id = ? AND external_id IN "
            f"({marks}) ORDER BY id DESC LIMIT ?",
            [project_id, *(row.external_id for row in rows), inserted],
        )
        newest = list(await cursor.fetchall())
    stored = {str(external_id) for _, external_id in newest}
    first_id = min(int(row_id) for row_id, _ in newest)
    return [row for row in rows if row.external_id in stored], first_id


async def _insert_new(connection: BaseDBAsyncClient, rows: list[Row]) -> tuple[list[Row], int]:
    """PostgreSQL: insert what is new; the unique (project_id, external_id) decides, even
    against a concurrent batch, and RETURNING says which rows this call stored: those rows,
    and the smallest id they were given (0 when none)."""
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
