"""Jobs ``comptroller serve`` runs on a timer, in every worker, each round taken by one
process at a time (``kernel.exclusive``): retention purges, webhook delivery rounds.

A round that fails is logged and the next one runs as planned; the API never waits for one.
"""

import asyncio
import logging
import random
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from datetime import timedelta

from comptroller.settings import Settings
from kernel.exclusive import exclusive
from resolvers.alerts.delivery import SenderConfig, deliver_due
from resolvers.retention import purge_expired

logger = logging.getLogger("comptroller.schedules")

Job = Callable[[], Awaitable[object]]


async def run_every(name: str, interval_seconds: float, job: Job) -> None:
    """Run ``job`` every ``interval_seconds`` under the lock named ``name``, forever."""
    while True:
        # Workers started together would otherwise all try at the same instant.
        await asyncio.sleep(interval_seconds * random.uniform(1.0, 1.1))  # noqa: S311 - jitter
        try:
            async with exclusive(name) as mine:
                if mine:
                    outcome = await job()
                    logger.debug("%s round done: %s", name, outcome)
        except asyncio.CancelledError:
            raise
        except Exception:
            logger.exception("%s round failed; the next runs in %ss", name, interval_seconds)


@asynccontextmanager
async def scheduled(jobs: list[tuple[str, float, Job]]) -> AsyncIterator[None]:
    """Run the jobs (name, interval in seconds, job) while the block runs; an interval of 0
    leaves a job off."""
    tasks = [
        asyncio.create_task(run_every(name, interval, job), name=f"schedule:{name}")
        for name, interval, job in jobs
        if interval > 0
    ]
    try:
        yield
    finally:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)


def background_jobs(settings: Settings) -> list[tuple[str, float, Job]]:
    """What serve runs on a timer: retention and webhook delivery rounds."""
    sender = SenderConfig(
        retry_base=timedelta(seconds=settings.webhook_retry_base_seconds),
        timeout_seconds=settings.webhook_timeout_seconds,
        own_port=settings.serve_port,
        allowed_hosts=settings.webhook_allowed_hosts,
    )

    async def deliver() -> int:
        return await deliver_due(sender)

    return [
        ("retention", settings.retention_interval_seconds, purge_expired),
        ("webhooks", settings.webhook_poll_seconds, deliver),
    ]
