"""A request record as a gateway reports it: the one definition of it.

Every reader of records derives from ``RecordInput``'s fields: the GraphQL input
``RequestRecordInput`` (``schema.mutations.ingestion``), msgspec's reader of JSON bodies,
variables and JSON Lines (``schema.records_reader``), and the resolver, which takes
``RecordInput``s. A field added here is a field of every route.
"""

import types
from dataclasses import MISSING, dataclass, field, fields
from datetime import datetime
from typing import Annotated, Any, Union, get_args, get_origin

from models import RequestStatus


class IdText:
    """Marks an id as the client wrote it: GraphQL's ``ID``, a string (an integer sent for
    one reads as its decimal text); the resolver checks that it names a row."""


Id = Annotated[str, IdText]


def described(text: str) -> dict[str, Any]:
    """A field's metadata: its description in the schema."""
    return {"description": text}


# Slotted and not frozen: 1,000 are built a batch, and a frozen dataclass's __init__ costs
# twice as much.
@dataclass(slots=True, kw_only=True)
class RecordInput:
    """One request as the gateway saw it (field names as in Python; the routes read them in
    camelCase, ``externalId``)."""

    external_id: str = field(
        metadata=described(
            "Idempotency key: the same externalId twice in a project is stored once."
        )
    )
    created_at: datetime = field(
        metadata=described("When the gateway received it, with offset; not before 2000.")
    )
    status: RequestStatus = field(metadata=described("How it ended."))
    duration_ms: int = field(metadata=described("Milliseconds from receipt to answer, 0 or more."))
    model_id: Id = field(metadata=described("The model called; must be allowed in the project."))
    input_tokens: int = field(metadata=described("Tokens sent to the model, 0 or more."))
    output_tokens: int = field(metadata=described("Tokens the model answered with, 0 or more."))
    assistant_id: Id | None = field(
        default=None,
        metadata=described("The project's assistant that made it; null = a direct call."),
    )
    user_id: Id | None = field(
        default=None,
        metadata=described("The project member it was made for; null = nobody (batch jobs)."),
    )
    api_token_id: Id | None = field(
        default=None,
        metadata=described("The token the client called with; default: the recording one."),
    )
    cost: float | None = field(
        default=None, metadata=described("USD; when absent, from the model's prices.")
    )
    input: str | None = field(
        default=None,
        metadata=described("The prompt; dropped unless the project stores request content."),
    )
    output: str | None = field(
        default=None,
        metadata=described("The answer; dropped unless the project stores request content."),
    )
    error_message: str | None = field(
        default=None, metadata=described("Why it failed (status ERROR).")
    )


@dataclass(frozen=True)
class RecordField:
    """A field of ``RecordInput`` as a reader derives it."""

    name: str
    kind: object  # the type without None: str, int, float, datetime, RequestStatus or Id
    required: bool  # no default; an optional field defaults to None
    description: str | None


def record_fields() -> list[RecordField]:
    """``RecordInput``'s fields, in order."""
    return [
        RecordField(
            name=each.name,
            kind=_without_none(each.type),
            required=each.default is MISSING,
            description=each.metadata.get("description"),
        )
        for each in fields(RecordInput)
    ]


def _without_none(annotation: Any) -> object:
    if get_origin(annotation) in (Union, types.UnionType):
        [kind] = [arg for arg in get_args(annotation) if arg is not type(None)]
        return kind
    return annotation
