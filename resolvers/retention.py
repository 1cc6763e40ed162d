"""Retention: delete requests older than each project's ``retentionDays``, in batches, and
take them out of the rollups in the same transaction, so dashboards always agree with what
remains. Safe beside a serving API: each batch is its own short transaction."""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from tortoise.backends.base.client import BaseDBAsyncClient
from tortoise.transactions import in_transaction

from kernel.raw_sql import bind_marks
from models import ProjectSettings
from resolvers.data_versions import bump_version
from resolvers.rollups import START_OF, SUMMED_REQUEST_COLUMNS, TABLES, change_of, upsert_rollups

DEFAULT_BATCH = 5000


@dataclass(frozen=True)
class PurgeReport:
    project_id: int
    cutoff: datetime
    deleted: int


async def purge_expired(
    *,
    now: datetime | None = None,
    batch_size: int = DEFAULT_BATCH,
    on_batch: Callable[[int, int], None] | None = None,
) -> list[PurgeReport]:
    """Purge every project with a retention period; ``on_batch(project_id, deleted)`` after
    each batch, for progress."""
    now = now or datetime.now(UTC)
    reports = []
    for settings in await ProjectSettings.filter(retention_days__isnull=False).order_by(
        "project_id"
    ):
        assert settings.retention_days is not None
        cutoff = now - timedelta(days=settings.retention_days)
        deleted = 0
        while True:
            async with in_transaction() as connection:
                count = await _purge_batch(connection, settings.project_id, cutoff, batch_size)
            deleted += count
            if on_batch is not None and count:
                on_batch(settings.project_id, count)
            if count < batch_size:
                break
        reports.append(PurgeReport(project_id=settings.project_id, cutoff=cutoff, deleted=deleted))
    return reports


async def _purge_batch(
    connection: BaseDBAsyncClient, project_id: int, cutoff: datetime, batch_size: int
) -> int:
    # DELETE ... RETURNING hands back exactly the rows this transaction removed, so two
    # purges running at once can never subtract the same request twice.
    project, before, limit, again = bind_marks(connection, 4)
    sql = (
        "DELETE FROM requests WHERE id IN ("
        f"SELECT id FROM requests WHERE project_id = {project} AND created_at < {before} "
        f"ORDER BY created_at LIMIT {limit}) AND project_id = {again} "
        "RETURNING created_at, user_id, assistant_id, model_id, api_token_id, status, "
        f"{', '.join(SUMMED_REQUEST_COLUMNS)}"
    )
    # execute_query_dict: Tortoise's execute_query drops RETURNING rows on asyncpg.
    removed = await connection.execute_query_dict(sql, [project_id, cutoff, batch_size, project_id])
    changes = []
    for row in removed:
        created_at = row["created_at"]
        if isinstance(created_at, str):  # SQLite returns the stored text
            created_at = datetime.fromisoformat(created_at)
        key, sums = change_of(
            project_id,
            created_at,
            row["user_id"],
            row["assistant_id"],
            row["model_id"],
            row["api_token_id"],
            row["status"],
            row,
        )
        changes.append((key, sums.negated()))
    if changes:
        await bump_version(connection, project_id)
    await upsert_rollups(connection, changes)
    # Rows emptied by this batch can only lie at or before the cutoff's quarter hour (or hour,
    # or day).
    for table, layout in TABLES.items():
        last = START_OF[layout.grain](cutoff.astimezone(UTC))
        project, before = bind_marks(connection, 2)
        await connection.execute_query(
            f"DELETE FROM {table} WHERE project_id = {project} AND bucket_start <= {before} "
            "AND requests = 0",
            [project_id, last],
        )
    return len(removed)
