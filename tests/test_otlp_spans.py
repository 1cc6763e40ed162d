"""Spans read as records, without a server: each mapping rule of ``otlp_spans`` on spans
built field by field, the odd values included (duplicate keys, empty values, structured
content, counts as text or floats), so a faster reader cannot quietly read them otherwise."""

from datetime import UTC, datetime
from typing import Any

import pytest
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest
from opentelemetry.proto.common.v1.common_pb2 import AnyValue, ArrayValue, KeyValue, KeyValueList
from opentelemetry.proto.resource.v1.resource_pb2 import Resource
from opentelemetry.proto.trace.v1.trace_pb2 import ResourceSpans, ScopeSpans, Span, Status

from models import RequestStatus
from resolvers.ingestion.named_records import UNRESOLVED, NamedRecord, Refusal
from resolvers.ingestion.otlp_spans import records_of_export
from resolvers.ingestion.otlp_view import view_of
from resolvers.ingestion.validation import CONTENT_MAX_LENGTH

START_NS = 1_763_000_000_123_456_789
TRACE = bytes(range(16))
EXTERNAL_ID_PREFIX = f"otel:{TRACE.hex()}:"


def any_value(value: object) -> AnyValue:
    """``value`` as OTLP carries it: lists as arrays, dicts as key-value lists, None empty."""
    if value is None:
        return AnyValue()
    if isinstance(value, bool):
        return AnyValue(bool_value=value)
    if isinstance(value, int):
        return AnyValue(int_value=value)
    if isinstance(value, float):
        return AnyValue(double_value=value)
    if isinstance(value, bytes):
        return AnyValue(bytes_value=value)
    if isinstance(value, list):
        return AnyValue(array_value=ArrayValue(values=[any_value(each) for each in value]))
    if isinstance(value, dict):
        return AnyValue(kvlist_value=KeyValueList(values=pairs(value)))
    return AnyValue(string_value=str(value))


def pairs(attributes: dict[str, object] | list[tuple[str, object]]) -> list[KeyValue]:
    items = attributes.items() if isinstance(attributes, dict) else attributes
    return [KeyValue(key=key, value=any_value(value)) for key, value in items]


def span(
    number: int,
    attributes: dict[str, object] | list[tuple[str, object]],
    parent: int | None = None,
    **fields: Any,
) -> Span:
    made = Span(
        trace_id=TRACE,
        span_id=number.to_bytes(8, "big"),
        parent_span_id=b"" if parent is None else parent.to_bytes(8, "big"),
        name="call",
        start_time_unix_nano=START_NS,
        end_time_unix_nano=START_NS + 2_345_678_901,
        attributes=pairs(attributes),
    )
    for name, value in fields.items():
        if name == "events":
            for event_name, event_attributes in value:
                made.events.add(name=event_name, attributes=pairs(event_attributes))
        elif name == "status":
            made.status.CopyFrom(value)
        else:
            setattr(made, name, value)
    return made


def chat(model: str = "gpt-4o", more: dict[str, object] | None = None) -> dict[str, object]:
    return {
        "gen_ai.operation.name": "chat",
        "gen_ai.request.model": model,
        "gen_ai.usage.input_tokens": 100,
        "gen_ai.usage.output_tokens": 40,
        **(more or {}),
    }


def export(*spans: Span, service: object = "gateway") -> ExportTraceServiceRequest:
    resource = {} if service is None else {"service.name": service}
    return ExportTraceServiceRequest(
        resource_spans=[
            ResourceSpans(
                resource=Resource(attributes=pairs(resource)), scope_spans=[ScopeSpans(spans=spans)]
            )
        ]
    )


def records(*spans: Span, service: object = "gateway") -> list[NamedRecord | Refusal]:
    return records_of_export(view_of(export(*spans, service=service)))


def only(*spans: Span, service: object = "gateway") -> NamedRecord:
    [found] = records(*spans, service=service)
    assert isinstance(found, NamedRecord), found
    return found


def test_a_chat_span_is_a_record_field_by_field() -> None:
    found = only(
        span(
            1,
            chat(
                "gpt-4o-2024-08-06",
                {
                    "gen_ai.request.model": "gpt-4o",
                    "gen_ai.response.model": "gpt-4o-2024-08-06",
                    "gen_ai.usage.cost": 0.25,
                    "gen_ai.agent.name": "support-bot",
                    "user.id": "Ada@Example.com",
                    "enduser.id": "7",
                    "gen_ai.input.messages": "Hello?",
                    "gen_ai.output.messages": "Hi.",
                    "http.url": "https://api.example.com",
                },
            ),
        )
    )

    record = found.record
    assert record.external_id == f"{EXTERNAL_ID_PREFIX}0000000000000001"
    assert record.created_at == datetime(2025, 11, 13, 2, 13, 20, 123456, tzinfo=UTC)
    assert (record.duration_ms, record.status) == (2345, RequestStatus.SUCCESS)
    assert (record.input_tokens, record.output_tokens, record.cost) == (100, 40, 0.25)
    assert (record.input, record.output, record.error_message) == ("Hello?", "Hi.", None)
    assert record.model_id == UNRESOLVED
    assert found.models == ("gpt-4o-2024-08-06", "gpt-4o")
    assert found.assistants == ("support-bot", "gateway")
    assert found.users == ("Ada@Example.com", "7")


