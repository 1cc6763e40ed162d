"""The gateway's mutation: recording the requests it served."""

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Annotated, Any

import strawberry
from strawberry.types.arguments import InputContext

from resolvers.ingestion.recording import record_requests
from schema.context import Info
from schema.enums import RequestStatus
from schema.permissions import gateway


@strawberry.input(description="One request as the gateway saw it.")
class RequestRecordInput:
    external_id: str = strawberry.field(
        description="Idempotency key: the same externalId twice in a project is stored once."
    )
    created_at: datetime = strawberry.field(
        description="When the gateway received it, with offset; not before 2000."
    )
    status: RequestStatus = strawberry.field(description="How it ended.")
    duration_ms: int = strawberry.field(
        description="Milliseconds from receipt to answer, 0 or more."
    )
    model_id: strawberry.ID = strawberry.field(
        description="The model called; must be allowed in the project."
    )
    input_tokens: int = strawberry.field(description="Tokens sent to the model, 0 or more.")
    output_tokens: int = strawberry.field(description="Tokens the model answered with, 0 or more.")
    assistant_id: strawberry.ID | None = strawberry.field(
        default=None, description="The project's assistant that made it; null = a direct call."
    )
    user_id: strawberry.ID | None = strawberry.field(
        default=None, description="The project member it was made for; null = nobody (batch jobs)."
    )
    api_token_id: strawberry.ID | None = strawberry.field(
        default=None, description="The token the client called with; default: the recording one."
    )
    cost: float | None = strawberry.field(
        default=None, description="USD; when absent, from the model's prices."
    )
    input: str | None = strawberry.field(
        default=None, description="The prompt; dropped unless the project stores request content."
    )
    output: str | None = strawberry.field(
        default=None, description="The answer; dropped unless the project stores request content."
    )
    error_message: str | None = strawberry.field(
        default=None, description="Why it failed (status ERROR)."
    )


def _record_of(value: Mapping[str, Any]) -> RequestRecordInput:
    """Build a record from graphql-core's coerced value in one call: Strawberry's generic
    per-field conversion costs ~5 us a field, ~100 ms for a batch of 1,000 records."""
    get = value.get
    return RequestRecordInput(
        external_id=value["externalId"],
        created_at=value["createdAt"],
        status=RequestStatus(value["status"]),
        duration_ms=value["durationMs"],
        model_id=value["modelId"],
        input_tokens=value["inputTokens"],
        output_tokens=value["outputTokens"],
        assistant_id=get("assistantId"),
        user_id=get("userId"),
        api_token_id=get("apiTokenId"),
        cost=get("cost"),
        input=get("input"),
        output=get("output"),
        error_message=get("errorMessage"),
    )


def _record_from_input(
    cls: type[RequestRecordInput],
    value: Mapping[str, Any] | RequestRecordInput,
    context: InputContext,
) -> RequestRecordInput:
    if isinstance(value, RequestRecordInput):  # read by schema.records_reader already
        return value
    return _record_of(value)


# Strawberry's hook for input types that build their own value (StrawberryObjectDefinition).
RequestRecordInput.__strawberry_definition__.from_input = _record_from_input  # type: ignore[attr-defined]


def records_from_coerced(values: Sequence[Mapping[str, Any]]) -> list[RequestRecordInput]:
    """The mutation's records from values coerced as ``RequestRecordInput``s (for the
    plain-JSON route, so both routes convert alike)."""
    return [_record_of(value) for value in values]


@strawberry.type(description="What a recordRequests batch did.")
class RecordRequestsPayload:
    accepted: int = strawberry.field(description="Records stored now.")
    duplicates: int = strawberry.field(
        description="Records whose externalId was stored before (not stored again)."
    )


@strawberry.type
class IngestionMutation:
    @strawberry.mutation(
        extensions=gateway("record_requests"),
        description="Project API tokens only. Up to 1,000 records, stored all or none.",
    )
    async def record_requests(
        self,
        info: Info,
        records: Annotated[
            list[RequestRecordInput],
            strawberry.argument(description="1..1,000 records of the calling token's project."),
        ],
    ) -> RecordRequestsPayload:
        client = info.context.authorizer.require_client()
        outcome = await record_requests(client.project_id, client.token_id, records)
        return RecordRequestsPayload(accepted=outcome.accepted, duplicates=outcome.duplicates)
