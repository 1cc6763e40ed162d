"""``RequestRecordInput`` values read by msgspec: type-checked in one pass in C, straight into
the mutation's input objects, where the records coercer, graphql-core's shape (a dict a
record) and Strawberry's conversion took ~10 ms a batch of 1,000.

It takes only what the ``RequestRecordInput`` type of the schema takes, read the same way
(the DateTime scalar's reading of the usual timestamps, ``plain_timestamp``); at the first
value it is not certain about it declines (returns None) and ``RecordsCoercer``, then
graphql-core, read the value and explain what is wrong. ``tests/test_records_reader.py``
compares it with graphql-core on generated values and bodies.
"""

from typing import Annotated

import msgspec
from strawberry import ID

from models import RequestStatus
from schema.mutations.ingestion import RequestRecordInput
from schema.scalar_rules import MAX_INT, MIN_INT, plain_timestamp

# GraphQL's Int is 32 bits; its ID reads an integer as its decimal text.
Int = Annotated[int, msgspec.Meta(ge=MIN_INT, le=MAX_INT)]
Id = str | int


class _Record(msgspec.Struct, rename="camel", forbid_unknown_fields=True):
    external_id: str
    created_at: str
    status: RequestStatus
    duration_ms: Int
    model_id: Id
    input_tokens: Int
    output_tokens: Int
    assistant_id: Id | None = None
    user_id: Id | None = None
    api_token_id: Id | None = None
    cost: float | None = None
    input: str | None = None
    output: str | None = None
    error_message: str | None = None


class _Body(msgspec.Struct, forbid_unknown_fields=True):
    records: list[_Record]


_DECODER = msgspec.json.Decoder(_Body)


def decode_records(body: bytes) -> list[RequestRecordInput] | None:
    """The records of a JSON body ``{"records": [...]}``, or None: then the GraphQL-typed
    path must read (or refuse) it."""
    try:
        records = _DECODER.decode(body).records
    except msgspec.DecodeError:  # ValidationError included
        return None
    return _inputs(records)


def read_records(value: object) -> list[RequestRecordInput] | None:
    """The records of a ``[RequestRecordInput!]!`` variable as JSON decoded it, or None."""
    if type(value) is not list:
        return None
    try:
        records = msgspec.convert(value, list[_Record])
    except msgspec.ValidationError:
        return None
    return _inputs(records)


def _inputs(records: list[_Record]) -> list[RequestRecordInput] | None:
    inputs = []
    for record in records:
        created_at = plain_timestamp(record.created_at)
        if created_at is None:
            return None
        inputs.append(
            RequestRecordInput(
                external_id=record.external_id,
                created_at=created_at,
                status=record.status,
                duration_ms=record.duration_ms,
                model_id=_id(record.model_id),
                input_tokens=record.input_tokens,
                output_tokens=record.output_tokens,
                assistant_id=_optional_id(record.assistant_id),
                user_id=_optional_id(record.user_id),
                api_token_id=_optional_id(record.api_token_id),
                cost=record.cost,  # msgspec reads an integer as a float here
                input=record.input,
                output=record.output,
                error_message=record.error_message,
            )
        )
    return inputs


def _id(value: Id) -> ID:
    return ID(value if type(value) is str else str(value))


def _optional_id(value: Id | None) -> ID | None:
    return None if value is None else _id(value)
