"""``load_demo``: the world through the ORM, then the requests in bulk, then what they add up to."""

import random
from datetime import UTC, datetime
from itertools import islice

from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from tortoise import Tortoise, connections
from tortoise.transactions import in_transaction

from comptroller.database import tortoise_config
from comptroller.demo.outcomes import record_outcomes
from comptroller.demo.traffic import Tally, generate_requests
from comptroller.demo.world import World
from comptroller.demo.world_creation import create_world
from models import Project, User
from models.request import REQUEST_COLUMNS
from resolvers.rollup_rebuild import rebuild_rollups

BATCH_SIZE = 10_000
INSERT_REQUEST_SQL = (
    f"INSERT INTO requests ({', '.join(REQUEST_COLUMNS)})"  # noqa: S608 -- constants only
    f" VALUES ({', '.join('?' for _ in REQUEST_COLUMNS)})"
)


async def load_demo(
    database_url: str,
    *,
    request_count: int,
    seed: int,
    progress: bool = True,
    now: datetime | None = None,
) -> dict[str, str]:
    """Fill an empty, migrated SQLite database with demo data; return bearer tokens by label.

    ``now`` (aware) ends the 90 days of history; it defaults to the current time.
    """
    if request_count < 0:
        raise ValueError("request_count must not be negative")
    rng = random.Random(seed)
    await Tortoise.init(config=tortoise_config(database_url))
    try:
        await check_empty_sqlite()
        with Progress(
            TextColumn("{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
            disable=not progress,
        ) as display:
            setup = display.add_task("Projects, people, assistants", total=1)
            async with in_transaction():
                world = await create_world(rng, (now or datetime.now(UTC)).astimezone(UTC))
            display.advance(setup)
            tally = await insert_requests(world, rng, request_count, display)
            async with in_transaction():
                await record_outcomes(world, tally)
            # Fresh statistics let SQLite choose well among the requests table's indexes.
            await connections.get("default").execute_script("ANALYZE")
    finally:
        await Tortoise.close_connections()
    return world.secrets


async def check_empty_sqlite() -> None:
    if connections.get("default").capabilities.dialect != "sqlite":
        raise ValueError("demo data is loaded into SQLite only")
    if await Project.exists() or await User.exists():
        raise ValueError("demo data needs an empty database")


async def insert_requests(
    world: World, rng: random.Random, request_count: int, display: Progress
) -> Tally:
    """Insert the requests, and their rollups, in one transaction: all of them or none."""
    tally = Tally()
    rows = generate_requests(world, rng, request_count, tally)
    loading = display.add_task("Requests", total=request_count)
    async with in_transaction() as connection:
        while batch := list(islice(rows, BATCH_SIZE)):
            await connection.execute_many(INSERT_REQUEST_SQL, batch)
            display.advance(loading, len(batch))
        # The dashboards read the rollups that recording keeps; built here in one pass each.
        rolling_up = display.add_task("Rollups", total=len(world.projects))
        for project in world.projects:
            await rebuild_rollups(connection, project.id)
            display.advance(rolling_up)
    return tally
