"""``RequestRecordInput`` values read by msgspec: type-checked in one pass in C, then made
``RecordInput``s, where the records coercer, graphql-core's shape (a dict a record) and
Strawberry's conversion took ~10 ms a batch of 1,000.

Its struct is derived from ``RecordInput``'s fields, typed as the schema's
``RequestRecordInput`` reads them (GraphQL's 32-bit Int, an ID as a string or an integer, the
DateTime scalar's reading of the usual timestamps, ``plain_timestamp``). At the first value
it is not certain about it declines (returns None) and ``RecordsCoercer``, then graphql-core,
read the value and explain what is wrong. ``tests/test_records_reader.py`` compares it with
graphql-core on generated values and bodies.
"""

from datetime import datetime
from typing import Annotated, Any

import msgspec

from models import RequestStatus
from resolvers.ingestion.record import Id, RecordInput, record_fields
from schema.scalar_reading import MAX_INT, MIN_INT, plain_timestamp

# How msgspec reads each kind of field: GraphQL's Int is 32 bits, its ID reads an integer as
# its decimal text, a DateTime is read from its text afterwards.
_MSGSPEC_TYPES: dict[object, Any] = {
    str: str,
    int: Annotated[int, msgspec.Meta(ge=MIN_INT, le=MAX_INT)],
    float: float,  # msgspec reads an integer as a float here, as GraphQL's Float does
    datetime: str,
    RequestStatus: RequestStatus,
    Id: str | int,
}
_FIELDS = record_fields()
_ID_FIELDS = tuple(field.name for field in _FIELDS if field.kind == Id)
_Record = msgspec.defstruct(
    "Record",
    [
        (field.name, _MSGSPEC_TYPES[field.kind])
        if field.required
        else (field.name, _MSGSPEC_TYPES[field.kind] | None, None)
        for field in _FIELDS
    ],
    rename="camel",
    forbid_unknown_fields=True,
)
_Body = msgspec.defstruct("Body", [("records", list[_Record])], forbid_unknown_fields=True)  # type: ignore[valid-type]

_BODY = msgspec.json.Decoder(_Body)
_LINE = msgspec.json.Decoder(_Record)


def decode_records_body(body: bytes) -> list[RecordInput] | None:
    """The records of a JSON body ``{"records": [...]}``, or None: then the GraphQL-typed
    path must read (or refuse) it."""
    try:
        decoded: Any = _BODY.decode(body)
    except msgspec.DecodeError:  # ValidationError included
        return None
    return _inputs(decoded.records)


def decode_record_line(line: bytes) -> RecordInput | None:
    """The record of one line of JSON Lines, or None."""
    try:
        record = _LINE.decode(line)
    except msgspec.DecodeError:
        return None
    inputs = _inputs([record])
    return None if inputs is None else inputs[0]


def convert_records_variable(value: object) -> list[RecordInput] | None:
    """The records of a ``[RequestRecordInput!]!`` variable as JSON decoded it, or None."""
    if type(value) is not list:
        return None
    try:
        records = msgspec.convert(value, list[_Record])  # type: ignore[valid-type]
    except msgspec.ValidationError:
        return None
    return _inputs(records)


def _inputs(records: list[Any]) -> list[RecordInput] | None:
    inputs = []
    for record in records:
        created_at = plain_timestamp(record.created_at)
        if created_at is None:
            return None
        record.created_at = created_at
        for name in _ID_FIELDS:
            value = getattr(record, name)
            if type(value) is int:
                setattr(record, name, str(value))
        inputs.append(RecordInput(**msgspec.structs.asdict(record)))
    return inputs
