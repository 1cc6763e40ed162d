"""The migrations describe the models, and upgrading a database that already holds rollups
starts the daily tier, the hourly one and the per-user hourly and daily tiers out complete."""

import sqlite3
import subprocess
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import asyncpg

from tests.support.backends import Backend, command_env, postgres_database, run_cli

BEFORE_DAILY_TIER = "models.0005_requests_without_foreign_keys"
# Table and column names below are constants: S608 does not apply.
# (bucket_start, user_key, assistant_key, model_id, api_token_key, status, requests, errors,
#  cost_nanos, duration_ms, input_tokens, output_tokens) of project 7, and one of project 8.
QUARTERS = [
    (datetime(2026, 3, 1, 23, 45, tzinfo=UTC), 1, 2, 3, 0, "SUCCESS", 2, 0, 100, 40, 10, 5),
    (datetime(2026, 3, 2, 0, 0, tzinfo=UTC), 1, 2, 3, 0, "SUCCESS", 1, 0, 50, 20, 5, 2),
    (datetime(2026, 3, 2, 12, 30, tzinfo=UTC), 1, 2, 3, 0, "SUCCESS", 4, 0, 10, 80, 7, 1),
    (datetime(2026, 3, 2, 12, 30, tzinfo=UTC), 0, 2, 3, 0, "SUCCESS", 3, 0, 30, 60, 3, 3),
    (datetime(2026, 3, 2, 23, 45, tzinfo=UTC), 1, 0, 3, 4, "ERROR", 1, 1, 0, 9, 1, 0),
]
KEYS = "bucket_start, assistant_key, model_id, api_token_key, status"
USER_KEYS = "bucket_start, user_key, assistant_key, model_id, api_token_key, status"
SUMS = "requests, errors, cost_nanos, duration_ms, input_tokens, output_tokens"


def migrate_to(database_url: str, target: str) -> None:
    # In its own process: migrate() initialises Tortoise globally, as the tests' ORM does.
    script = (
        "import asyncio\n"
        "from tortoise import Tortoise\n"
        "from tortoise.migrations.api.migrate import migrate\n"
        "from comptroller.database import tortoise_config\n"
        "async def main():\n"
        f"    await migrate(config=tortoise_config({database_url!r}), target={target!r})\n"
        "    await Tortoise.close_connections()\n"
        "asyncio.run(main())\n"
    )
    subprocess.run([sys.executable, "-c", script], check=True, timeout=120)


def pending_operations(folder: Path) -> list[str]:
    """What ``tortoise makemigrations`` would write now, without writing it."""
    # In its own process, as migrate_to: the CLI's context initialises Tortoise globally.
    database_url = f"sqlite://{folder / 'unused.db'}"
    script = (
        "import asyncio\n"
        "from tortoise.cli.cli import tortoise_cli_context\n"
        "from tortoise.migrations.autodetector import MigrationAutodetector\n"
        "from comptroller.database import tortoise_config\n"
        "async def main():\n"
        f"    config = tortoise_config({database_url!r})\n"
        "    async with tortoise_cli_context(config) as ctx:\n"
        "        writers = await MigrationAutodetector(ctx.apps, config['apps']).changes()\n"
        "    for writer in writers:\n"
        "        for operation in writer.operations:\n"
        "            print(type(operation).__name__, vars(operation))\n"
        "asyncio.run(main())\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", script], check=True, timeout=120, capture_output=True, text=True
    )
    return done.stdout.splitlines()


def test_the_migrations_leave_no_model_change_to_write(tmp_path: Path) -> None:
    assert pending_operations(tmp_path) == []


@asynccontextmanager
async def fresh_database(backend: Backend, folder: Path) -> AsyncIterator[str]:
    if backend.name == "sqlite":
        yield f"sqlite://{folder / 'upgrade.db'}"
        return
    async with postgres_database() as url:
        yield url


async def execute(database_url: str, sql: str, rows: list[tuple[Any, ...]] | None = None) -> Any:
    """Run ``sql`` (once per row of ``rows`` when given) and return the rows it selects."""
    if database_url.startswith("sqlite://"):
        with sqlite3.connect(database_url.removeprefix("sqlite://")) as db:
            if rows is not None:
                stored = [tuple(v.isoformat(" ") if isinstance(v, datetime) else v for v in row)
                          for row in rows]  # fmt: skip
                db.executemany(sql.replace("$", "?"), stored)
                return []
            return db.execute(sql).fetchall()
    connection = await asyncpg.connect(database_url)
    try:
        if rows is not None:
            await connection.executemany(_numbered(sql), rows)
            return []
        return [tuple(row) for row in await connection.fetch(sql)]
    finally:
        await connection.close()


def _numbered(sql: str) -> str:
    """``$`` placeholders as asyncpg's ``$1, $2, ...``."""
    parts = sql.split("$")
    return parts[0] + "".join(f"${index}{part}" for index, part in enumerate(parts[1:], 1))


