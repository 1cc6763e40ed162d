"""``comptroller purge`` and ``comptroller import-requests``, run as an operator runs them,
on the backends' databases."""

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from tortoise.transactions import in_transaction

from models import Project, Request, UsageRollup, UserUsageRollup
from resolvers.retention import purge_expired
from resolvers.rollup_rebuild import rebuild_rollups
from resolvers.rollups import day_of, next_quarter_hour, quarter_hour_of
from tests.support.backends import Backend, command_env, run_cli
from tests.support.factories import grant, make_model, make_project, make_request, make_user
from tests.support.records import record
from tests.support.rollup_tables import assert_every_tier_equals_the_requests

ROLLUP_COLUMNS = ("bucket_start", "assistant_key", "model_id", "api_token_key", "status",
                  "requests", "errors", "cost_nanos", "duration_ms", "input_tokens",
                  "output_tokens")  # fmt: skip


def cli(backend: Backend, *args: str) -> tuple[int, str]:
    env = command_env(backend.database_url, backend.cache_url, backend.cache_namespace)
    done = run_cli(list(args), env)
    assert "Traceback" not in done.stderr, done.stderr
    return done.returncode, done.stdout


async def rollups(project: Project) -> tuple[list[Any], list[Any]]:
    usage = await UsageRollup.filter(project_id=project.id).values_list(*ROLLUP_COLUMNS)
    per_user = await UserUsageRollup.filter(project_id=project.id).values_list(
        "user_key", *ROLLUP_COLUMNS
    )
    return sorted(usage), sorted(per_user)


async def test_purge_deletes_what_is_past_retention_and_keeps_rollups_exact(
    backend: Backend,
) -> None:
    # given a project keeping 30 days and one keeping everything
    kept_briefly = await make_project(retention_days=30)
    kept_forever = await make_project()
    model = await make_model()
    now = datetime.now(UTC)
    ages = [45, 40, 31, 29, 10, 1]
    for project in (kept_briefly, kept_forever):
        for days in ages:
            await make_request(project, model, created_at=now - timedelta(days=days))
    forever_before = await rollups(kept_forever)

    # when
    code, output = cli(backend, "purge", "--batch-size", "100")

    # then the three requests older than 30 days are gone, the rest stay
    assert code == 0
    assert f"project {kept_briefly.id}: deleted 3 requests" in output
    assert await Request.filter(project_id=kept_briefly.id).count() == 3
    assert await Request.filter(project_id=kept_forever.id).count() == len(ages)
    # and the rollups equal those recomputed from what remains
    after = await rollups(kept_briefly)
    async with in_transaction(backend.name) as connection:
        await rebuild_rollups(connection, kept_briefly.id)
    assert await rollups(kept_briefly) == after
    assert sum(row[5] for row in after[0]) == 3
    assert await rollups(kept_forever) == forever_before


async def test_purge_keeps_every_tier_equal_to_what_remains_when_it_cuts_a_day(
    backend: Backend,
) -> None:
    # given requests before and after the cutoff in its quarter hour and in its UTC day, on
    # the day before and the day after, with and without a user
    project = await make_project(retention_days=30)
    model = await make_model()
    user, _ = await make_user()
    await grant(user, project)
    now = datetime.now(UTC)
    cutoff = now - timedelta(days=30)
    day, quarter = day_of(cutoff), quarter_hour_of(cutoff)
    tick = timedelta(microseconds=1)
    before = [day - timedelta(hours=3), day, day + (cutoff - day) / 2, quarter, cutoff - tick]
    tomorrow = day + timedelta(days=1)
    after = [cutoff, cutoff + (next_quarter_hour(quarter) - cutoff) / 2, next_quarter_hour(quarter),
             cutoff + (tomorrow - cutoff) / 2, tomorrow + timedelta(hours=2)]  # fmt: skip
    for index, created_at in enumerate([*before, *after]):
        await make_request(
            project, model, created_at=created_at, input_tokens=index,
            user_id=str(user.id) if index % 2 else None,
        )  # fmt: skip
    await assert_every_tier_equals_the_requests(project.id)

    # when expired requests are purged, two per batch
    reports = await purge_expired(now=now, batch_size=2)

    # then what is left is the requests from the cutoff on, and every tier sums exactly them
    purged = next(r for r in reports if r.project_id == project.id)
    assert purged.deleted == sum(created_at < cutoff for created_at in before)
    remaining = await Request.filter(project_id=project.id).count()
    assert remaining == len(before) + len(after) - purged.deleted
    tiers = await assert_every_tier_equals_the_requests(project.id)
    assert sum(row[0] for row in tiers["usage_daily_rollups"].values()) == remaining
    assert min(key[0] for key in tiers["usage_daily_rollups"]) == day


def line(external_id: str, model_id: int, **overrides: Any) -> str:
    """One line of an import file: a record of 1,000 input and 500 output tokens."""
    return json.dumps(record(external_id, model_id, inputTokens=1000, outputTokens=500) | overrides)


async def test_import_requests_stores_good_lines_and_names_bad_ones(
    backend: Backend, tmp_path: Path
) -> None:
    # given a file with good lines, a repeat, and three bad lines
    project = await make_project()
    model = await make_model(2.5, 10.0)
    lines = [line(f"imp-{i}", model.id) for i in range(5)]
    lines.insert(2, line("imp-0", model.id))  # line 3 repeats line 1
    lines.append("{not json")  # line 7
    lines.append(line("imp-bad-model", 999_999_999))  # line 8
    lines.append(line("imp-negative", model.id, inputTokens=-1))  # line 9
    path = tmp_path / "backfill.jsonl"
    path.write_text("\n".join(lines) + "\n")

    # when
    code, output = cli(backend, "import-requests", str(path), "--project", str(project.id))

    # then
    assert code == 1  # some lines were rejected
    assert "accepted: 5" in output
    assert "duplicates: 1" in output
    assert "rejected: 3" in output
    assert "line 7: is not valid JSON" in output
    assert "line 8: modelId" in output
    assert "line 9: inputTokens" in output
    stored = await Request.filter(project_id=project.id).order_by("external_id")
    assert [r.external_id for r in stored] == [f"imp-{i}" for i in range(5)]
    assert {r.cost_nanos for r in stored} == {7_500_000}
    assert {r.api_token_id for r in stored} == {None}

    # and importing again stores nothing new
    code, output = cli(backend, "import-requests", str(path), "--project", str(project.id))
    assert "accepted: 0" in output
    assert "duplicates: 6" in output
    assert await Request.filter(project_id=project.id).count() == 5


async def test_import_into_an_unknown_project_is_refused(backend: Backend, tmp_path: Path) -> None:
    path = tmp_path / "one.jsonl"
    path.write_text(line("x", 1) + "\n")
    code, _ = cli(backend, "import-requests", str(path), "--project", "999999999")
    assert code == 2
