"""Dashboard arguments: the time range and the usage filter."""

from datetime import datetime
from typing import Annotated

import strawberry

from resolvers.arguments import parse_ids
from resolvers.dashboards.aggregates import UsageFilter
from resolvers.dashboards.buckets import Granularity
from resolvers.dashboards.time_range import Window, window
from schema.enums import RequestStatus, described_enum

described_enum(
    Granularity,
    "Granularity",
    "The length of a timeline's buckets, aligned in the range's timezone.",
    {
        "HOUR": "Local hours (a DST day has 23 or 25).",
        "DAY": "Local days, from midnight (23 to 25 hours long).",
        "WEEK": "Weeks starting on Monday.",
        "MONTH": "Calendar months.",
    },
)


@strawberry.input(description="from <= createdAt < to, bucketed in timezone.")
class TimeRange:
    from_: datetime = strawberry.field(
        name="from", description="The first instant counted (with offset)."
    )
    to: datetime = strawberry.field(
        description="The instant after the last one counted (with offset); after from."
    )
    timezone: str | None = strawberry.field(
        default=None, description="IANA name; absent: the project's timezone setting."
    )
    granularity: Granularity | None = strawberry.field(
        default=Granularity.DAY, description="The timeline's bucket length."
    )

    def validated(self, project_timezone: str) -> Window:
        return window(
            self.from_, self.to, self.timezone, self.granularity or Granularity.DAY,
            project_timezone,
        )  # fmt: skip


@strawberry.input(name="UsageFilter", description="Every field narrows; all combine.")
class UsageFilterInput:
    assistant_ids: list[strawberry.ID] | None = strawberry.field(
        default=None, description="Only these assistants' requests."
    )
    model_ids: list[strawberry.ID] | None = strawberry.field(
        default=None, description="Only requests to these models."
    )
    api_token_ids: list[strawberry.ID] | None = strawberry.field(
        default=None, description="Only requests through these API tokens."
    )
    user_ids: list[strawberry.ID] | None = strawberry.field(
        default=None, description="Only requests made for these users."
    )
    status: RequestStatus | None = strawberry.field(
        default=None, description="Only successes or only errors."
    )

    def validated(self, argument: str = "filter") -> UsageFilter:
        def ids(values: list[strawberry.ID] | None, name: str) -> tuple[int, ...] | None:
            return None if values is None else tuple(parse_ids(values, f"{argument}.{name}"))

        return UsageFilter(
            assistant_ids=ids(self.assistant_ids, "assistantIds"),
            model_ids=ids(self.model_ids, "modelIds"),
            api_token_ids=ids(self.api_token_ids, "apiTokenIds"),
            user_ids=ids(self.user_ids, "userIds"),
            status=self.status,
        )


# The arguments of every dashboard field.
RangeArgument = Annotated[
    TimeRange,
    strawberry.argument(
        description="The period (from <= createdAt < to), its timezone and granularity."
    ),
]
UsageFilterArgument = Annotated[
    UsageFilterInput | None,
    strawberry.argument(description="Only the requests matching every field given."),
]
