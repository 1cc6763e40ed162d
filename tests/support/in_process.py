"""The real ASGI app served in the test process, so that a test can count the statements a
request sends: the backend's database through ``counted_orm``, its cache, the policy."""

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass

import httpx

from comptroller.app import create_app
from comptroller.settings import Settings
from kernel.authorization import Policy
from kernel.cache import ResultCache
from kernel.code_version import code_fingerprint
from tests.support.backends import Backend
from tests.support.graphql_client import GraphQLClient
from tests.support.query_counter import StatementLog, counted_orm


@dataclass(frozen=True)
class InProcess:
    """A GraphQL client of the app in process, and the log of the statements it sends."""

    api: GraphQLClient
    statements: StatementLog


@asynccontextmanager
async def app_in_process(backend: Backend) -> AsyncIterator[InProcess]:
    """``comptroller.app`` over ``httpx.ASGITransport``, on ``backend``'s database and cache.

    The transport sends no lifespan events: what the lifespan starts is set up here as it
    does (``create_app``), with Tortoise from ``counted_orm`` instead of ``RegisterTortoise``,
    which would replace the session's ORM.
    """
    settings = Settings(
        _env_file=None,
        database_url=backend.database_url,
        cache_url=backend.cache_url,
        cache_namespace=backend.cache_namespace,
    )
    app = create_app(settings)
    async with counted_orm(backend) as statements:
        app.state.policy = Policy(settings.policy_path)
        app.state.cache = ResultCache(
            settings.cache_url,
            f"{settings.cache_namespace}:{code_fingerprint(settings.policy_path)}",
            settings.cache_max_entries,
        )
        try:
            transport = httpx.ASGITransport(app=app)
            async with httpx.AsyncClient(transport=transport, base_url="http://app") as http:
                yield InProcess(GraphQLClient(http), statements)
        finally:
            await app.state.cache.close()