def as_utc(value: Any) -> datetime:
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    return value.astimezone(UTC)  # type: ignore[no-any-return]


async def test_upgrading_sums_the_stored_quarter_hours_into_utc_days(
    backend: Backend, tmp_path: Path
) -> None:
    async with fresh_database(backend, tmp_path) as url:
        # given a database from before the daily tier, with rollups in it
        migrate_to(url, BEFORE_DAILY_TIER)
        marks = ", ".join("$" * 13)
        per_user = [(7, *row) for row in QUARTERS] + [(8, *QUARTERS[0])]
        await execute(
            url,
            f"INSERT INTO user_usage_rollups (project_id, {USER_KEYS}, {SUMS}) VALUES ({marks})",  # noqa: S608
            per_user,
        )
        usage = [(7, *row[:1], *row[2:]) for row in QUARTERS[:3]]
        await execute(
            url,
            f"INSERT INTO usage_rollups (project_id, {KEYS}, {SUMS}) "  # noqa: S608
            f"VALUES ({', '.join('$' * 12)})",
            usage,
        )

        # when it is upgraded
        done = run_cli(["init-db"], command_env(url, "memory://", "upgrade-test"))
        assert done.returncode == 0, done.stderr

        # then the daily tables hold the quarter hours summed per project and UTC day
        daily_user = await execute(
            url,
            f"SELECT project_id, {USER_KEYS}, {SUMS} FROM user_usage_daily_rollups",  # noqa: S608
        )
        daily = await execute(
            url,
            f"SELECT project_id, {KEYS}, {SUMS} FROM usage_daily_rollups",  # noqa: S608
        )
        users_alone = {
            table: await execute(
                url,
                f"SELECT project_id, bucket_start, user_key, {SUMS} FROM {table}",  # noqa: S608
            )
            for table in ("user_hourly_rollups", "user_daily_rollups")
        }
        hourly = await execute(
            url,
            f"SELECT project_id, {KEYS}, {SUMS} FROM usage_hourly_rollups",  # noqa: S608
        )
    first, second = datetime(2026, 3, 1, tzinfo=UTC), datetime(2026, 3, 2, tzinfo=UTC)
    assert sorted((p, as_utc(b), *rest) for p, b, *rest in daily_user) == sorted([
        (7, first, 1, 2, 3, 0, "SUCCESS", 2, 0, 100, 40, 10, 5),
        (7, second, 1, 2, 3, 0, "SUCCESS", 5, 0, 60, 100, 12, 3),
        (7, second, 0, 2, 3, 0, "SUCCESS", 3, 0, 30, 60, 3, 3),
        (7, second, 1, 0, 3, 4, "ERROR", 1, 1, 0, 9, 1, 0),
        (8, first, 1, 2, 3, 0, "SUCCESS", 2, 0, 100, 40, 10, 5),
    ])  # fmt: skip
    assert sorted((p, as_utc(b), *rest) for p, b, *rest in daily) == [
        (7, first, 2, 3, 0, "SUCCESS", 2, 0, 100, 40, 10, 5),
        (7, second, 2, 3, 0, "SUCCESS", 5, 0, 60, 100, 12, 3),
    ]
    # and the hourly tier and the per-user tiers of the user alone the same, per UTC hour and
    # per UTC day
    hour = [first.replace(hour=23), second, second.replace(hour=12), second.replace(hour=23)]
    assert sorted((p, as_utc(b), *rest) for p, b, *rest in hourly) == [
        (7, hour[0], 2, 3, 0, "SUCCESS", 2, 0, 100, 40, 10, 5),
        (7, hour[1], 2, 3, 0, "SUCCESS", 1, 0, 50, 20, 5, 2),
        (7, hour[2], 2, 3, 0, "SUCCESS", 4, 0, 10, 80, 7, 1),
    ]
    assert sorted((p, as_utc(b), *rest) for p, b, *rest in users_alone["user_hourly_rollups"]) == [
        (7, hour[0], 1, 2, 0, 100, 40, 10, 5),
        (7, hour[1], 1, 1, 0, 50, 20, 5, 2),
        (7, hour[2], 0, 3, 0, 30, 60, 3, 3),
        (7, hour[2], 1, 4, 0, 10, 80, 7, 1),
        (7, hour[3], 1, 1, 1, 0, 9, 1, 0),
        (8, hour[0], 1, 2, 0, 100, 40, 10, 5),
    ]
    assert sorted((p, as_utc(b), *rest) for p, b, *rest in users_alone["user_daily_rollups"]) == [
        (7, first, 1, 2, 0, 100, 40, 10, 5),
        (7, second, 0, 3, 0, 30, 60, 3, 3),
        (7, second, 1, 6, 1, 60, 109, 13, 3),
        (8, first, 1, 2, 0, 100, 40, 10, 5),
    ]
