"""The ASGI application: routes, the lifespan that owns start-up, and the GraphQL view."""

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from starlette.applications import Starlette
from starlette.datastructures import State
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.middleware.cors import CORSMiddleware
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route
from tortoise.contrib.starlette import RegisterTortoise

from comptroller.admission_route import admission_route
from comptroller.console.routes import console_routes
from comptroller.database import database_answers, tortoise_config
from comptroller.error_responses import FailureShaping, http_exception_response
from comptroller.exports.routes import export_routes
from comptroller.graphql_view import GraphQLView, ViewLimits
from comptroller.ingestion_route import ingestion_route
from comptroller.litellm_route import litellm_route
from comptroller.observability import (
    RequestContext,
    configure_logging,
    metrics,
    sample_database_pool,
)
from comptroller.otlp_route import otlp_route
from comptroller.schedules import background_jobs, scheduled
from comptroller.security_headers import SecurityHeaders
from comptroller.settings import Settings, get_settings
from comptroller.startup_checks import refuse_an_old_schema, schema_state
from kernel.authorization import Policy
from kernel.cache import ResultCache
from kernel.code_version import code_fingerprint
from kernel.rate_limits import Budget, RateLimiter
from schema import build_schema
from schema.records_json import JsonRecordsReader


async def healthz(_: Request) -> Response:
    return JSONResponse({"status": "ok"})


async def readyz(request: Request) -> Response:
    """Ready when the database answers and its schema is this code's (checked until it is
    once: a schema does not fall behind the code that runs on it)."""
    state = request.app.state
    if state.schema_current:
        if await database_answers():
            return JSONResponse({"status": "ready"})
        return JSONResponse({"status": "database unavailable"}, status_code=503)
    current = await schema_state(state.database_url)
    if not current.reachable:
        return JSONResponse({"status": "database unavailable"}, status_code=503)
    if current.pending:
        body = {"status": "database schema behind", "pending": list(current.pending)}
        return JSONResponse(body, status_code=503)
    state.schema_current = True
    return JSONResponse({"status": "ready"})


def cors(origins: tuple[str, ...]) -> list[Middleware]:
    """Cross-origin access for browser clients on other origins (none by default)."""
    if not origins:
        return []
    return [
        Middleware(
            CORSMiddleware,
            allow_origins=list(origins),
            allow_methods=["GET", "POST"],
            allow_headers=["authorization", "content-type", "x-request-id"],
            expose_headers=[
                "x-request-id",
                "retry-after",
                *(f"x-ratelimit-{n}" for n in ("limit", "remaining", "used", "reset", "resource")),
            ],
            max_age=600,
        )
    ]


def open_services(state: State, settings: Settings) -> None:
    """What every request reads from the app's state: the policy, the cache, the rate limiter.
    The lifespan calls this; so does a test serving the app in process without a lifespan."""
    state.policy = Policy(settings.policy_path)
    state.cache = ResultCache(
        settings.cache_url,
        f"{settings.cache_namespace}:{code_fingerprint(settings.policy_path)}",
        settings.cache_max_entries,
    )
    window = settings.rate_limit_window_seconds
    state.rate_limiter = RateLimiter(
        settings.cache_url,
        settings.cache_namespace,
        graphql=Budget("graphql", settings.rate_limit_points, window),
        ingestion=Budget("ingestion", settings.ingestion_rate_limit_records, window),
    )
    state.database_url = settings.database_url
    state.webhook_allowed_hosts = settings.webhook_allowed_hosts


async def close_services(state: State) -> None:
    await state.cache.close()
    await state.rate_limiter.close()


def create_app(settings: Settings | None = None) -> Starlette:
    settings = settings or get_settings()
    configure_logging(settings.log_level, settings.log_format)
    schema = build_schema(
        max_depth=settings.max_query_depth,
        max_tokens=settings.max_query_tokens,
        max_aliases=settings.max_query_aliases,
        max_cost=settings.max_query_cost,
        max_list_length=settings.max_list_length,
        introspection=settings.introspection,
    )
    view = GraphQLView(
        schema,
        graphql_ide="graphiql" if settings.graphiql else None,
        limits=ViewLimits(
            max_body_bytes=settings.max_body_bytes,
            operation_timeout_seconds=settings.operation_timeout_seconds,
        ),
    )
    statement_timeout_ms = round(settings.operation_timeout_seconds * 1000)

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        open_services(app.state, settings)
        config = tortoise_config(settings.database_url, statement_timeout_ms=statement_timeout_ms)
        async with RegisterTortoise(app, config=config), scheduled(background_jobs(settings)):
            app.state.schema_current = (await refuse_an_old_schema(settings.database_url)).current
            sampler = asyncio.create_task(sample_database_pool())
            try:
                yield
            finally:
                sampler.cancel()
                await close_services(app.state)

    routes = [
        Route("/graphql", view, methods=["GET", "POST"]),
        ingestion_route(JsonRecordsReader(schema._schema), settings.operation_timeout_seconds),
        Route("/healthz", healthz),
        Route("/readyz", readyz),
        Route("/metrics", metrics),
        otlp_route(),
        litellm_route(),
        admission_route(),
        *console_routes(settings.browser_packages_dir),
        *export_routes(schema, settings.operation_timeout_seconds),
    ]
    return Starlette(
        routes=routes,
        middleware=[
            # Outermost: the request id is fixed before anything can log or fail.
            Middleware(RequestContext, routes=[r.path for r in routes if isinstance(r, Route)]),
            Middleware(SecurityHeaders, asset_sources=settings.graphiql_asset_sources),
            *cors(settings.cors_origins),
            # Innermost: its JSON answers get the headers above too.
            Middleware(FailureShaping),
        ],
        exception_handlers={HTTPException: http_exception_response},
        lifespan=lifespan,
    )
