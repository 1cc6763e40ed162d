"""A project's four rollup tables as stored, and as its raw requests say they must be."""

from collections import defaultdict
from datetime import UTC, datetime
from typing import Any

from tortoise.models import Model

from models import Request, UsageDailyRollup, UsageRollup, UserUsageDailyRollup, UserUsageRollup
from models.rollup import SUM_COLUMNS
from resolvers.rollups import day_of, quarter_hour_of

# The stored sums are read by their one list of names; the recomputation below is written
# out on purpose, as an expectation independent of the code under test.
SUMS = SUM_COLUMNS
KEYS = ("assistant_key", "model_id", "api_token_key", "status")
# Table -> (model, whether it keeps the user, the start of a request's bucket in it).
TABLES: dict[str, tuple[type[Model], bool, Any]] = {
    "usage_rollups": (UsageRollup, False, quarter_hour_of),
    "user_usage_rollups": (UserUsageRollup, True, quarter_hour_of),
    "usage_daily_rollups": (UsageDailyRollup, False, day_of),
    "user_usage_daily_rollups": (UserUsageDailyRollup, True, day_of),
}
Rows = dict[str, dict[tuple[Any, ...], tuple[int, ...]]]


async def stored_rollups(project_id: int) -> Rows:
    tables: Rows = {}
    for table, (model, with_user, _) in TABLES.items():
        columns = ("bucket_start", *(("user_key",) if with_user else ()), *KEYS)
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
        keys = (row["assistant_id"] or 0, row["model_id"], row["api_token_id"] or 0, status)
        values = (1, int(status == "ERROR"), row["cost_nanos"], row["duration_ms"],
                  row["input_tokens"], row["output_tokens"])  # fmt: skip
        for table, (_, with_user, start_of) in TABLES.items():
            user = (row["user_id"] or 0,) if with_user else ()
            totals = sums[table][(start_of(created_at), *user, *keys)]
            totals[:] = [total + value for total, value in zip(totals, values, strict=True)]
    return {
        table: {key: tuple(values) for key, values in rows.items()} for table, rows in sums.items()
    }


async def assert_every_tier_equals_the_requests(project_id: int) -> Rows:
    """Every rollup row equals a recomputation from the raw rows (and no other row exists)."""
    stored = await stored_rollups(project_id)
    assert stored == await recomputed_rollups(project_id)
    return stored
