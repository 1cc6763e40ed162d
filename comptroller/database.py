"""How Tortoise is configured and how the schema is created or migrated."""

from typing import Any

from tortoise import Tortoise, connections
from tortoise.migrations.api.migrate import migrate

from models import MODEL_MODULES

MIGRATIONS_MODULE = "models.migrations"


def tortoise_config(database_url: str, connection: str = "default") -> dict[str, Any]:
    """The Tortoise configuration for one database, with the migrations package.

    Tortoise caches compiled statements per connection name, so a process that talks to two
    backends in turn (the test suite) names each connection after its backend.
    """
    return {
        "connections": {connection: _with_busy_timeout(database_url)},
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
    """Whether the default connection answers a trivial query."""
    try:
        await connections.get("default").execute_query("SELECT 1")
    except (OSError, ConnectionError, RuntimeError):
        return False
    return True
