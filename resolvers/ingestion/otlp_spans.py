"""OpenTelemetry spans of LLM calls as request records: another reader of ``RecordInput``.

Which spans: those of one model call, by the GenAI semantic conventions
(``gen_ai.operation.name`` = ``chat``, ``text_completion`` or ``generate_content``) or by
OpenInference (``openinference.span.kind`` = ``LLM``). Agent, workflow and tool spans wrap
those calls and repeat their usage, so they are never records (their ``gen_ai.agent.name``
still names the assistant of the calls beneath them).

Each field is the first attribute present of its list below; ids are hex, times integer
nanoseconds. The span's ``externalId`` is ``otel:{traceId}:{spanId}``, so an exporter's
retry stores nothing twice. Spans are read from ``otlp_view`` (attributes as maps): each
span's attributes are asked for the keys below, in C, and only the values found are read,
each from the ``AnyValue`` field it is usually in first.
"""

from collections.abc import Iterable, Iterator
from datetime import UTC, datetime, timedelta

import orjson
from opentelemetry.proto.common.v1.common_pb2 import AnyValue, KeyValue
from opentelemetry.proto.trace.v1.trace_pb2 import Status

from models import RequestStatus
from resolvers.ingestion.named_records import (
    UNRESOLVED,
    NamedRecord,
    Refusal,
    clipped,
    clipped_error,
)
from resolvers.ingestion.otlp_view import AttributesView, ExportView, ResourceSpansView, SpanView
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
OPERATION, SPAN_KIND = "gen_ai.operation.name", "openinference.span.kind"
ERROR_TYPE = "error.type"
SERVICE = "service.name"
NANOS_PER_MILLI = 1_000_000
NANOS_PER_MICRO = 1_000
NANOS_PER_SECOND = 1_000_000_000
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
# Read once: an enum's member costs ~100 ns to look up, and a batch asks 1,000 times.
ERROR, SUCCESS = RequestStatus.ERROR, RequestStatus.SUCCESS
BAD_IDS = "traceId must be 16 bytes and spanId 8"
NO_START = "startTimeUnixNano is missing"
END_BEFORE_START = "endTimeUnixNano is before startTimeUnixNano"
NO_MODEL = f"names no model ({', '.join(MODEL)})"
NOT_INTEGERS = "token counts must be integers"

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


# AnyValue is a oneof: a field that is not its default is the one set. So a value is read
# from the field it is usually in (text, an integer, a float), and only a default there (or
# no value at all) asks which field is set: the question costs twice the read.
def _text_of(value: AnyValue) -> object:
    return value.string_value or value_of(value)


def is_llm_call(attributes: AttributesView) -> bool:
    operation = _text_of(attributes[OPERATION]) if OPERATION in attributes else None
    if type(operation) is str and operation in LLM_OPERATIONS:
        return True
    return SPAN_KIND in attributes and _text_of(attributes[SPAN_KIND]) == "LLM"


