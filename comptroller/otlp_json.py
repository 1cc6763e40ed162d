"""OTLP JSON bodies read as the span reader's export view (``otlp_view``).

OTLP JSON is protobuf's JSON mapping with lowerCamelCase keys, but hex trace and span ids
(protobuf's mapping says base64: both are read), int64 as strings or numbers, enums as
integers, unknown fields ignored. ``json_format.ParseDict`` reads all of it, in Python, at
~160 ms a batch of 1,000 spans. So a body is first read by ``fast_export``: the same walk,
driven by the same descriptors, that takes only what it is sure of (the camelCase names,
values of exactly the JSON type their field takes, hex ids) and hands protobuf's
constructor the rest, ~10x faster. At the first value it is not sure of (a snake_case name,
a null, a number as text where the mapping reads both, base64, two members of a oneof) it
declines, and ``ParseDict`` reads or refuses the body in its own words.
``tests/test_otlp_json.py`` compares the two on generated bodies.
"""

import binascii
from dataclasses import dataclass
from typing import Any, cast

import orjson
from google.protobuf import json_format
from google.protobuf.descriptor import Descriptor, FieldDescriptor
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest
from opentelemetry.proto.common.v1.common_pb2 import KeyValue
from opentelemetry.proto.trace.v1.trace_pb2 import Span

from comptroller.gateway_bodies import UndecodableBody
from resolvers.ingestion.otlp_view import EXPORT_VIEW, ExportView, view_of

# Written in hex by OTLP JSON, where protobuf's mapping writes bytes in base64.
ID_FIELDS = ("traceId", "spanId", "parentSpanId")
ID_OWNERS = frozenset({Span.DESCRIPTOR.name, Span.Link.DESCRIPTOR.name})
_LONG = frozenset(
    {
        FieldDescriptor.TYPE_INT64,
        FieldDescriptor.TYPE_UINT64,
        FieldDescriptor.TYPE_FIXED64,
        FieldDescriptor.TYPE_SFIXED64,
        FieldDescriptor.TYPE_SINT64,
    }
)
_INT = frozenset(
    {
        FieldDescriptor.TYPE_INT32,
        FieldDescriptor.TYPE_UINT32,
        FieldDescriptor.TYPE_FIXED32,
        FieldDescriptor.TYPE_SFIXED32,
        FieldDescriptor.TYPE_SINT32,
        FieldDescriptor.TYPE_ENUM,  # a number, or its name
    }
)
_FLOAT = frozenset({FieldDescriptor.TYPE_DOUBLE, FieldDescriptor.TYPE_FLOAT})


def decode_json(body: bytes, path: str) -> ExportView:
    """The export of an OTLP JSON body sent to ``path``, or ``UndecodableBody``."""
    try:
        document = orjson.loads(body) if body.strip() else {}
    except orjson.JSONDecodeError as error:
        raise UndecodableBody(f"not valid JSON ({error})") from None
    if type(document) is not dict:
        raise UndecodableBody("an OTLP JSON export is an object with resourceSpans")
    if "resourceSpans" not in document and "resource_spans" not in document:
        for other, signal in (("resourceLogs", "logs"), ("resourceMetrics", "metrics")):
            if other in document:
                raise UndecodableBody(f"this is an OTLP {signal} export; {path} takes traces")
    fast = fast_export(document)
    return fast if fast is not None else view_of(parsed_export(document))


def parsed_export(document: dict[str, Any]) -> ExportTraceServiceRequest:
    """``document`` read by protobuf's JSON mapping (hex ids first made base64)."""
    for resource_spans in _list(document, "resourceSpans", "resource_spans"):
        for scope_spans in _list(resource_spans, "scopeSpans", "scope_spans"):
            for span in _list(scope_spans, "spans"):
                _ids_from_hex(span)
                for link in _list(span, "links"):
                    _ids_from_hex(link)
    export = ExportTraceServiceRequest()
    try:
        json_format.ParseDict(document, export, ignore_unknown_fields=True)
    except json_format.ParseError as error:
        raise UndecodableBody(f"not an OTLP JSON traces export ({error})") from None
    return export


class _Declined(Exception):
    """Not certain: protobuf's JSON mapping reads this body."""


def fast_export(document: dict[str, Any]) -> ExportView | None:
    """``document`` as the view, as ``parsed_export`` would read it; None when unsure."""
    try:
        fields = _fields_of(document, _message(cast(Descriptor, EXPORT_VIEW.DESCRIPTOR)))
        return cast(ExportView, EXPORT_VIEW(**fields))
    except (_Declined, ValueError, TypeError):  # the constructor's: a value out of range
        return None


