"""GenAI spans made by the OpenTelemetry SDK itself, and sent by its own OTLP/HTTP exporters
(protobuf and JSON), for the tests and the benchmark of ``POST /v1/traces``."""

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from opentelemetry import trace
from opentelemetry.exporter.otlp.json.common.trace_encoder import encode_spans as encode_json
from opentelemetry.exporter.otlp.json.http.trace_exporter import (
    OTLPSpanExporter as JsonSpanExporter,
)
from opentelemetry.exporter.otlp.proto.common.trace_encoder import encode_spans
from opentelemetry.exporter.otlp.proto.http.trace_exporter import (
    OTLPSpanExporter as ProtobufSpanExporter,
)
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor, SpanExporter
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import Status, StatusCode

ENCODINGS = ("protobuf", "json")
NANOS = 1_000_000_000


@dataclass
class Call:
    """One model call as an instrumentation library reports it."""

    model: str
    start_ns: int
    duration_ns: int
    input_tokens: int = 100
    output_tokens: int = 40
    attributes: dict[str, Any] = field(default_factory=dict)
    error: str | None = None  # the exception's message: the span ends in error


class SpanRecorder:
    """A tracer of one service whose finished spans are kept, to be exported (and
    exported again) by the real exporters."""

    def __init__(self, service: str = "comptroller-tests") -> None:
        self.memory = InMemorySpanExporter()
        self.provider = TracerProvider(resource=Resource.create({"service.name": service}))
        self.provider.add_span_processor(SimpleSpanProcessor(self.memory))
        self.tracer = self.provider.get_tracer("tests.genai")

    def spans(self) -> Sequence[ReadableSpan]:
        return self.memory.get_finished_spans()

    def chat(self, call: Call) -> ReadableSpan:
        """A ``chat`` span as the GenAI conventions describe it."""
        attributes = {
            "gen_ai.operation.name": "chat",
            "gen_ai.request.model": call.model,
            "gen_ai.usage.input_tokens": call.input_tokens,
            "gen_ai.usage.output_tokens": call.output_tokens,
            **call.attributes,
        }
        span = self.tracer.start_span(
            f"chat {call.model}", start_time=call.start_ns, attributes=attributes
        )
        if call.error is not None:
            span.record_exception(RuntimeError(call.error))
            span.set_attribute("error.type", "RuntimeError")
            span.set_status(Status(StatusCode.ERROR))
        span.end(end_time=call.start_ns + call.duration_ns)
        return self.spans()[-1]

    def agent(self, name: str, start_ns: int, calls: Sequence[Call]) -> None:
        """An ``invoke_agent`` span wrapping ``calls`` (it repeats their usage, as agent
        frameworks do)."""
        total_in = sum(call.input_tokens for call in calls)
        total_out = sum(call.output_tokens for call in calls)
        wrapper = self.tracer.start_span(
            f"invoke_agent {name}",
            start_time=start_ns,
            attributes={
                "gen_ai.operation.name": "invoke_agent",
                "gen_ai.agent.name": name,
                "gen_ai.usage.input_tokens": total_in,
                "gen_ai.usage.output_tokens": total_out,
            },
        )
        with trace.use_span(wrapper, end_on_exit=False):
            for call in calls:
                self.chat(call)
        wrapper.end(end_time=max(c.start_ns + c.duration_ns for c in calls))


def exporter(encoding: str, endpoint: str, secret: str | None) -> SpanExporter:
    """The SDK's OTLP/HTTP exporter for ``encoding``, pointed at ``endpoint``."""
    headers = {"Authorization": f"Bearer {secret}"} if secret else {}
    if encoding == "protobuf":
        return ProtobufSpanExporter(endpoint=endpoint, headers=headers, timeout=30)
    return JsonSpanExporter(endpoint=endpoint, headers=headers, timeout=30)


def export_body(encoding: str, spans: Sequence[ReadableSpan]) -> bytes:
    """The body the exporter for ``encoding`` sends for ``spans``."""
    if encoding == "protobuf":
        return encode_spans(spans).SerializeToString()
    return encode_json(spans).to_json().encode()  # as the JSON exporter encodes it


def content_type(encoding: str) -> str:
    return "application/x-protobuf" if encoding == "protobuf" else "application/json"
