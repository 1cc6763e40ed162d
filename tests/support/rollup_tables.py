"""A project's rollup tables as stored, and as its raw requests say they must be."""

from collections import defaultdict
from datetime import UTC, datetime
from typing import Any

from tortoise.models import Model

from models import (
    Request,
    UsageDailyRollup,
    UsageHourlyRollup,
    UsageRollup,
    UserDailyRollup,
    UserHourlyRollup,
    UserUsageDailyRollup,
    UserUsageRollup,
)
from models.rollup import SUM_COLUMNS
from resolvers.rollups import day_of, quarter_hour_of


def hour_of(instant: datetime) -> datetime:
    return instant.replace(minute=0, second=0, microsecond=0)


# The stored sums are read by their one list of names; the recomputation below is written
# out on purpose, as an expectation independent of the code under test.
SUMS = SUM_COLUMNS
KEYS = ("assistant_key", "model_id", "api_token_key", "status")
USER = ("user_key",)
# Table -> (model, the dimensions it keeps, the start of a request's bucket in it).
TABLES: dict[str, tuple[type[Model], tuple[str, ...], Any]] = {
    "usage_rollups": (UsageRollup, KEYS, quarter_hour_of),
    "user_usage_rollups": (UserUsageRollup, (*USER, *KEYS), quarter_hour_of),
    "usage_daily_rollups": (UsageDailyRollup, KEYS, day_of),
    "user_usage_daily_rollups": (UserUsageDailyRollup, (*USER, *KEYS), day_of),
    "user_hourly_rollups": (UserHourlyRollup, USER, hour_of),
    "user_daily_rollups": (UserDailyRollup, USER, day_of),
    "usage_hourly_rollups": (UsageHourlyRollup, KEYS, hour_of),
}
Rows = dict[str, dict[tuple[Any, ...], tuple[int, ...]]]


async def stored_rollups(project_id: int) -> Rows:
    tables: Rows = {}
    for table, (model, dimensions, _) in TABLES.items():
        columns = ("bucket_start", *dimensions)
        tables[table] = {
            (row["bucket_start"].astimezone(UTC), *(row[c] for c in columns[1:])): tuple(
                row[s] for s in SUMS
            )
            for row in await model.filter(project_id=project_id).values(*columns, *SUMS)
        }
    return tables


async def recomputed_rollups(project_id: int) -> Rows:
    sums: dict[str, dict[tuple[Any, ...], list[int]]] = {
        table: defaultdict(lambda: [0] * len(SUMS)) for table in TABLES
    }
    for row in await Request.filter(project_id=project_id).values(
        "created_at", "user_id", "assistant_id", "model_id", "api_token_id", "status",
        "cost_nanos", "duration_ms", "input_tokens", "output_tokens",
    ):  # fmt: skip
        created_at: datetime = row["created_at"].astimezone(UTC)
        status = str(row["status"])
        keys = {
            "user_key": row["user_id"] or 0, "assistant_key": row["assistant_id"] or 0,
            "model_id": row["model_id"], "api_token_key": row["api_token_id"] or 0,
            "status": status,
        }  # fmt: skip
        values = (1, int(status == "ERROR"), row["cost_nanos"], row["duration_ms"],
                  row["input_tokens"], row["output_tokens"])  # fmt: skip
        for table, (_, dimensions, start_of) in TABLES.items():
            kept = (keys[dimension] for dimension in dimensions)
            totals = sums[table][(start_of(created_at), *kept)]
            totals[:] = [total + value for total, value in zip(totals, values, strict=True)]
    return {
        table: {key: tuple(values) for key, values in rows.items()} for table, rows in sums.items()
    }


async def assert_every_tier_equals_the_requests(project_id: int) -> Rows:
    """Every rollup row equals a recomputation from the raw rows (and no other row exists)."""
    stored = await stored_rollups(project_id)
    assert stored == await recomputed_rollups(project_id)
    return stored
