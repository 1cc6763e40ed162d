"""``UserActivity``: per-user figures of CONTRACT.md §5, from a UserActivityReport."""

from datetime import datetime
from typing import Annotated

import strawberry

from kernel.errors import BadUserInput
from models.rollup import RollupSums
from resolvers.arguments import NANOS_PER_USD
from resolvers.dashboards.user_activity import (
    PivotDimension,
    PivotMeasure,
    UserActivityReport,
    UserTotals,
)
from schema.context import Info
from schema.enums import described_enum
from schema.scalars import BigInt
from schema.user import User

described_enum(
    PivotDimension,
    "PivotDimension",
    "What the pivot's columns are.",
    {
        "ASSISTANT": "One column per assistant used in the range; none = without an assistant.",
        "MODEL": "One column per model used in the range.",
        "DAY": "One column per day (in the range's timezone) with requests.",
    },
)
described_enum(
    PivotMeasure,
    "PivotMeasure",
    "What the pivot's cells sum.",
    {
        "COST": "USD.",
        "REQUESTS": "Requests, errors included.",
        "TOKENS": "Input plus output tokens.",
    },
)
MAX_TOP = 100


@strawberry.type(description="One user's totals over the range.")
class UserUsage:
    user: User = strawberry.field(description="The user.")
    total_cost: float = strawberry.field(description="Cost of their requests, USD.")
    total_requests: BigInt = strawberry.field(description="Their requests, errors included.")
    total_tokens: BigInt = strawberry.field(description="Their input plus output tokens.")


@strawberry.type(
    description="One bucket of the user timeline; averages over the users active in it."
)
class UserActivityBucket:
    start: datetime = strawberry.field(
        description="The bucket's first instant (UTC), aligned in the range's timezone."
    )
    active_users: BigInt = strawberry.field(description="Users with a request in the bucket.")
    average_cost_per_user: float | None = strawberry.field(
        description="USD per active user; null when none."
    )
    average_requests_per_user: float | None = strawberry.field(
        description="Requests per active user; null when none."
    )


@strawberry.type(description="One column of the pivot.")
class PivotColumn:
    key: str = strawberry.field(
        description="The assistant's or model's id, the day (YYYY-MM-DD), or none."
    )
    label: str = strawberry.field(description="What to show as its header.")


@strawberry.type(description="One active user's row of the pivot.")
class PivotRow:
    user: User = strawberry.field(description="The user.")
    values: list[float] = strawberry.field(
        description="values[i] is the measure under columns[i] (USD, requests or tokens)."
    )
    total: float = strawberry.field(description="The sum of values.")


@strawberry.type(description="Users x assistants, models or days, for one measure.")
class PivotTable:
    columns: list[PivotColumn] = strawberry.field(
        description="One per column present in the range."
    )
    rows: list[PivotRow] = strawberry.field(description="One per active user, highest total first.")


def _measure(
    value: int,
    measure: Annotated[PivotMeasure, strawberry.argument(description="What the cells sum.")],
) -> float:
    return value / NANOS_PER_USD if measure is PivotMeasure.COST else float(value)


