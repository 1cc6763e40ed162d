"""A recorded request, and the request log's connection."""

from collections.abc import Callable
from datetime import datetime
from typing import Any, TypeVar, overload

import strawberry

from resolvers.arguments import NANOS_PER_USD
from resolvers.request_log import LazyRequestPage, LogEntry, request_count
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
    # Read with the request (one statement a page): plain attributes, not one resolver a row.
    assistant: Assistant | None = strawberry.field(
        description="The assistant that made it; null = a direct API call."
    )
    model: Model = strawberry.field(description="The model it called.")
    api_token: ApiToken | None = strawberry.field(
        description="The API token the gateway was called with; null = none."
    )
    user: User | None = strawberry.field(description="The user it was made for; null = nobody.")

    @classmethod
    def from_model(cls, entry: LogEntry, shared: dict[int, Any] | None = None) -> "Request":
        """``shared``: what the page's requests have converted so far (one Model object for
        the requests that name the same model)."""
        seen: dict[int, Any] = {} if shared is None else shared
        row = entry.request
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
            assistant=_once(seen, entry.assistant, Assistant.from_model),
            model=_once(seen, entry.model, Model.from_model),
            api_token=_once(seen, entry.api_token, ApiToken.from_model),
            user=_once(seen, entry.user, User.from_model),
        )


R = TypeVar("R")
S = TypeVar("S")


@overload
def _once(seen: dict[int, Any], row: R, convert: Callable[[R], S]) -> S: ...
@overload
def _once(seen: dict[int, Any], row: R | None, convert: Callable[[R], S]) -> S | None: ...
def _once(seen: dict[int, Any], row: R | None, convert: Callable[[R], S]) -> S | None:
    if row is None:
        return None
    converted = seen.get(id(row))
    if converted is None:
        converted = seen[id(row)] = convert(row)
    return converted


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
        shared: dict[int, Any] = {}
        return [
            RequestEdge(cursor=cursor, node=Request.from_model(entry, shared))
            for entry, cursor in zip(page.rows, page.cursors, strict=True)
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
