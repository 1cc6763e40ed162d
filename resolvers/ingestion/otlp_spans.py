"""OpenTelemetry spans of LLM calls as request records: another reader of ``RecordInput``.

Which spans: those of one model call, by the GenAI semantic conventions
(``gen_ai.operation.name`` = ``chat``, ``text_completion`` or ``generate_content``) or by
OpenInference (``openinference.span.kind`` = ``LLM``). Agent, workflow and tool spans wrap
those calls and repeat their usage, so they are never records (their ``gen_ai.agent.name``
still names the assistant of the calls beneath them).

Each field is the first attribute present of its list below; ids are hex, times integer
nanoseconds. The span's ``externalId`` is ``otel:{traceId}:{spanId}``, so an exporter's
retry stores nothing twice.
"""

from collections.abc import Iterable, Iterator, Mapping
from datetime import UTC, datetime, timedelta

import orjson
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest
from opentelemetry.proto.common.v1.common_pb2 import AnyValue, KeyValue
from opentelemetry.proto.trace.v1.trace_pb2 import ResourceSpans, Span, Status

from models import RequestStatus
from resolvers.ingestion.named_records import (
    UNRESOLVED,
    NamedRecord,
    Refusal,
    clipped,
    clipped_error,
)
from resolvers.ingestion.record import RecordInput

LLM_OPERATIONS = frozenset({"chat", "text_completion", "generate_content"})
MODEL = ("gen_ai.response.model", "gen_ai.request.model", "llm.model_name")
INPUT_TOKENS = (
    "gen_ai.usage.input_tokens",
    "gen_ai.usage.prompt_tokens",
    "llm.token_count.prompt",
)
OUTPUT_TOKENS = (
    "gen_ai.usage.output_tokens",
    "gen_ai.usage.completion_tokens",
    "llm.token_count.completion",
)
COST = ("gen_ai.usage.cost", "gen_ai.cost.total_cost", "llm.cost.total")
USER = ("user.id", "enduser.id")
AGENT = "gen_ai.agent.name"
# Current conventions first, then the older attribute forms (OpenLLMetry's indexed prompts
# are read as their first message, OpenInference's input and output values).
INPUT_TEXT = ("gen_ai.input.messages", "gen_ai.prompt", "gen_ai.prompt.0.content", "input.value")
OUTPUT_TEXT = (
    "gen_ai.output.messages",
    "gen_ai.completion",
    "gen_ai.completion.0.content",
    "output.value",
)
# The older conventions put content in span events instead of attributes.
INPUT_EVENTS = {"gen_ai.content.prompt": "gen_ai.prompt"}
OUTPUT_EVENTS = {"gen_ai.content.completion": "gen_ai.completion"}
KIND = ("gen_ai.operation.name", "openinference.span.kind")
# The attributes read, each with the AnyValue field its value is usually in.
READ = {
    **dict.fromkeys((*KIND, *MODEL, *USER, AGENT, *INPUT_TEXT, *OUTPUT_TEXT), "string_value"),
    **dict.fromkeys((*INPUT_TOKENS, *OUTPUT_TOKENS), "int_value"),
    **dict.fromkeys(COST, "double_value"),
    "error.type": "string_value",
}
NANOS_PER_MILLI = 1_000_000
NANOS_PER_MICRO = 1_000
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
# Read once: an enum's member costs ~100 ns to look up, and a batch asks 1,000 times.
ERROR, SUCCESS = RequestStatus.ERROR, RequestStatus.SUCCESS
BAD_IDS = "traceId must be 16 bytes and spanId 8"
NO_START = "startTimeUnixNano is missing"
END_BEFORE_START = "endTimeUnixNano is before startTimeUnixNano"
NO_MODEL = f"names no model ({', '.join(MODEL)})"
NOT_INTEGERS = "token counts must be integers"

Attributes = Mapping[str, object]
# An attribute not sent at all (one sent without a value reads as None).
_ABSENT = object()


