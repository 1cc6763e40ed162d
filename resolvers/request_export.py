"""The request log read whole for an export: newest first, in keyset batches, so memory stays
that of one batch however many rows match (CSV of a million requests in constant memory).

The rows are plain tuples in ``EXPORT_COLUMNS`` order, names of the assistant, model, token
and user joined in; the filter's WHERE is the paged log's (``request_log.constrain_to``).
"""

from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Literal

from kernel.raw_sql import Statement
from models import Request
from resolvers.request_log import RELATED_JOINS, RequestFilter, constrain_to

BATCH_ROWS = 5_000


@dataclass(frozen=True)
class ExportColumn:
    name: str  # the CSV header: the GraphQL field's name, or parent + field
    sql: str
    kind: Literal["text", "integer", "instant", "usd_nanos"] = "integer"
    content: bool = False  # input and output: only when asked for and allowed


EXPORT_COLUMNS: tuple[ExportColumn, ...] = (
    ExportColumn("id", "r.id"),
    ExportColumn("externalId", "r.external_id", "text"),
    ExportColumn("createdAt", "r.created_at", "instant"),
    ExportColumn("status", "r.status", "text"),
    ExportColumn("durationMs", "r.duration_ms"),
    ExportColumn("assistantId", "r.assistant_id"),
    ExportColumn("assistantName", "a.name", "text"),
    ExportColumn("modelId", "r.model_id"),
    ExportColumn("modelName", "m.name", "text"),
    ExportColumn("apiTokenId", "r.api_token_id"),
    ExportColumn("apiTokenName", "t.name", "text"),
    ExportColumn("userId", "r.user_id"),
    ExportColumn("userEmail", "u.email", "text"),
    ExportColumn("inputTokens", "r.input_tokens"),
    ExportColumn("outputTokens", "r.output_tokens"),
    ExportColumn("cost", "r.cost_nanos", "usd_nanos"),  # USD, exact to the nano-dollar
    ExportColumn("errorMessage", "r.error_message", "text"),
    ExportColumn("input", "r.input", "text", content=True),
    ExportColumn("output", "r.output", "text", content=True),
)

EXPORT_FROM = f"FROM requests r {RELATED_JOINS}"


def export_columns(with_content: bool) -> list[ExportColumn]:
    return [column for column in EXPORT_COLUMNS if with_content or not column.content]


def as_instant(value: datetime | str) -> datetime:
    """A ``created_at`` as the driver gives it (SQLite: text), as an aware UTC datetime."""
    instant = datetime.fromisoformat(value) if isinstance(value, str) else value
    return instant.replace(tzinfo=UTC) if instant.tzinfo is None else instant.astimezone(UTC)


async def export_rows(
    project_id: int,
    filters: RequestFilter,
    columns: Sequence[ExportColumn],
    batch_rows: int = BATCH_ROWS,
) -> AsyncIterator[list[tuple[Any, ...]]]:
    """Batches of rows (tuples in ``columns`` order), newest first, until none are left."""
    connection = Request._meta.db  # the ORM's connection, whatever its name
    selected = ", ".join(column.sql for column in columns)
    created_at = [column.name for column in columns].index("createdAt")
    row_id = [column.name for column in columns].index("id")
    position: tuple[datetime, int] | None = None
    while True:
        sql = Statement(connection)
        constrain_to(sql, project_id, filters, table="r.")
        if position is not None:
            sql.where.append(
                f"(r.created_at, r.id) < ({sql.bind(position[0])}, {sql.bind(position[1])})"
            )
        query = (
            f"SELECT {selected} {EXPORT_FROM} WHERE {' AND '.join(sql.where)} "
            f"ORDER BY r.created_at DESC, r.id DESC LIMIT {sql.bind(batch_rows)}"
        )
        _, found = await connection.execute_query(query, sql.params)
        if not found:
            return
        # sqlite3.Row and asyncpg's Record both index by position.
        batch = [tuple(row) for row in found]
        last = batch[-1]
        position = (as_instant(last[created_at]), int(last[row_id]))
        yield batch
        if len(batch) < batch_rows:
            return
