"""The demo data: every role gets a working token, and the requests hold together.

``load_demo`` initialises Tortoise itself, so it runs in a subprocess, out of the way of the
Tortoise the other tests share.
"""

import hashlib
import json
import sqlite3
import subprocess
import sys
from collections import defaultdict
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from models.rollup import SUM_COLUMNS, USER_USAGE_KEY, RollupSums
from resolvers.rollups import quarter_hour_of

REPOSITORY = Path(__file__).resolve().parents[1]
NOW = datetime(2025, 3, 30, 12, 0, tzinfo=UTC)  # Europe's clocks went forward that night
REQUESTS = 2_000
LOAD_AND_READ_BACK = """
import asyncio, json, sys
from datetime import datetime
from tortoise import Tortoise
from comptroller.database import migrate_database, tortoise_config
from comptroller.demo import load_demo
from models import Request

async def main(url: str, now: str, count: int) -> None:
    await migrate_database(url)
    tokens = await load_demo(
        url, request_count=count, seed=11, progress=False, now=datetime.fromisoformat(now)
    )
    await Tortoise.init(config=tortoise_config(url))
    try:
        rows = await Request.all().order_by("id").limit(5)
        read = [[row.id, row.created_at.isoformat(), row.recorded_at.isoformat()] for row in rows]
    finally:
        await Tortoise.close_connections()
    print(json.dumps({"tokens": tokens, "read": read}))

asyncio.run(main(sys.argv[1], sys.argv[2], int(sys.argv[3])))
"""


@dataclass(frozen=True)
class Demo:
    path: Path
    tokens: dict[str, str]
    read: list[list[object]]  # [id, created_at, recorded_at] as the ORM reads them