_SCALARS = frozenset({"string_value", "int_value", "double_value", "bool_value"})


def value_of(value: AnyValue) -> object:
    """An attribute's value as plain Python (arrays and maps nested)."""
    kind = value.WhichOneof("value")
    if kind in _SCALARS:
        return getattr(value, kind)
    if kind == "array_value":
        return [value_of(each) for each in value.array_value.values]
    if kind == "kvlist_value":
        return attributes_of(value.kvlist_value.values)
    if kind == "bytes_value":
        return value.bytes_value.hex()
    return None


def attributes_of(pairs: Iterable[KeyValue]) -> dict[str, object]:
    return {pair.key: value_of(pair.value) for pair in pairs}


def read_attributes(pairs: Iterable[KeyValue]) -> dict[str, object]:
    """The attributes a record is made of (a span carries many others: their values are
    not even read), in one pass; a key given twice is its last value, as in a dict."""
    found = {}
    for pair in pairs:
        key = pair.key
        usual = READ.get(key)
        if usual is not None:
            value = pair.value
            # AnyValue is a oneof: a field that is not its default is the one set, so the
            # usual field is read first, and only a default value (or none) asks which is set.
            found[key] = getattr(value, usual) or value_of(value)
    return found


def is_llm_call(attributes: Attributes) -> bool:
    return (
        attributes.get("gen_ai.operation.name") in LLM_OPERATIONS
        or attributes.get("openinference.span.kind") == "LLM"
    )


