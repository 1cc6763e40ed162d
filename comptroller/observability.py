"""What operators see: a request id on every log line and every answer, logs as text or JSON,
and Prometheus metrics at GET /metrics (summed over uvicorn's workers).
"""

import asyncio
import contextvars
import logging
import logging.config
import os
import time
from collections.abc import Iterable
from typing import Any

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    REGISTRY,
    CollectorRegistry,
    generate_latest,
    multiprocess,
)
from starlette.requests import Request
from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send
from tortoise import connections

from comptroller.request_ids import request_id_of
from kernel.metrics import DATABASE_POOL, HTTP_LATENCY, HTTP_REQUESTS
from kernel.outages import is_database_outage

CURRENT_REQUEST_ID: contextvars.ContextVar[str] = contextvars.ContextVar("request_id", default="-")
TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s"
JSON_FIELDS = "%(asctime)s %(levelname)s %(name)s %(request_id)s %(message)s"
POOL_SAMPLE_SECONDS = 5.0


class RequestIdFilter(logging.Filter):
    """Gives every record the id of the request it was logged in ("-" outside requests), and
    shortens a record about a database outage (asyncpg's pool logs one with a traceback at
    each reconnection attempt) to its one line: an outage is news, its stack is not."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.request_id = CURRENT_REQUEST_ID.get()
        if record.exc_info and record.exc_info[1] and is_database_outage(record.exc_info[1]):
            error = record.exc_info[1]
            record.msg = f"{record.getMessage()} ({type(error).__name__}: {error})"
            record.args = None
            record.exc_info = None
            record.exc_text = None
        return True


def logging_config(level: str, log_format: str) -> dict[str, Any]:
    """A ``logging.config.dictConfig`` for the app and uvicorn's own loggers alike."""
    formatter: dict[str, Any] = (
        {
            "()": "pythonjsonlogger.json.JsonFormatter",
            "fmt": JSON_FIELDS,
            "rename_fields": {"asctime": "time", "levelname": "level", "name": "logger"},
        }
        if log_format == "json"
        else {"format": TEXT_FORMAT}
    )
    handler = {
        "class": "logging.StreamHandler",
        "formatter": "default",
        "filters": ["request_id"],
        "stream": "ext://sys.stderr",
    }
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "filters": {"request_id": {"()": RequestIdFilter}},
        "formatters": {"default": formatter},
        "handlers": {"default": handler},
        "root": {"handlers": ["default"], "level": level},
        "loggers": {
            name: {"handlers": ["default"], "level": level, "propagate": False}
            for name in ("uvicorn", "uvicorn.error", "uvicorn.access")
        },
    }


def configure_logging(level: str, log_format: str) -> None:
    logging.config.dictConfig(logging_config(level, log_format))


class RequestContext:
    """Outermost middleware: fixes the request id (the caller's ``X-Request-Id`` when sane),
    makes it every log line's, answers it in ``X-Request-Id``, and counts and times the
    request by route."""

    def __init__(self, app: ASGIApp, routes: Iterable[str]) -> None:
        self.app = app
        self.routes = frozenset(routes)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        request_id = request_id_of(Request(scope))
        token = CURRENT_REQUEST_ID.set(request_id)
        route = scope["path"] if scope["path"] in self.routes else "unmatched"
        started = time.perf_counter()
        status = 500

        async def with_id(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                headers = [*message.get("headers", ()), (b"x-request-id", request_id.encode())]
                message = {**message, "headers": headers}
            await send(message)

        try:
            await self.app(scope, receive, with_id)
        finally:
            HTTP_REQUESTS.labels(route, scope["method"], str(status)).inc()
            HTTP_LATENCY.labels(route).observe(time.perf_counter() - started)
            CURRENT_REQUEST_ID.reset(token)


async def metrics(_: Request) -> Response:
    """Prometheus text format; with several workers, the sum over all of them."""
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)  # type: ignore[no-untyped-call]
        return Response(generate_latest(registry), media_type=CONTENT_TYPE_LATEST)
    return Response(generate_latest(REGISTRY), media_type=CONTENT_TYPE_LATEST)


async def sample_database_pool() -> None:
    """Every few seconds, this worker's PostgreSQL pool: open and idle connections."""
    while True:
        pool = getattr(connections.get("default"), "_pool", None)
        if pool is not None and hasattr(pool, "get_size"):
            DATABASE_POOL.labels("open").set(pool.get_size())
            DATABASE_POOL.labels("idle").set(pool.get_idle_size())
        await asyncio.sleep(POOL_SAMPLE_SECONDS)