def test_only_model_calls_are_records_in_the_exports_order() -> None:
    found = records(
        span(1, {"gen_ai.operation.name": "invoke_agent", "gen_ai.agent.name": "bot"}),
        span(2, chat("a"), parent=1),
        span(3, {"gen_ai.operation.name": "execute_tool"}, parent=1),
        span(4, {"openinference.span.kind": "LLM", "llm.model_name": "b"}),
        span(5, {"openinference.span.kind": "CHAIN", "llm.model_name": "c"}),
        span(6, chat("d", {"gen_ai.operation.name": "text_completion"})),
        span(7, chat("e", {"gen_ai.operation.name": "generate_content"})),
        span(8, chat("f", {"gen_ai.operation.name": "embeddings"})),
    )

    assert [each.models for each in found if isinstance(each, NamedRecord)] == [
        ("a",),
        ("b",),
        ("d",),
        ("e",),
    ]


def test_the_older_attribute_forms_are_read() -> None:
    found = only(
        span(
            1,
            {
                "openinference.span.kind": "LLM",
                "llm.model_name": "claude",
                "gen_ai.usage.prompt_tokens": 11,
                "llm.token_count.prompt": 99,
                "llm.token_count.completion": 5,
                "gen_ai.cost.total_cost": 1,
                "llm.cost.total": 2.0,
                "gen_ai.prompt.0.content": "first message",
                "input.value": "not this one",
                "output.value": "the answer",
            },
        )
    )

    record = found.record
    assert (record.input_tokens, record.output_tokens, record.cost) == (11, 5, 1.0)
    assert (record.input, record.output) == ("first message", "the answer")


def test_content_in_events_is_read_when_no_attribute_holds_it() -> None:
    events = [
        ("gen_ai.content.prompt", {"gen_ai.prompt": "from the event"}),
        ("gen_ai.content.completion", {"gen_ai.completion": ["a", 1]}),
    ]

    found = only(span(1, chat(), events=events))
    with_attribute = only(span(2, chat(more={"gen_ai.prompt": "attribute"}), events=events))

    assert (found.record.input, found.record.output) == ("from the event", '["a",1]')
    assert with_attribute.record.input == "attribute"


def test_structured_content_is_its_json_and_bytes_are_hex() -> None:
    messages = [{"role": "user", "parts": [{"type": "text", "content": "Hi"}]}]

    found = only(
        span(
            1,
            chat(
                more={
                    "gen_ai.input.messages": messages,
                    "gen_ai.output.messages": b"\x01\xff",
                    "user.id": b"\x0a",
                }
            ),
        )
    )

    assert found.record.input == '[{"role":"user","parts":[{"type":"text","content":"Hi"}]}]'
    assert found.record.output == "01ff"
    assert found.users == ("0a",)


def test_content_loses_nul_and_is_shortened_not_refused() -> None:
    found = only(span(1, chat(more={"gen_ai.prompt": "a\x00b" + "x" * CONTENT_MAX_LENGTH})))

    assert found.record.input == "ab" + "x" * (CONTENT_MAX_LENGTH - 2)


def test_the_last_of_two_attributes_of_one_key_counts() -> None:
    attributes = [*chat().items(), ("gen_ai.request.model", "second")]

    assert only(span(1, attributes)).models == ("second",)


def test_an_attribute_without_a_value_is_present_but_empty() -> None:
    found = only(
        span(
            1,
            chat(
                more={
                    "gen_ai.response.model": None,
                    "gen_ai.usage.input_tokens": None,
                    "gen_ai.usage.prompt_tokens": 8,
                    "user.id": None,
                    "gen_ai.input.messages": None,
                }
            ),
        )
    )

    assert found.models == ("gpt-4o",)
    assert found.record.input_tokens == 8
    assert found.users == ()
    assert found.record.input == "null"


@pytest.mark.parametrize(
    ("sent", "read"),
    [(7, 7), (7.0, 7), ("7", 7), (None, 0), (True, None), (7.5, None), ("²", None)],
)
def test_token_counts_are_integers_however_written(sent: object, read: int | None) -> None:
    attributes = {key: value for key, value in chat().items() if "input_tokens" not in key}
    if sent is not None:
        attributes["gen_ai.usage.input_tokens"] = sent

    [found] = records(span(1, attributes))

    if read is None:
        assert found == Refusal(
            0, f"{EXTERNAL_ID_PREFIX}0000000000000001", "token counts must be integers"
        )
    else:
        assert isinstance(found, NamedRecord)
        assert found.record.input_tokens == read


@pytest.mark.parametrize(
    ("cost", "read"), [(0.5, 0.5), (2, 2.0), ("0.5", None), (True, None), (None, None)]
)
def test_a_cost_is_a_number_or_none(cost: object, read: float | None) -> None:
    assert only(span(1, chat(more={"gen_ai.usage.cost": cost}))).record.cost == read