def instant_of(unix_nanos: int) -> datetime:
    """A nanosecond timestamp as a UTC datetime (to the microsecond), in integers."""
    return EPOCH + timedelta(microseconds=unix_nanos // NANOS_PER_MICRO)


def records_of_export(request: ExportTraceServiceRequest) -> list[NamedRecord | Refusal]:
    """A record or a refusal for each LLM span of an export, in the export's order."""
    found: list[NamedRecord | Refusal] = []
    for resource_spans in request.resource_spans:
        _read_resource_spans(resource_spans, found)
    return found


def _read_resource_spans(resource_spans: ResourceSpans, found: list[NamedRecord | Refusal]) -> None:
    """The records of one resource's spans, appended to ``found``: each span is read once,
    and the LLM calls without an agent of their own get the one above them when every span
    of the resource has been seen (a parent may come after its children)."""
    service = _service_name(resource_spans.resource.attributes)
    services = (service,) if service else ()
    agents: dict[bytes, str] = {}
    parents: dict[bytes, bytes] = {}
    below: list[tuple[NamedRecord, bytes]] = []
    for scope_spans in resource_spans.scope_spans:
        for span in scope_spans.spans:
            attributes = read_attributes(span.attributes)
            span_id = span.span_id
            parents[span_id] = span.parent_span_id
            agent = attributes.get(AGENT, _ABSENT)
            if agent is not _ABSENT:
                agents[span_id] = str(agent)
            if not is_llm_call(attributes):
                continue
            item = _record_of(len(found), span, span_id, attributes)
            found.append(item)
            if type(item) is NamedRecord:
                if agent is _ABSENT:
                    below.append((item, span_id))
                elif own := str(agent):
                    item.assistants = (own, *services)
                else:
                    item.assistants = services
    for item, span_id in below:
        above = _agent_above(span_id, agents, parents)
        item.assistants = (above, *services) if above else services


def _service_name(pairs: Iterable[KeyValue]) -> str | None:
    """The resource's ``service.name``, when it is text (the last one, if given twice)."""
    name = None
    for pair in pairs:
        if pair.key == "service.name":
            name = value_of(pair.value)
    return name if isinstance(name, str) and name else None


def _agent_above(
    span_id: bytes, agents: dict[bytes, str], parents: dict[bytes, bytes]
) -> str | None:
    """The agent name on the span or on the nearest span above it in the same export."""
    current: bytes | None = span_id
    seen = set()
    while current and current not in seen:
        if current in agents:
            return agents[current]
        seen.add(current)
        current = parents.get(current)
    return None


def _record_of(
    index: int, span: Span, span_id: bytes, attributes: Attributes
) -> NamedRecord | Refusal:
    """The span's record, its assistants still to be filled in; or why it is none."""
    # Each protobuf field read costs a call into upb: read each once.
    trace_id = span.trace_id
    start, end = span.start_time_unix_nano, span.end_time_unix_nano
    external_id = f"otel:{trace_id.hex()}:{span_id.hex()}"
    if len(trace_id) != 16 or len(span_id) != 8:
        return Refusal(index, external_id, BAD_IDS)
    if start == 0:
        return Refusal(index, external_id, NO_START)
    if end < start:
        return Refusal(index, external_id, END_BEFORE_START)
    models = tuple([str(name) for key in MODEL if (name := attributes.get(key))])
    if not models:
        return Refusal(index, external_id, NO_MODEL)
    input_tokens = _count(attributes, INPUT_TOKENS)
    output_tokens = _count(attributes, OUTPUT_TOKENS)
    if input_tokens is None or output_tokens is None:
        return Refusal(index, external_id, NOT_INTEGERS)
    error = span.status.code == Status.STATUS_CODE_ERROR or bool(attributes.get("error.type"))
    record = RecordInput(
        external_id=external_id,
        created_at=instant_of(start),
        status=ERROR if error else SUCCESS,
        duration_ms=(end - start) // NANOS_PER_MILLI,
        model_id=UNRESOLVED,
        input_tokens=input_tokens,
        output_tokens=output_tokens,
        cost=_first_number(attributes, COST),
        input=clipped(_text(attributes, span, INPUT_TEXT, INPUT_EVENTS)),
        output=clipped(_text(attributes, span, OUTPUT_TEXT, OUTPUT_EVENTS)),
        error_message=clipped_error(_error_message(span, attributes)) if error else None,
    )
    users = tuple([str(user) for key in USER if (user := attributes.get(key))])
    return NamedRecord(record, models, (), users)


def _count(attributes: Attributes, keys: tuple[str, ...]) -> int | None:
    """The first token count present (0 when none is); None when it is not an integer."""
    for key in keys:
        value = attributes.get(key)
        if value is None:
            continue
        if type(value) is int:
            return value
        if type(value) is float and value.is_integer():
            return int(value)
        if type(value) is str and value.isdigit():
            return int(value)
        return None
    return 0


def _first_number(attributes: Attributes, keys: tuple[str, ...]) -> float | None:
    for key in keys:
        value = attributes.get(key)
        if type(value) is float:
            return value
        if type(value) is int:
            return float(value)
    return None


def _text(
    attributes: Attributes, span: Span, keys: tuple[str, ...], events: dict[str, str]
) -> str | None:
    for key in keys:
        if key in attributes:
            return _as_text(attributes[key])
    if not span.events:
        return None
    for event in span.events:
        attribute = events.get(event.name)
        if attribute is not None:
            for pair in event.attributes:
                if pair.key == attribute:
                    return _as_text(value_of(pair.value))
    return None


def _as_text(value: object) -> str:
    """Text as it came; structured messages (arrays, maps) as their JSON."""
    if type(value) is str:
        return value
    return orjson.dumps(value).decode()


def _error_message(span: Span, attributes: Attributes) -> str | None:
    if span.status.message:
        return span.status.message
    for exception in _exceptions(span):
        message = exception.get("exception.message")
        kind = exception.get("exception.type")
        if message or kind:
            return ": ".join(str(part) for part in (kind, message) if part)
    error_type = attributes.get("error.type")
    return None if error_type is None else str(error_type)


def _exceptions(span: Span) -> Iterator[dict[str, object]]:
    for event in span.events:
        if event.name == "exception":
            yield attributes_of(event.attributes)