def load(path: Path) -> Demo:
    done = subprocess.run(
        [
            sys.executable,
            "-W",
            "error",
            "-c",
            LOAD_AND_READ_BACK,
            f"sqlite://{path}",
            NOW.isoformat(),
            str(REQUESTS),
        ],
        cwd=REPOSITORY,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    loaded = json.loads(done.stdout.strip().splitlines()[-1])
    return Demo(path=path, tokens=loaded["tokens"], read=loaded["read"])


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Demo:
    return load(tmp_path_factory.mktemp("demo") / "demo.db")


def query(demo: Demo, sql: str) -> list[tuple[Any, ...]]:
    with sqlite3.connect(demo.path) as connection:
        return connection.execute(sql).fetchall()


def test_every_role_gets_a_token_stored_only_as_a_hash(demo: Demo) -> None:
    project = "Customer Support Copilot"
    assert list(demo.tokens)[:5] == [
        "Superuser (platform operator)",
        f"Project Administrator ({project})",
        f"Project Member ({project})",
        f"Access all Project Assistants ({project})",
        f"Gateway API token ({project})",
    ]
    stored = {
        secret_hash
        for (secret_hash,) in query(
            demo,
            "SELECT secret_hash FROM personal_access_tokens"
            " UNION ALL SELECT secret_hash FROM api_tokens",
        )
    }
    for secret in demo.tokens.values():
        assert hashlib.sha256(secret.encode()).hexdigest() in stored


def test_showcase_people_hold_exactly_their_role(demo: Demo) -> None:
    rows = query(
        demo,
        "SELECT p.name, m.roles FROM memberships m JOIN projects p ON p.id = m.project_id"
        " JOIN personal_access_tokens t ON t.user_id = m.user_id ORDER BY t.id",
    )
    assert [(name, json.loads(roles)) for name, roles in rows] == [
        ("Customer Support Copilot", ["PROJECT_ADMIN"]),
        ("Customer Support Copilot", ["PROJECT_MEMBER"]),
        ("Customer Support Copilot", ["ASSISTANT_USER"]),
    ]


def test_there_are_enough_of_everything(demo: Demo) -> None:
    [counts] = query(
        demo,
        "SELECT (SELECT count(*) FROM projects), (SELECT count(*) FROM project_settings),"
        " (SELECT count(*) FROM users), (SELECT count(*) FROM ai_models),"
        " (SELECT count(*) FROM assistants WHERE status = 'INACTIVE'),"
        " (SELECT count(*) FROM assistants), (SELECT count(*) FROM api_tokens"
        " WHERE revoked_at IS NOT NULL), (SELECT count(*) FROM requests)",
    )
    projects, settings, users, models, inactive, assistants, revoked, requests = counts
    assert projects == settings >= 3
    assert users == 40
    assert models >= 8
    assert assistants >= 10
    assert inactive >= 1
    assert revoked >= 1
    assert requests == REQUESTS


def test_costs_are_exact_integer_nanos_at_the_stored_prices(demo: Demo) -> None:
    wrong = query(
        demo,
        "SELECT count(*) FROM requests r JOIN ai_models m ON m.id = r.model_id"
        " WHERE r.input_price_per_million_nanos != m.input_price_per_million_nanos"
        " OR r.output_price_per_million_nanos != m.output_price_per_million_nanos"
        " OR r.cost_nanos != (r.input_tokens * r.input_price_per_million_nanos"
        " + r.output_tokens * r.output_price_per_million_nanos + 500000) / 1000000",
    )
    assert wrong == [(0,)]


def test_requests_use_a_token_of_their_project_that_was_valid_then(demo: Demo) -> None:
    wrong = query(
        demo,
        "SELECT count(*) FROM requests r LEFT JOIN api_tokens t ON t.id = r.api_token_id"
        " WHERE t.id IS NULL OR t.project_id != r.project_id OR r.created_at < t.created_at"
        " OR r.created_at >= coalesce(t.revoked_at, '9999-12-31')"
        " OR r.created_at >= coalesce(t.expires_at, '9999-12-31')",
    )
    assert wrong == [(0,)]


def test_requests_span_ninety_days_with_errors_and_gaps(demo: Demo) -> None:
    [(first, last, errors, without_user, without_assistant, external_ids)] = query(
        demo,
        "SELECT min(created_at), max(created_at), sum(status = 'ERROR'), sum(user_id IS NULL),"
        " sum(assistant_id IS NULL), count(DISTINCT project_id || ':' || external_id)"
        " FROM requests",
    )
    span = datetime.fromisoformat(last) - datetime.fromisoformat(first)
    assert 85 <= span.days < 90
    assert datetime.fromisoformat(last) < NOW
    assert 0 < errors < REQUESTS * 0.1
    assert without_user > 0
    assert without_assistant > 0
    assert external_ids == REQUESTS


def test_stored_datetimes_match_what_the_orm_writes_and_read_back_aware(demo: Demo) -> None:
    for created_at, recorded_at in query(demo, "SELECT created_at, recorded_at FROM requests"):
        for text in (created_at, recorded_at):
            assert datetime.fromisoformat(text).isoformat(" ") == text
            assert text.endswith("+00:00")
    stored = query(demo, "SELECT id, created_at FROM requests ORDER BY id LIMIT 5")
    read = [(row[0], datetime.fromisoformat(str(row[1]))) for row in demo.read]
    assert all(created_at.utcoffset() == timedelta(0) for _, created_at in read)
    assert read == [(row_id, datetime.fromisoformat(created_at)) for row_id, created_at in stored]


def test_the_same_seed_gives_the_same_requests(
    demo: Demo, tmp_path_factory: pytest.TempPathFactory
) -> None:
    again = load(tmp_path_factory.mktemp("again") / "demo.db")

    everything = "SELECT * FROM requests ORDER BY id"
    assert query(again, everything) == query(demo, everything)
    assert again.tokens.keys() == demo.tokens.keys()
    assert set(again.tokens.values()).isdisjoint(demo.tokens.values())


def test_rollups_hold_what_recording_the_requests_would_have_added(demo: Demo) -> None:
    expected: dict[tuple[Any, ...], RollupSums] = defaultdict(RollupSums)
    for row in query(
        demo,
        "SELECT project_id, created_at, user_id, assistant_id, model_id, api_token_id, status,"
        " cost_nanos, duration_ms, input_tokens, output_tokens FROM requests",
    ):
        project, created_at, user, assistant, model, token, status, *sums = row
        bucket = quarter_hour_of(datetime.fromisoformat(created_at)).isoformat(" ")
        key = (project, bucket, user or 0, assistant or 0, model, token or 0, status)
        expected[key].add(RollupSums(1, int(status == "ERROR"), *sums))

    columns = ", ".join(USER_USAGE_KEY + SUM_COLUMNS)
    stored = query(demo, f"SELECT {columns} FROM user_usage_rollups")  # noqa: S608 -- constants
    assert {row[:7]: RollupSums(*row[7:]) for row in stored} == expected
    [(totals_match,)] = query(
        demo,
        "SELECT (SELECT sum(requests) || ':' || sum(cost_nanos) FROM usage_rollups)"
        " = (SELECT count(*) || ':' || sum(cost_nanos) FROM requests)",
    )
    assert totals_match == 1
