"""A project's budget month: spend so far, the budget, the thresholds reached, a forecast.

Spend is the exact sum of the month's request costs (nano-USD) read from the rollups: whole
UTC days from the daily tier, the quarter hours of the days the local month cuts from the
15-minute tier, so a month costs O(days), not O(requests). Both ends of a local month lie on
quarter hours, so no raw request is read.

The forecast is the month's run rate carried to its end: ``spent x (month length / elapsed)``
with both measured in real seconds (a DST month is an hour shorter or longer). A month that
is over forecasts what it spent; one not yet begun, nothing. Before the first hour of a month
has passed there is too little to extrapolate from, and the forecast is null.
"""

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from fractions import Fraction

from models import ProjectSettings
from resolvers.budgets.months import BudgetMonth

MIN_ELAPSED_FOR_FORECAST = timedelta(hours=1)

# (project id, start, end) -> the nano-USD spent in [start, end): the dashboards' sums.
SpendReader = Callable[[int, datetime, datetime], Awaitable[int]]


@dataclass(frozen=True)
class BudgetStatus:
    month: BudgetMonth
    spent_nanos: int
    budget_nanos: int | None
    thresholds: tuple[float, ...]
    forecast_nanos: int | None

    @property
    def percent_used(self) -> float | None:
        if self.budget_nanos is None:
            return None
        if self.budget_nanos == 0:
            return None if self.spent_nanos == 0 else float("inf")
        return 100 * self.spent_nanos / self.budget_nanos

    @property
    def remaining_nanos(self) -> int | None:
        if self.budget_nanos is None:
            return None
        return max(self.budget_nanos - self.spent_nanos, 0)

    @property
    def exceeded(self) -> bool:
        """The month's spend has reached the budget."""
        return self.budget_nanos is not None and self.spent_nanos >= self.budget_nanos

    @property
    def thresholds_reached(self) -> list[float]:
        if self.budget_nanos is None:
            return []
        return reached(self.thresholds, self.spent_nanos, self.budget_nanos)


def reached(thresholds: tuple[float, ...], spent_nanos: int, budget_nanos: int) -> list[float]:
    """The thresholds (percents) that ``spent`` has reached, exactly: no float rounding
    decides whether $80.00 of $100.00 reached 80%."""
    return [t for t in thresholds if spent_nanos * 100 >= Fraction(t) * budget_nanos]


def forecast(month: BudgetMonth, spent_nanos: int, now: datetime) -> int | None:
    """Month-end spend at the month's run rate so far (see the module's docstring)."""
    start, end = month.start, month.end
    if now >= end:
        return spent_nanos
    if now < start:
        return 0
    elapsed = now - start
    if elapsed < MIN_ELAPSED_FOR_FORECAST:
        return None
    micro = timedelta(microseconds=1)
    return round(Fraction(spent_nanos * ((end - start) // micro), elapsed // micro))


async def budget_status(
    settings: ProjectSettings, month: BudgetMonth, now: datetime, spend: SpendReader
) -> BudgetStatus:
    spent = await spend(settings.project_id, month.start, month.end)
    return BudgetStatus(
        month=month,
        spent_nanos=spent,
        budget_nanos=settings.monthly_budget_nanos,
        thresholds=tuple(float(t) for t in settings.budget_alert_thresholds),
        forecast_nanos=forecast(month, spent, now),
    )
