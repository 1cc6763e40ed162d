"""An OTLP trace export as the span reader reads it: the same messages, derived from
OpenTelemetry's own descriptors at import, except that a span's and a resource's
``attributes`` are maps from key to ``AnyValue``.

Why: a ``repeated KeyValue`` costs a wrapper object per pair, its key decoded to a new
string, before a single value is read; most of a span's reading went there. A map entry is
encoded exactly as a ``KeyValue`` (key 1, value 2), so the same bytes parse as a map, and
upb answers ``key in attributes`` in C, for the dozen keys the reader asks of each span.
Parsing, validation and unknown fields are as in the original messages (each field is
copied, with its number and type); a key sent twice is its last value, as the map rules
and a dict of the pairs both say.
"""

from collections.abc import Sequence
from typing import Protocol, cast

from google.protobuf import descriptor_pb2, descriptor_pool
from google.protobuf.descriptor import Descriptor
from google.protobuf.message import Message
from google.protobuf.message_factory import GetMessageClass
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest
from opentelemetry.proto.common.v1.common_pb2 import AnyValue
from opentelemetry.proto.resource.v1.resource_pb2 import Resource
from opentelemetry.proto.trace.v1.trace_pb2 import ResourceSpans, ScopeSpans, Span, Status

PACKAGE = "comptroller.otlp_view"
# Copied: the two messages whose attributes become maps, and those that lead to them.
COPIED: tuple[Descriptor, ...] = (
    ExportTraceServiceRequest.DESCRIPTOR,
    ResourceSpans.DESCRIPTOR,
    Resource.DESCRIPTOR,
    ScopeSpans.DESCRIPTOR,
    Span.DESCRIPTOR,
)
MAPPED = (Span.DESCRIPTOR, Resource.DESCRIPTOR)
ENTRY = "AttributesEntry"


class AttributesView(Protocol):
    """A span's or a resource's attributes; ``[key]`` only after ``key in``: a map's
    ``[key]`` adds a missing key."""

    def __contains__(self, key: str) -> bool: ...

    def __getitem__(self, key: str) -> AnyValue: ...


class ResourceView(Protocol):
    @property
    def attributes(self) -> AttributesView: ...


class SpanView(Protocol):
    """``Span``, with its attributes as a map (its events and status as in ``Span``)."""

    @property
    def trace_id(self) -> bytes: ...
    @property
    def span_id(self) -> bytes: ...
    @property
    def parent_span_id(self) -> bytes: ...
    @property
    def start_time_unix_nano(self) -> int: ...
    @property
    def end_time_unix_nano(self) -> int: ...
    @property
    def attributes(self) -> AttributesView: ...
    @property
    def events(self) -> Sequence[Span.Event]: ...
    @property
    def status(self) -> Status: ...


class ScopeSpansView(Protocol):
    @property
    def spans(self) -> Sequence[SpanView]: ...


class ResourceSpansView(Protocol):
    @property
    def resource(self) -> ResourceView: ...
    @property
    def scope_spans(self) -> Sequence[ScopeSpansView]: ...


class ExportView(Protocol):
    """``ExportTraceServiceRequest`` as the reader sees it."""

    @property
    def resource_spans(self) -> Sequence[ResourceSpansView]: ...

    def ParseFromString(self, serialized: bytes) -> int: ...  # noqa: N802 - protobuf's name


def _view_file() -> descriptor_pb2.FileDescriptorProto:
    file = descriptor_pb2.FileDescriptorProto(
        name="comptroller/otlp_view.proto",
        package=PACKAGE,
        syntax="proto3",
        dependency=sorted(
            {descriptor.file.name for descriptor in COPIED} | {AnyValue.DESCRIPTOR.file.name}
        ),
    )
    renamed = {f".{each.full_name}": f".{PACKAGE}.{each.name}" for each in COPIED}
    for descriptor in COPIED:
        message = file.message_type.add()
        descriptor.CopyToProto(message)
        # Nested types stay the originals' (Span.Event, Span.SpanKind): their fields'
        # type names already say so.
        del message.nested_type[:]
        del message.enum_type[:]
        for field in message.field:
            if field.type_name in renamed:
                field.type_name = renamed[field.type_name]
        if descriptor in MAPPED:
            entry = message.nested_type.add(name=ENTRY)
            entry.options.map_entry = True
            entry.field.add(
                name="key",
                number=1,
                label=descriptor_pb2.FieldDescriptorProto.LABEL_OPTIONAL,
                type=descriptor_pb2.FieldDescriptorProto.TYPE_STRING,
            )
            entry.field.add(
                name="value",
                number=2,
                label=descriptor_pb2.FieldDescriptorProto.LABEL_OPTIONAL,
                type=descriptor_pb2.FieldDescriptorProto.TYPE_MESSAGE,
                type_name=f".{AnyValue.DESCRIPTOR.full_name}",
            )
            [attributes] = [field for field in message.field if field.name == "attributes"]
            attributes.type_name = f".{PACKAGE}.{descriptor.name}.{ENTRY}"
    return file


_POOL = descriptor_pool.Default()
_POOL.AddSerializedFile(_view_file().SerializeToString())
EXPORT_VIEW: type[Message] = GetMessageClass(
    _POOL.FindMessageTypeByName(f"{PACKAGE}.{ExportTraceServiceRequest.DESCRIPTOR.name}")
)


def parse_export(body: bytes) -> ExportView:
    """An ``ExportTraceServiceRequest`` in protobuf, read as the view (raises protobuf's
    ``DecodeError`` as the original message would)."""
    export = cast(ExportView, EXPORT_VIEW())
    export.ParseFromString(body)
    return export


def view_of(export: ExportTraceServiceRequest) -> ExportView:
    """An export already read (from OTLP JSON, by protobuf's JSON mapping) as the view."""
    return parse_export(export.SerializeToString())