@strawberry.type(description="Per-user figures of a project over a range (PROJECT_ADMIN).")
class UserActivity:
    report: strawberry.Private[UserActivityReport]

    @strawberry.field(
        description="Distinct users with a request (requests without a user do not count)."
    )
    async def active_users(self) -> BigInt:
        return BigInt(len(await self.report.per_user()))

    @strawberry.field(description="Cost of requests with a user / active users.")
    async def average_cost_per_user(self) -> float | None:
        users = await self.report.per_user()
        total = sum(u.sums.cost_nanos for u in users)
        return None if not users else total / NANOS_PER_USD / len(users)

    @strawberry.field(description="Requests with a user / active users.")
    async def average_requests_per_user(self) -> float | None:
        users = await self.report.per_user()
        return None if not users else sum(u.sums.requests for u in users) / len(users)

    @strawberry.field(description="Highest cost first, ties by user id; limit 1..100.")
    async def top_users_by_cost(
        self,
        info: Info,
        limit: Annotated[
            int | None, strawberry.argument(description="How many users, 1..100.")
        ] = 10,
    ) -> list[UserUsage]:
        top = await self.report.top_users(PivotMeasure.COST, _limit(limit))
        return await _user_usages(info, top)

    @strawberry.field(description="Most requests first, ties by user id; limit 1..100.")
    async def top_users_by_requests(
        self,
        info: Info,
        limit: Annotated[
            int | None, strawberry.argument(description="How many users, 1..100.")
        ] = 10,
    ) -> list[UserUsage]:
        top = await self.report.top_users(PivotMeasure.REQUESTS, _limit(limit))
        return await _user_usages(info, top)

    @strawberry.field(description="Per bucket, averages over the users active in it.")
    async def timeline(self) -> list[UserActivityBucket]:
        return [
            UserActivityBucket(
                start=b.start,
                active_users=BigInt(b.active_users),
                average_cost_per_user=(
                    None if not b.active_users else b.cost_nanos / NANOS_PER_USD / b.active_users
                ),
                average_requests_per_user=(
                    None if not b.active_users else b.requests / b.active_users
                ),
            )
            for b in await self.report.timeline()
        ]

    @strawberry.field(description="One row per active user, one column per assistant/model/day.")
    async def pivot(
        self,
        info: Info,
        columns: Annotated[
            PivotDimension, strawberry.argument(description="What the columns are.")
        ],
        measure: Annotated[PivotMeasure, strawberry.argument(description="What the cells sum.")],
    ) -> PivotTable:
        table = await self.report.pivot(columns, measure)
        users = await _users(info, [user_id for user_id, _, _ in table.rows])
        labels = await _column_labels(info, self.report, columns, [c for _, c in table.columns])
        return PivotTable(
            columns=[PivotColumn(key=label_key, label=label) for (label_key, label) in labels],
            rows=[
                PivotRow(
                    user=users[user_id],
                    values=[_measure(v, measure) for v in values],
                    total=_measure(total, measure),
                )
                for user_id, values, total in table.rows
                if user_id in users
            ],
        )


def _limit(limit: int | None) -> int:
    if limit is None:
        return 10
    if not 1 <= limit <= MAX_TOP:
        raise BadUserInput("limit", f"must be between 1 and {MAX_TOP}")
    return limit


async def _users(info: Info, ids: list[int]) -> dict[int, User]:
    rows = await info.context.loaders.user_by_id.load_many(ids)
    return {row.id: User.from_model(row) for row in rows if row is not None}


async def _user_usages(info: Info, top: list[UserTotals]) -> list[UserUsage]:
    users = await _users(info, [u.user_id for u in top])
    return [
        UserUsage(
            user=users[u.user_id],
            total_cost=u.sums.cost_nanos / NANOS_PER_USD,
            total_requests=BigInt(u.sums.requests),
            total_tokens=BigInt(_tokens(u.sums)),
        )
        for u in top
        if u.user_id in users
    ]


def _tokens(sums: RollupSums) -> int:
    return sums.input_tokens + sums.output_tokens


async def _column_labels(
    info: Info,
    report: UserActivityReport,
    columns: Annotated[PivotDimension, strawberry.argument(description="What the columns are.")],
    keys: list[int | datetime],
) -> list[tuple[str, str]]:
    if columns is PivotDimension.DAY:
        zone = report.window.zone
        days = [k.astimezone(zone).date().isoformat() for k in keys if isinstance(k, datetime)]
        return [(day, day) for day in days]
    ids = [k for k in keys if isinstance(k, int)]
    loader = (
        info.context.loaders.assistant_by_id
        if columns is PivotDimension.ASSISTANT
        else info.context.loaders.ai_model_by_id
    )
    rows = await loader.load_many([i for i in ids if i != 0])
    names = {row.id: row.name for row in rows if row is not None}
    return [("none", "No assistant") if i == 0 else (str(i), names.get(i, f"#{i}")) for i in ids]
