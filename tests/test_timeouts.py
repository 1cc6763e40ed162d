"""An operation past the time limit is cancelled, its statement on PostgreSQL too, and answers
TIMEOUT; the server keeps serving (issue 13)."""

import asyncio
import time
from pathlib import Path

import asyncpg
import httpx
import pytest

from comptroller.database import tortoise_config
from models import ProjectRole
from tests.support.backends import Backend
from tests.support.factories import grant, make_project, make_user
from tests.support.live_server import live_server, server_env

VIEWER = {"query": "{ viewer { id } }"}
USAGE_TABLES = (
    "requests, usage_rollups, user_usage_rollups, usage_daily_rollups, "
    "user_usage_daily_rollups, user_hourly_rollups, user_daily_rollups, usage_hourly_rollups, "
    "project_data_versions"
)
WAITING_ON_LOCKS = """
SELECT count(*) FROM pg_stat_activity
WHERE datname = current_database() AND wait_event_type = 'Lock' AND pid <> pg_backend_pid()
"""


@pytest.mark.parametrize("backend", ["postgres"], indirect=True)
async def test_a_slow_operation_is_cancelled_with_its_statement(
    backend: Backend, tmp_path: Path
) -> None:
    # given a server with a half-second limit, and a token whose table another session locks
    _, token = await make_user()
    env = server_env(backend.database_url, backend.cache_url, operation_timeout_seconds="0.5")
    headers = {"Authorization": f"Bearer {token}"}
    async with (
        live_server(env, tmp_path) as server,
        httpx.AsyncClient(base_url=server.url, timeout=10) as http,
    ):
        assert (await http.post("/graphql", json=VIEWER, headers=headers)).status_code == 200
        locker = await asyncpg.connect(backend.database_url)
        try:
            transaction = locker.transaction()
            await transaction.start()
            await locker.execute("LOCK TABLE personal_access_tokens IN ACCESS EXCLUSIVE MODE")

            # when a request needs that table
            started = time.monotonic()
            reply = await http.post("/graphql", json=VIEWER, headers=headers)
            elapsed = time.monotonic() - started

            # then it answers TIMEOUT at the limit, and its statement no longer waits
            assert reply.status_code == 504, reply.text
            (error,) = reply.json()["errors"]
            assert error["extensions"]["code"] == "TIMEOUT"
            assert error["extensions"]["requestId"]
            assert 0.5 <= elapsed < 2
            waiting = -1
            for _ in range(20):
                waiting = await locker.fetchval(WAITING_ON_LOCKS)
                if waiting == 0:
                    break
                await asyncio.sleep(0.05)
            assert waiting == 0
            await transaction.rollback()
        finally:
            await locker.close()
        # and the server keeps serving
        assert (await http.post("/graphql", json=VIEWER, headers=headers)).status_code == 200


@pytest.mark.parametrize("backend", ["postgres"], indirect=True)
async def test_a_slow_figure_export_answers_timeout(backend: Backend, tmp_path: Path) -> None:
    # given a server with a half-second limit, and the usage tables locked by another session
    user, token = await make_user()
    project = await make_project()
    await grant(user, project, ProjectRole.PROJECT_MEMBER)
    env = server_env(backend.database_url, backend.cache_url, operation_timeout_seconds="0.5")
    headers = {"Authorization": f"Bearer {token}"}
    params = {"project": str(project.id), "from": "2026-01-01T00:00:00+00:00",
              "to": "2026-01-02T00:00:00+00:00"}  # fmt: skip
    async with (
        live_server(env, tmp_path) as server,
        httpx.AsyncClient(base_url=server.url, timeout=10) as http,
    ):
        assert (await http.post("/graphql", json=VIEWER, headers=headers)).status_code == 200
        locker = await asyncpg.connect(backend.database_url)
        try:
            transaction = locker.transaction()
            await transaction.start()
            await locker.execute(f"LOCK TABLE {USAGE_TABLES} IN ACCESS EXCLUSIVE MODE")

            # when an export reads them
            started = time.monotonic()
            reply = await http.get("/exports/usage-timeline.csv", params=params, headers=headers)
            elapsed = time.monotonic() - started

            # then it answers as /graphql does
            assert reply.status_code == 504, reply.text
            (error,) = reply.json()["errors"]
            assert error["extensions"]["code"] == "TIMEOUT"
            assert error["extensions"]["requestId"]
            assert 0.5 <= elapsed < 2
            await transaction.rollback()
        finally:
            await locker.close()


@pytest.mark.parametrize("backend", ["postgres"], indirect=True)
async def test_postgres_cancels_a_statement_past_the_statement_timeout(backend: Backend) -> None:
    config = tortoise_config(backend.database_url, statement_timeout_ms=100)
    server_settings = config["connections"]["default"]["credentials"]["server_settings"]
    assert server_settings == {"statement_timeout": "100"}
    connection = await asyncpg.connect(backend.database_url, server_settings=server_settings)
    try:
        with pytest.raises(asyncpg.QueryCanceledError):
            await connection.execute("SELECT pg_sleep(2)")
    finally:
        await connection.close()