def instant_of(unix_nanos: int) -> datetime:
    """A nanosecond timestamp as a UTC datetime (to the microsecond), in integers."""
    seconds, nanos = divmod(unix_nanos, NANOS_PER_SECOND)
    # Positional, and seconds apart: timedelta's keywords and its normalizing of a
    # microsecond count of 16 digits cost more than the rest.
    return EPOCH + timedelta(0, seconds, nanos // NANOS_PER_MICRO)


def records_of_export(export: ExportView) -> list[NamedRecord | Refusal]:
    """A record or a refusal for each LLM span of an export, in the export's order."""
    found: list[NamedRecord | Refusal] = []
    for resource_spans in export.resource_spans:
        _read_resource_spans(resource_spans, found)
    return found


def _read_resource_spans(
    resource_spans: ResourceSpansView, found: list[NamedRecord | Refusal]
) -> None:
    """The records of one resource's spans, appended to ``found``: each span is read once,
    and the LLM calls without an agent of their own get the one above them when every span
    of the resource has been seen (a parent may come after its children)."""
    resource = resource_spans.resource.attributes
    service = value_of(resource[SERVICE]) if SERVICE in resource else None
    services = (service,) if type(service) is str and service else ()
    agents: dict[bytes, str] = {}
    parents: dict[bytes, bytes] = {}
    below: list[tuple[NamedRecord, bytes]] = []
    for scope_spans in resource_spans.scope_spans:
        for span in scope_spans.spans:
            attributes = span.attributes
            span_id = span.span_id
            parents[span_id] = span.parent_span_id
            agent = None
            if AGENT in attributes:
                # An empty name names no agent, and none above it: the span said so itself.
                name = _text_of(attributes[AGENT])
                agent = agents[span_id] = str(name) if name else ""
            if not is_llm_call(attributes):
                continue
            item = _record_of(len(found), span, span_id, attributes)
            found.append(item)
            if type(item) is NamedRecord:
                if agent is None:
                    below.append((item, span_id))
                else:
                    item.assistants = (agent, *services) if agent else services
    for item, span_id in below:
        above = _agent_above(span_id, agents, parents)
        item.assistants = (above, *services) if above else services


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
    index: int, span: SpanView, span_id: bytes, attributes: AttributesView
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
    models = _names(attributes, MODEL)
    if not models:
        return Refusal(index, external_id, NO_MODEL)
    input_tokens = _count(attributes, INPUT_TOKENS)
    output_tokens = _count(attributes, OUTPUT_TOKENS)
    if input_tokens is None or output_tokens is None:
        return Refusal(index, external_id, NOT_INTEGERS)
    error_type = _text_of(attributes[ERROR_TYPE]) if ERROR_TYPE in attributes else None
    error = span.status.code == Status.STATUS_CODE_ERROR or bool(error_type)
    record = RecordInput(
        external_id=external_id,
        created_at=instant_of(start),
        status=ERROR if error else SUCCESS,
        duration_ms=(end - start) // NANOS_PER_MILLI,
        model_id=UNRESOLVED,
        input_tokens=input_tokens,
        output_tokens=output_tokens,
        cost=_cost(attributes),
        input=clipped(_text(attributes, span, INPUT_TEXT, INPUT_EVENTS)),
        output=clipped(_text(attributes, span, OUTPUT_TEXT, OUTPUT_EVENTS)),
        error_message=clipped_error(_error_message(span, error_type)) if error else None,
    )
    return NamedRecord(record, models, (), _names(attributes, USER))


def _names(attributes: AttributesView, keys: tuple[str, ...]) -> tuple[str, ...]:
    """The values of ``keys`` that are not empty, in order, as text."""
    found = []
    for key in keys:
        if key in attributes:
            value = attributes[key]
            name = value.string_value or value_of(value)  # _text_of, inline: a hot loop
            if name:
                found.append(str(name))
    return tuple(found)


def _count(attributes: AttributesView, keys: tuple[str, ...]) -> int | None:
    """The first token count present (0 when none is); None when it is not an integer."""
    for key in keys:
        if key not in attributes:
            continue
        any_value = attributes[key]
        value = any_value.int_value or value_of(any_value)
        if value is None:
            continue
        if type(value) is int:
            return value
        if type(value) is float and value.is_integer():
            return int(value)
        # isdigit alone takes "²", which int() refuses.
        if type(value) is str and value.isascii() and value.isdigit():
            return int(value)
        return None
    return 0


def _cost(attributes: AttributesView) -> float | None:
    """The first cost that is a number."""
    for key in COST:
        if key in attributes:
            any_value = attributes[key]
            value = any_value.double_value or value_of(any_value)
            if type(value) is float:
                return value
            if type(value) is int:
                return float(value)
    return None


def _text(
    attributes: AttributesView, span: SpanView, keys: tuple[str, ...], events: dict[str, str]
) -> str | None:
    for key in keys:
        if key in attributes:
            value = attributes[key]
            return _as_text(value.string_value or value_of(value))  # _text_of, inline
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


def _error_message(span: SpanView, error_type: object) -> str | None:
    if span.status.message:
        return span.status.message
    for exception in _exceptions(span):
        message = exception.get("exception.message")
        kind = exception.get("exception.type")
        if message or kind:
            return ": ".join(str(part) for part in (kind, message) if part)
    return None if error_type is None else str(error_type)


def _exceptions(span: SpanView) -> Iterator[dict[str, object]]:
    for event in span.events:
        if event.name == "exception":
            yield attributes_of(event.attributes)
