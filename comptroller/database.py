"""How Tortoise is configured and how the schema is created or migrated."""

import logging
from typing import Any

from tortoise import Tortoise, connections
from tortoise.backends.base.config_generator import expand_db_url
from tortoise.migrations.api.migrate import migrate
from tortoise.migrations.executor import MigrationExecutor

from kernel.outages import is_database_outage
from models import MODEL_MODULES

MIGRATIONS_MODULE = "models.migrations"


def tortoise_config(
    database_url: str, connection: str = "default", statement_timeout_ms: int | None = None
) -> dict[str, Any]:
    """The Tortoise configuration for one database, with the migrations package.

    Tortoise caches compiled statements per connection name, so a process that talks to two
    backends in turn (the test suite) names each connection after its backend. With
    ``statement_timeout_ms``, PostgreSQL itself cancels a statement that runs longer (the
    server's guard behind the app's own operation timeout).
    """
    target: str | dict[str, Any] = _with_busy_timeout(database_url)
    if statement_timeout_ms is not None and not database_url.startswith("sqlite://"):
        target = expand_db_url(database_url)
        settings = target["credentials"].setdefault("server_settings", {})
        settings["statement_timeout"] = str(statement_timeout_ms)
    return {
        "connections": {connection: target},
        "apps": {
            "models": {
                "models": MODEL_MODULES,
                "default_connection": connection,
                "migrations": MIGRATIONS_MODULE,
            }
        },
        "use_tz": True,
        "timezone": "UTC",
    }


# Several processes (uvicorn workers, the CLI) may write one SQLite file: a writer waits up
# to this long for another's transaction instead of failing with "database is locked".
SQLITE_BUSY_TIMEOUT_MS = 10_000


def _with_busy_timeout(database_url: str) -> str:
    if not database_url.startswith("sqlite://") or "busy_timeout" in database_url:
        return database_url
    separator = "&" if "?" in database_url else "?"
    return f"{database_url}{separator}busy_timeout={SQLITE_BUSY_TIMEOUT_MS}"


async def migrate_database(database_url: str) -> None:
    """Create or upgrade the schema to the latest migration; running it twice is harmless."""
    await migrate(config=tortoise_config(database_url))
    await Tortoise.close_connections()


async def database_answers() -> bool:
    """Whether the default connection answers a trivial query (a readiness probe reports; it
    never raises)."""
    try:
        await connections.get("default").execute_query("SELECT 1")
    except Exception as error:  # noqa: BLE001 - e.g. CannotConnectNowError while it shuts down
        if not is_database_outage(error):
            logging.getLogger(__name__).warning("readiness query failed: %r", error)
        return False
    return True


async def pending_migrations(database_url: str, connection: str = "default") -> list[str]:
    """The migrations this code has and the database lacks, oldest first (e.g.
    ``models.0006_daily_rollups``); empty when the schema is current.

    Ask only once the database answers: Tortoise reads a failing migrations table as "none
    applied".
    """
    apps = tortoise_config(database_url, connection)["apps"]
    executor = MigrationExecutor(connections.get(connection), apps)
    steps = await executor.plan()
    return [f"{s.migration.app_label}.{s.migration.name}" for s in steps if not s.backward]
