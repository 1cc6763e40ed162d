"""The rollups that ingestion maintains (both tiers, with and without the user) equal those
recomputed from the raw rows, and a rebuild changes none of them."""

from datetime import UTC, datetime, timedelta
from typing import Any

from tortoise import fields
from tortoise.transactions import in_transaction

from models import (
    Project,
    Request,
    RequestStatus,
    UsageDailyRollup,
    UsageRollup,
    UserUsageDailyRollup,
    UserUsageRollup,
)
from models.rollup import SUM_COLUMNS, RollupSums
from resolvers.rollup_rebuild import rebuild_rollups
from resolvers.rollups import SUMMED_REQUEST_COLUMNS, day_of, quarter_hour_of
from tests.support.backends import Backend
from tests.support.factories import (
    grant,
    make_assistant,
    make_model,
    make_project,
    make_request,
    make_user,
)
from tests.support.rollup_tables import assert_every_tier_equals_the_requests, stored_rollups

COLUMNS = ("bucket_start", "assistant_key", "model_id", "api_token_key", "status", "requests",
           "errors", "cost_nanos", "duration_ms", "input_tokens", "output_tokens")  # fmt: skip


async def rollup_rows(project: Project) -> tuple[list[Any], list[Any]]:
    usage = await UsageRollup.filter(project_id=project.id).values_list(*COLUMNS)
    per_user = await UserUsageRollup.filter(project_id=project.id).values_list("user_key", *COLUMNS)
    return sorted(usage), sorted(per_user)


def test_every_rollup_table_keeps_each_sum_as_a_bigint_column() -> None:
    assert SUM_COLUMNS == ("requests", "errors", "cost_nanos", "duration_ms", "input_tokens",
                           "output_tokens")  # fmt: skip
    for model in (UsageRollup, UserUsageRollup, UsageDailyRollup, UserUsageDailyRollup):
        columns = model._meta.fields_map
        assert [c for c in columns if c in SUM_COLUMNS] == list(SUM_COLUMNS)
        assert all(type(columns[c]) is fields.BigIntField for c in SUM_COLUMNS)
    # Every sum but the counts is the sum of the request column of its name.
    assert set(SUMMED_REQUEST_COLUMNS) == set(SUM_COLUMNS) - {"requests", "errors"}
    assert set(SUMMED_REQUEST_COLUMNS) <= set(Request._meta.fields_map)


def test_sums_add_and_negate_field_by_field() -> None:
    sums = RollupSums(1, 2, 3, 4, 5, 6)
    sums.add(RollupSums(10, 20, 30, 40, 50, 60))
    assert sums == RollupSums(11, 22, 33, 44, 55, 66)
    assert sums.negated() == RollupSums(-11, -22, -33, -44, -55, -66)


def test_quarter_hours_are_aligned_in_utc() -> None:
    instant = datetime(2026, 3, 29, 1, 44, 59, 999999, tzinfo=UTC)
    assert quarter_hour_of(instant) == datetime(2026, 3, 29, 1, 30, tzinfo=UTC)
    assert quarter_hour_of(datetime(2026, 3, 29, 1, 45, tzinfo=UTC)) == datetime(
        2026, 3, 29, 1, 45, tzinfo=UTC
    )


async def test_rebuilt_rollups_equal_the_ones_kept_on_ingest(backend: Backend) -> None:
    # given requests recorded one by one over several buckets and dimensions
    project = await make_project()
    models = [await make_model(), await make_model(0.15, 0.6)]
    assistant = await make_assistant(project)
    user, _ = await make_user()
    await grant(user, project)
    start = datetime.now(UTC).replace(microsecond=0) - timedelta(hours=3)
    for index in range(24):
        await make_request(
            project,
            models[index % 2],
            created_at=start + timedelta(minutes=7 * index, microseconds=index % 3),
            status=RequestStatus.ERROR if index % 5 == 0 else RequestStatus.SUCCESS,
            assistant_id=str(assistant.id) if index % 3 else None,
            user_id=str(user.id) if index % 4 else None,
            input_tokens=100 + index,
            output_tokens=7 * index,
        )
    kept = await rollup_rows(project)
    every_tier = await stored_rollups(project.id)

    # when they are recomputed from the raw rows
    async with in_transaction(backend.name) as connection:
        await rebuild_rollups(connection, project.id)

    # then nothing differs
    assert await rollup_rows(project) == kept
    assert sum(row[5] for row in kept[0]) == 24
    assert await stored_rollups(project.id) == every_tier


def test_days_are_utc_midnights() -> None:
    instant = datetime(2026, 3, 29, 23, 59, 59, 999999, tzinfo=UTC)
    assert day_of(instant) == datetime(2026, 3, 29, tzinfo=UTC)


async def test_daily_rollups_kept_on_ingest_sum_each_utc_day(backend: Backend) -> None:
    # given requests on both sides of two UTC midnights, with and without users
    project = await make_project()
    model = await make_model()
    assistant = await make_assistant(project)
    users = []
    for _ in range(2):
        user, _ = await make_user()
        await grant(user, project)
        users.append(user)
    midnight = day_of(datetime.now(UTC)) - timedelta(days=2)
    offsets = [-90, -1, 0, 1, 14, 15, 600, 1439, 1440, 1441, 2000]
    for index, minutes in enumerate(offsets):
        await make_request(
            project,
            model,
            created_at=midnight + timedelta(minutes=minutes, microseconds=index),
            status=RequestStatus.ERROR if index % 4 == 0 else RequestStatus.SUCCESS,
            assistant_id=str(assistant.id) if index % 2 else None,
            user_id=str(users[index % 2].id) if index % 3 else None,
            input_tokens=10 * index,
        )

    # then every tier equals a recomputation from the requests
    tiers = await assert_every_tier_equals_the_requests(project.id)
    days = {key[0] for key in tiers["usage_daily_rollups"]}
    assert days == {midnight - timedelta(days=1), midnight, midnight + timedelta(days=1)}
    assert sum(row[0] for row in tiers["user_usage_daily_rollups"].values()) == len(offsets)


async def test_rebuilding_keeps_every_tier_equal_to_the_requests(backend: Backend) -> None:
    # given requests over three days, recorded one by one
    project = await make_project()
    model = await make_model()
    start = day_of(datetime.now(UTC)) - timedelta(days=3, hours=5)
    for index in range(12):
        await make_request(project, model, created_at=start + timedelta(hours=7 * index))
    kept = await assert_every_tier_equals_the_requests(project.id)

    # when the rollups are rebuilt from the raw rows
    async with in_transaction(backend.name) as connection:
        await rebuild_rollups(connection, project.id)

    # then every tier is as it was
    assert await assert_every_tier_equals_the_requests(project.id) == kept