@pytest.mark.parametrize(
    ("fields", "reason"),
    [
        ({"trace_id": b"\x01" * 15}, "traceId must be 16 bytes and spanId 8"),
        ({"span_id": b""}, "traceId must be 16 bytes and spanId 8"),
        ({"start_time_unix_nano": 0}, "startTimeUnixNano is missing"),
        ({"end_time_unix_nano": START_NS - 1}, "endTimeUnixNano is before startTimeUnixNano"),
    ],
)
def test_a_span_without_usable_ids_or_times_is_refused(fields: dict[str, Any], reason: str) -> None:
    [found] = records(span(1, chat(), **fields))

    assert isinstance(found, Refusal)
    assert (found.index, found.reason) == (0, reason)


def test_a_span_naming_no_model_is_refused_in_its_place() -> None:
    found = records(
        span(1, chat()),
        span(2, chat(more={"gen_ai.request.model": ""})),
        span(3, chat()),
    )

    assert found[1] == Refusal(
        1,
        f"{EXTERNAL_ID_PREFIX}0000000000000002",
        "names no model (gen_ai.response.model, gen_ai.request.model, llm.model_name)",
    )
    assert [type(each) for each in found] == [NamedRecord, Refusal, NamedRecord]


def test_an_error_reads_the_status_then_the_exception_then_error_type() -> None:
    exception = ("exception", {"exception.type": "RateLimit", "exception.message": "slow down"})
    failed = Status(code=Status.STATUS_CODE_ERROR, message="upstream said no")

    by_status = only(span(1, chat(), status=failed, events=[exception]))
    by_exception = only(
        span(2, chat(), status=Status(code=Status.STATUS_CODE_ERROR), events=[exception])
    )
    by_type = only(span(3, chat(more={"error.type": "timeout"})))
    unexplained = only(span(4, chat(), status=Status(code=Status.STATUS_CODE_ERROR)))
    fine = only(span(5, chat(), status=Status(code=Status.STATUS_CODE_OK, message="ok")))

    assert by_status.record.error_message == "upstream said no"
    assert by_exception.record.error_message == "RateLimit: slow down"
    assert (by_type.record.status, by_type.record.error_message) == (
        RequestStatus.ERROR,
        "timeout",
    )
    assert (unexplained.record.status, unexplained.record.error_message) == (
        RequestStatus.ERROR,
        None,
    )
    assert (fine.record.status, fine.record.error_message) == (RequestStatus.SUCCESS, None)


def test_the_assistant_is_the_nearest_agent_above_in_the_export() -> None:
    found = records(
        # a child before its parents: the whole export is read first
        span(4, chat("a"), parent=3),
        span(3, {"gen_ai.operation.name": "execute_tool"}, parent=2),
        span(2, {"gen_ai.operation.name": "invoke_agent", "gen_ai.agent.name": "inner"}, 1),
        span(1, {"gen_ai.operation.name": "invoke_agent", "gen_ai.agent.name": "outer"}),
        span(5, chat("b", {"gen_ai.agent.name": "own"}), parent=2),
        span(6, chat("c"), parent=1),
        span(7, chat("d"), parent=99),
        span(8, chat("e"), parent=8),
    )

    assert [each.assistants for each in found if isinstance(each, NamedRecord)] == [
        ("inner", "gateway"),
        ("own", "gateway"),
        ("outer", "gateway"),
        ("gateway",),
        ("gateway",),
    ]


def test_the_service_name_is_a_candidate_only_when_text() -> None:
    assert only(span(1, chat()), service=None).assistants == ()
    assert only(span(1, chat()), service=7).assistants == ()
    assert only(span(1, chat()), service="").assistants == ()


def test_agents_are_found_within_their_resource_only() -> None:
    request = ExportTraceServiceRequest(
        resource_spans=[
            export(
                span(1, {"gen_ai.operation.name": "invoke_agent", "gen_ai.agent.name": "x"})
            ).resource_spans[0],
            export(span(2, chat(), parent=1), service="other").resource_spans[0],
        ]
    )

    [found] = records_of_export(view_of(request))

    assert isinstance(found, NamedRecord)
    assert found.assistants == ("other",)


def test_refusals_and_records_are_numbered_across_resources() -> None:
    request = ExportTraceServiceRequest(
        resource_spans=[
            export(span(1, chat()), span(2, {"gen_ai.operation.name": "x"})).resource_spans[0],
            export(span(3, chat(more={"gen_ai.request.model": ""}))).resource_spans[0],
        ]
    )

    found = records_of_export(view_of(request))

    assert isinstance(found[1], Refusal)
    assert found[1].index == 1


def test_an_operation_that_is_not_text_names_no_model_call() -> None:
    # given: operation names as an array and as a number (an unhashable value once broke
    # the reader: a 500 for the whole export)
    found = records(
        span(1, chat(more={"gen_ai.operation.name": ["chat"]})),
        span(2, chat(more={"gen_ai.operation.name": 7})),
        span(3, chat(more={"gen_ai.operation.name": 7, "openinference.span.kind": "LLM"})),
    )

    assert [each.record.external_id[-1] for each in found if isinstance(each, NamedRecord)] == ["3"]
