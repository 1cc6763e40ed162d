"""A project's budget month, as the Project.budget field shows it."""

from datetime import datetime

import strawberry

from resolvers.arguments import NANOS_PER_USD
from resolvers.budgets.status import BudgetStatus as BudgetStatusData


@strawberry.type(
    name="BudgetStatus",
    description="One calendar month in the project's time zone: exact spend from the rollups "
    "(all requests recorded for the month), the budget and what it means. forecast is the "
    "month's run rate carried to its end, spent x (month length / time elapsed), both in real "
    "seconds; what was spent for a month that is over, 0 for one not begun, null in a month's "
    "first hour.",
)
class BudgetStatus:
    month: str = strawberry.field(description="YYYY-MM in the project's time zone.")
    timezone: str = strawberry.field(description="The IANA zone the month is counted in.")
    period_start: datetime = strawberry.field(description="The month's first instant.")
    period_end: datetime = strawberry.field(description="The next month's first instant.")
    spent: float = strawberry.field(description="USD, the exact sum of request costs.")
    budget: float | None = strawberry.field(description="USD; null = no budget.")
    remaining: float | None = strawberry.field(description="USD left; 0 once spent.")
    percent_used: float | None = strawberry.field(description="null without a budget.")
    forecast: float | None = strawberry.field(
        description="USD expected by the month's end: spent x (month length / time elapsed), "
        "in real seconds; null in the month's first hour."
    )
    thresholds_reached: list[float] = strawberry.field(
        description="The configured thresholds (percents) the month's spend has reached."
    )

    @classmethod
    def from_status(cls, status: BudgetStatusData) -> "BudgetStatus":
        remaining = status.remaining_nanos
        percent = status.percent_used
        return cls(
            month=status.month.label,
            timezone=status.month.zone_name,
            period_start=status.month.start,
            period_end=status.month.end,
            spent=status.spent_nanos / NANOS_PER_USD,
            budget=None if status.budget_nanos is None else status.budget_nanos / NANOS_PER_USD,
            remaining=None if remaining is None else remaining / NANOS_PER_USD,
            # A zero budget already spent from: no finite percent says it; show the spend.
            percent_used=None if percent is None or percent == float("inf") else percent,
            forecast=None
            if status.forecast_nanos is None
            else status.forecast_nanos / NANOS_PER_USD,
            thresholds_reached=status.thresholds_reached,
        )
