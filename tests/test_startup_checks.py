"""``serve`` refuses a database whose schema is behind the code, or migrates it when asked;
/readyz tells whether the database answers with the right schema (issue 13)."""

import subprocess
import sys
from pathlib import Path

import httpx

from tests.support.backends import postgres_database, run_cli
from tests.support.live_server import live_server, server_env

MIGRATE_UP_TO = """
import asyncio, sys
from tortoise import Tortoise
from tortoise.migrations.api.migrate import migrate
from comptroller.database import tortoise_config

async def main():
    await migrate(config=tortoise_config(sys.argv[1]), target=sys.argv[2])
    await Tortoise.close_connections()

asyncio.run(main())
"""


def migrate_up_to(database_url: str, target: str) -> None:
    subprocess.run(
        [sys.executable, "-c", MIGRATE_UP_TO, database_url, target], check=True, timeout=60
    )


def test_serve_refuses_a_never_migrated_database(tmp_path: Path) -> None:
    env = server_env(f"sqlite://{tmp_path / 'fresh.db'}", "memory://")
    refused = run_cli(["serve", "--port", "1"], env)
    assert refused.returncode == 2
    assert "comptroller init-db" in refused.stderr
    assert "models.0001_initial" in refused.stderr


def test_serve_refuses_an_older_schema_naming_what_is_missing(tmp_path: Path) -> None:
    url = f"sqlite://{tmp_path / 'old.db'}"
    migrate_up_to(url, "models.0003_data_versions")
    refused = run_cli(["serve", "--port", "1"], server_env(url, "memory://"))
    assert refused.returncode == 2
    assert "0001_initial" not in refused.stderr
    assert "models.0006_daily_rollups" in refused.stderr.replace("\n", "")
    assert "--migrate" in refused.stderr


async def test_serve_refuses_a_never_migrated_postgres_database() -> None:
    async with postgres_database() as url:
        refused = run_cli(["serve", "--port", "1"], server_env(url, "memory://"))
    assert refused.returncode == 2
    assert "comptroller init-db" in refused.stderr


async def test_serve_migrate_brings_the_schema_up_then_serves_ready(tmp_path: Path) -> None:
    url = f"sqlite://{tmp_path / 'old.db'}"
    migrate_up_to(url, "models.0002_rollups")
    async with (
        live_server(server_env(url, "memory://"), tmp_path, "--migrate") as server,
        httpx.AsyncClient(base_url=server.url) as http,
    ):
        ready = await http.get("/readyz")
    assert ready.status_code == 200
    assert ready.json() == {"status": "ready"}
    assert run_cli(["serve", "--port", "1", "--help"], server_env(url, "memory://")).returncode == 0


async def test_readyz_is_false_while_the_database_is_unreachable(tmp_path: Path) -> None:
    env = server_env("postgres://postgres@127.0.0.1:1/comptroller", "memory://")
    async with (
        live_server(env, tmp_path) as server,
        httpx.AsyncClient(base_url=server.url) as http,
    ):
        reply = await http.get("/readyz")
    assert reply.status_code == 503
    assert reply.json() == {"status": "database unavailable"}
    assert "unreachable at start-up" in server.log()
