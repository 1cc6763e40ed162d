"""The gateway's mutation: recording the requests it served."""

from collections.abc import Mapping, Sequence
from dataclasses import MISSING
from typing import Annotated, Any

import strawberry
from strawberry.types.arguments import InputContext
from strawberry.types.base import StrawberryObjectDefinition
from strawberry.utils.str_converters import to_camel_case

from kernel.metrics import count_ingested
from kernel.rate_limits import spend_records
from resolvers.ingestion.record import Id, RecordInput, record_fields
from resolvers.ingestion.recording import record_requests
from schema.context import Info
from schema.enums import RequestStatus
from schema.permissions import gateway


def _graphql_input(name: str, description: str) -> type:
    """``RecordInput``'s fields as a Strawberry input: its types (an ``Id`` as GraphQL's ID),
    its defaults and descriptions, its order."""
    annotations: dict[str, object] = {}
    namespace: dict[str, object] = {"__module__": __name__, "__annotations__": annotations}
    for field in record_fields():
        kind: Any = strawberry.ID if field.kind == Id else field.kind
        annotations[field.name] = kind if field.required else kind | None
        namespace[field.name] = strawberry.field(
            description=field.description, default=MISSING if field.required else None
        )
    return strawberry.input(type(name, (), namespace), description=description)


RequestRecordInput = _graphql_input("RequestRecordInput", "One request as the gateway saw it.")
_DEFINITION = RequestRecordInput.__strawberry_definition__  # type: ignore[attr-defined]
assert isinstance(_DEFINITION, StrawberryObjectDefinition)
# (Python name, GraphQL name) of each field, as the schema's default name converter writes it.
_NAMES = [(field.name, to_camel_case(field.name)) for field in record_fields()]


def _record_of(value: Mapping[str, Any]) -> RecordInput:
    """A record from graphql-core's coerced value (keyed by GraphQL names, every field
    present or defaulted), in one call: Strawberry's generic per-field conversion costs
    ~5 us a field, ~100 ms for a batch of 1,000 records."""
    get = value.get
    fields: dict[str, Any] = {name: get(graphql_name) for name, graphql_name in _NAMES}
    record = RecordInput(**fields)
    record.status = RequestStatus(record.status)
    return record


def _record_from_input(
    cls: type, value: Mapping[str, Any] | RecordInput, context: InputContext
) -> RecordInput:
    if isinstance(value, RecordInput):  # read by schema.records_reader already
        return value
    return _record_of(value)


# Strawberry's hook for input types that build their own value: the mutation is handed
# ``RecordInput``s, the resolver's own type, whichever reader read them.
_DEFINITION.from_input = _record_from_input


def records_from_coerced(values: Sequence[Mapping[str, Any]]) -> list[RecordInput]:
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
            list[RecordInput],
            strawberry.argument(
                graphql_type=list[RequestRecordInput],
                description="1..1,000 records of the calling token's project.",
            ),
        ],
    ) -> RecordRequestsPayload:
        client = info.context.authorizer.require_client()
        # Per root field and per record, as POST /v1/requests: aliases and fragments that
        # repeat this field each spend their own batch.
        limiter = info.context.rate_limiter
        if limiter is not None:
            spending = await spend_records(limiter, client.token_id, len(records))
            if spending is not None:
                if info.context.request is not None:
                    info.context.request.state.extra_headers = spending.headers()
                if not spending.allowed:
                    raise spending.refusal(info.context.request_id)
        outcome = await record_requests(client.project_id, client.token_id, records)
        count_ingested(outcome.accepted, outcome.duplicates)
        return RecordRequestsPayload(accepted=outcome.accepted, duplicates=outcome.duplicates)
