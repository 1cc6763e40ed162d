"""Session fixtures: each database test runs once on SQLite and once on PostgreSQL + Redis."""

import os
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
import pytest_asyncio
from tortoise import Tortoise

from comptroller.database import tortoise_config
from tests.support.backends import (
    REDIS_URL,
    Backend,
    postgres_and_redis_problem,
    postgres_database,
    serving,
)
from tests.support.graphql_client import GraphQLClient

IN_CI = os.environ.get("CI", "").lower() == "true"


@pytest_asyncio.fixture(scope="session", params=["sqlite", "postgres"])
async def backend(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[Backend]:
    workdir = tmp_path_factory.mktemp(request.param)
    if request.param == "sqlite":
        async with (
            serving("sqlite", f"sqlite://{workdir / 'comptroller.db'}", "memory://", workdir) as b,
            orm(b),
        ):
            yield b
        return
    problem = await postgres_and_redis_problem()
    if problem is not None:
        if IN_CI:
            pytest.fail(f"CI must run the PostgreSQL + Redis tests, but: {problem}")
        pytest.skip(f"PostgreSQL + Redis backend not available: {problem}")
    async with (
        postgres_database() as url,
        serving("postgres", url, REDIS_URL, workdir) as b,
        orm(b),
    ):
        yield b


class orm:  # noqa: N801 - reads as a context manager, like contextlib's
    """Tortoise in the test process, on the backend's database, for the factories."""

    def __init__(self, backend: Backend) -> None:
        self.backend = backend

    async def __aenter__(self) -> None:
        await Tortoise.init(
            config=tortoise_config(self.backend.database_url, connection=self.backend.name),
            _enable_global_fallback=True,
        )

    async def __aexit__(self, *_: object) -> None:
        await Tortoise.close_connections()


@pytest_asyncio.fixture
async def api(backend: Backend) -> AsyncIterator[GraphQLClient]:
    async with httpx.AsyncClient(base_url=backend.server_url, timeout=30) as http:
        yield GraphQLClient(http)


@pytest.fixture
def workdir(tmp_path: Path) -> Path:
    return tmp_path
