"""A recorded request, and the request log's connection."""

from datetime import datetime

import strawberry

from models import Request as RequestRow
from resolvers.arguments import NANOS_PER_USD
from resolvers.request_log import LazyRequestPage, request_count
from schema.ai_model import Model
from schema.api_token import ApiToken
from schema.assistant import Assistant
from schema.connections import PageInfo
from schema.context import Info
from schema.enums import RequestStatus
from schema.instants import as_utc
from schema.scalars import BigInt
from schema.user import User


@strawberry.type(
    name="Request",
    description="One assistant request as the gateway recorded it (PROJECT_MEMBER reads them, "
    "content included).",
)
class Request:
    id: strawberry.ID = strawberry.field(description="The request's id.")
    external_id: str | None = strawberry.field(description="The gateway's idempotency key.")
    created_at: datetime = strawberry.field(description="When the gateway received it (UTC).")
    status: RequestStatus = strawberry.field(description="How it ended.")
    duration_ms: int = strawberry.field(description="Milliseconds from receipt to answer.")
    input_tokens: int = strawberry.field(description="Tokens sent to the model.")
    output_tokens: int = strawberry.field(description="Tokens the model answered with.")
    cost: float = strawberry.field(
        description="USD, exact to the nano-dollar: as given, or from the model's prices."
    )
    input: str | None = strawberry.field(
        description="The prompt; null when the project does not store content."
    )
    output: str | None = strawberry.field(
        description="The answer; null when the project does not store content."
    )
    error_message: str | None = strawberry.field(description="Why it failed; null on success.")
    assistant_id: strawberry.Private[int | None]
    model_id: strawberry.Private[int]
    api_token_id: strawberry.Private[int | None]
    user_id: strawberry.Private[int | None]

    @strawberry.field(description="The assistant that made it; null = a direct API call.")
    async def assistant(self, info: Info) -> Assistant | None:
        if self.assistant_id is None:
            return None
        row = await info.context.loaders.assistant_by_id.load(self.assistant_id)
        return None if row is None else Assistant.from_model(row)

    @strawberry.field(description="The model it called.")
    async def model(self, info: Info) -> Model:
        row = await info.context.loaders.ai_model_by_id.load(self.model_id)
        assert row is not None, "requests.model_id is a foreign key"
        return Model.from_model(row)

    @strawberry.field(description="The API token the gateway was called with; null = none.")
    async def api_token(self, info: Info) -> ApiToken | None:
        if self.api_token_id is None:
            return None
        row = await info.context.loaders.api_token_by_id.load(self.api_token_id)
        return None if row is None else ApiToken.from_model(row)

    @strawberry.field(description="The user it was made for; null = nobody.")
    async def user(self, info: Info) -> User | None:
        if self.user_id is None:
            return None
        row = await info.context.loaders.user_by_id.load(self.user_id)
        return None if row is None else User.from_model(row)

    @classmethod
    def from_model(cls, row: RequestRow) -> "Request":
        return cls(
            id=strawberry.ID(str(row.id)),
            external_id=row.external_id,
            created_at=as_utc(row.created_at),
            status=row.status,
            duration_ms=row.duration_ms,
            input_tokens=row.input_tokens,
            output_tokens=row.output_tokens,
            cost=row.cost_nanos / NANOS_PER_USD,
            input=row.input,
            output=row.output,
            error_message=row.error_message,
            assistant_id=row.assistant_id,
            model_id=row.model_id,
            api_token_id=row.api_token_id,
            user_id=row.user_id,
        )


@strawberry.type(description="One request of a page, with its cursor.")
class RequestEdge:
    cursor: str = strawberry.field(description="Opaque; pass as after to continue after it.")
    node: Request = strawberry.field(description="The request.")


@strawberry.type(
    description="A page of the request log, newest first; keyset cursors stay stable while "
    "requests arrive."
)
class RequestConnection:
    page: strawberry.Private[LazyRequestPage]

    @strawberry.field(description="This page's requests, newest first.")
    async def edges(self) -> list[RequestEdge]:
        page = await self.page.get()
        return [
            RequestEdge(cursor=cursor, node=Request.from_model(row))
            for row, cursor in zip(page.rows, page.cursors, strict=True)
        ]

    @strawberry.field(description="Whether and where the next page starts.")
    async def page_info(self) -> PageInfo:
        page = await self.page.get()
        return PageInfo(
            has_next_page=page.has_next_page,
            end_cursor=page.cursors[-1] if page.cursors else None,
        )

    @strawberry.field(description="Every request matching the filter (not just this page).")
    async def total_count(self, info: Info) -> BigInt:
        count = await request_count(
            self.page.project_id, self.page.filters, info.context.aggregator
        )
        return BigInt(count)
