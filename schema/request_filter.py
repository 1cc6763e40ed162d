"""The request log's filter argument, validated into the resolvers' ``RequestFilter``."""

from datetime import datetime

import strawberry

from kernel.errors import BadUserInput
from resolvers.arguments import aware_instant, parse_ids
from resolvers.dashboards.aggregates import UsageFilter
from resolvers.request_log import RequestFilter as Filter
from schema.enums import RequestStatus


@strawberry.input(name="RequestFilter", description="Every field narrows; all combine.")
class RequestFilterInput:
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
    from_: datetime | None = strawberry.field(
        default=None, name="from", description="Requests at or after this instant (with offset)."
    )
    to: datetime | None = strawberry.field(
        default=None, description="Requests before this instant (with offset); after from."
    )

    def validated(self, argument: str = "filter") -> Filter:
        def ids(values: list[strawberry.ID] | None, name: str) -> tuple[int, ...] | None:
            return None if values is None else tuple(parse_ids(values, f"{argument}.{name}"))

        start = None if self.from_ is None else aware_instant(self.from_, f"{argument}.from")
        end = None if self.to is None else aware_instant(self.to, f"{argument}.to")
        if start is not None and end is not None and start >= end:
            raise BadUserInput(f"{argument}.to", "must be after from")
        dimensions = UsageFilter(
            assistant_ids=ids(self.assistant_ids, "assistantIds"),
            model_ids=ids(self.model_ids, "modelIds"),
            api_token_ids=ids(self.api_token_ids, "apiTokenIds"),
            user_ids=ids(self.user_ids, "userIds"),
            status=self.status,
        )
        return Filter(dimensions=dimensions, start=start, end=end)