@dataclass(frozen=True, slots=True)
class _Field:
    """What reading a field's JSON value needs, read once from its descriptor (a
    descriptor's attributes are calls into upb)."""

    name: str
    type: int
    repeated: bool
    oneof: str | None
    message: "_Message | None"
    map_entry: bool  # the view's attributes: KeyValue pairs sent, a map kept
    hex_id: bool  # an id OTLP JSON writes in hex
    enum_numbers: dict[str, int]


@dataclass(frozen=True, slots=True)
class _Message:
    fields: dict[str, _Field]  # by JSON name
    other_names: set[str]  # the field names ParseDict also reads


_MESSAGES: dict[str, _Message] = {}


def _message(descriptor: Descriptor) -> _Message:
    """The reading of a message, made once (registered before its fields are: AnyValue
    holds arrays of AnyValue)."""
    known = _MESSAGES.get(descriptor.full_name)
    if known is not None:
        return known
    message = _MESSAGES[descriptor.full_name] = _Message({}, set())
    for field in descriptor.fields:
        nested = field.message_type
        map_entry = nested is not None and nested.GetOptions().map_entry
        if map_entry:
            nested = KeyValue.DESCRIPTOR  # what OTLP JSON sends for a map entry
        message.fields[field.json_name] = _Field(
            name=field.name,
            type=field.type,
            repeated=field.is_repeated,
            oneof=None if field.containing_oneof is None else field.containing_oneof.name,
            message=None if nested is None else _message(nested),
            map_entry=map_entry,
            hex_id=descriptor.name in ID_OWNERS and field.json_name in ID_FIELDS,
            enum_numbers={}
            if field.enum_type is None
            else {value.name: value.number for value in field.enum_type.values},
        )
    message.other_names.update(
        field.name for field in descriptor.fields if field.name not in message.fields
    )
    return message


def _fields_of(value: object, message: _Message) -> dict[str, object]:
    """A JSON object as the keyword arguments of its message's constructor."""
    if type(value) is not dict:
        raise _Declined
    fields: dict[str, object] = {}
    oneofs: set[str] = set()
    for key, item in value.items():
        field = message.fields.get(key)
        if field is None:
            if key in message.other_names:
                raise _Declined
            continue  # unknown: ignored, as ParseDict is told to
        if field.oneof is not None:
            if field.oneof in oneofs:
                raise _Declined
            oneofs.add(field.oneof)
        if not field.repeated:
            fields[field.name] = _single(item, field)
        elif type(item) is not list:
            raise _Declined
        elif field.map_entry:
            assert field.message is not None
            pairs = [_fields_of(pair, field.message) for pair in item]
            # the last of a key wins, as in the view's map
            fields[field.name] = {pair.get("key", ""): pair.get("value", {}) for pair in pairs}
        else:
            fields[field.name] = [_single(each, field) for each in item]
    return fields


def _single(item: object, field: _Field) -> object:
    kind = field.type
    if field.message is not None:
        return _fields_of(item, field.message)
    if kind == FieldDescriptor.TYPE_STRING:
        if type(item) is str:
            return item
    elif kind in _LONG:
        if type(item) is int:
            return item
        if type(item) is str and item.isascii() and item.isdigit():
            return int(item)
    elif kind in _INT:
        if type(item) is int:
            return item
        if type(item) is str and item in field.enum_numbers:
            return field.enum_numbers[item]
    elif kind in _FLOAT:
        if type(item) is int or type(item) is float:
            return float(item)
    elif kind == FieldDescriptor.TYPE_BOOL:
        if type(item) is bool:
            return item
    elif field.hex_id and type(item) is str and len(item) in (16, 32):
        try:
            return bytes.fromhex(item)
        except ValueError:
            raise _Declined from None
    raise _Declined


def _list(parent: object, *keys: str) -> list[Any]:
    if type(parent) is not dict:
        return []
    for key in keys:
        value = parent.get(key)
        if type(value) is list:
            return value
    return []


def _ids_from_hex(item: object) -> None:
    """Hex ids as the base64 protobuf's JSON mapping reads; other text is left to it."""
    if type(item) is not dict:
        return
    for key in ID_FIELDS:
        value = item.get(key)
        if type(value) is str and len(value) in (16, 32):
            try:
                item[key] = binascii.b2a_base64(bytes.fromhex(value), newline=False).decode()
            except ValueError:
                continue
