"""Dashboard arguments: the time range and the usage filter."""

from datetime import datetime

import strawberry

from resolvers.arguments import parse_ids
from resolvers.dashboards.aggregates import UsageFilter
from resolvers.dashboards.buckets import Granularity
from resolvers.dashboards.time_range import Window, window
from schema.enums import RequestStatus

strawberry.enum(Granularity, name="Granularity")


@strawberry.input(description="from <= createdAt < to, bucketed in timezone.")
class TimeRange:
    from_: datetime = strawberry.field(name="from")
    to: datetime
    timezone: str | None = strawberry.field(
        default=None, description="IANA name; absent: the project's timezone setting."
    )
    granularity: Granularity | None = Granularity.DAY

    def validated(self, project_timezone: str) -> Window:
        return window(
            self.from_, self.to, self.timezone, self.granularity or Granularity.DAY,
            project_timezone,
        )  # fmt: skip


@strawberry.input(name="UsageFilter", description="Every field narrows; all combine.")
class UsageFilterInput:
    assistant_ids: list[strawberry.ID] | None = None
    model_ids: list[strawberry.ID] | None = None
    api_token_ids: list[strawberry.ID] | None = None
    user_ids: list[strawberry.ID] | None = None
    status: RequestStatus | None = None

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
