"""The nano-USD a project spent in a span, from the dashboards' rollup sums."""

from datetime import datetime

from tortoise.backends.base.client import BaseDBAsyncClient

from resolvers.budgets.status import SpendReader
from resolvers.dashboards.aggregates import UsageFilter, aggregate
from resolvers.dashboards.figure_cache import Aggregator

EVERYTHING = UsageFilter()


async def spent_nanos(
    connection: BaseDBAsyncClient, project_id: int, start: datetime, end: datetime
) -> int:
    """Read on ``connection`` (the ingest transaction's: its own rows count too)."""
    groups = await aggregate(project_id, EVERYTHING, start, end, connection=connection)
    return sum(group.sums.cost_nanos for group in groups)


def cached_spend(aggregator: Aggregator) -> SpendReader:
    """``spent_nanos`` through a request's aggregator (cached by the project's data version)."""

    async def spend(project_id: int, start: datetime, end: datetime) -> int:
        groups = await aggregator(project_id, EVERYTHING, start, end)
        return sum(group.sums.cost_nanos for group in groups)

    return spend
