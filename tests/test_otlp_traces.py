"""``POST /v1/traces``: GenAI spans sent by the OpenTelemetry SDK's own OTLP/HTTP exporters
(protobuf and JSON) become request records, field by field; the answers follow OTLP/HTTP."""

import asyncio
import gzip
import time
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import orjson
import pytest
from google.protobuf import json_format
from google.rpc.status_pb2 import Status
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceResponse
from opentelemetry.sdk.trace.export import SpanExportResult

from kernel.tokens import TokenKind, issue_secret
from models import AiModel, Project, ProjectRole, Request, RequestStatus
from tests.support.backends import Backend
from tests.support.factories import (
    grant,
    make_api_token,
    make_assistant,
    make_model,
    make_personal_token,
    make_project,
    make_user,
)
from tests.support.genai_spans import (
    ENCODINGS,
    NANOS,
    Call,
    SpanRecorder,
    content_type,
    export_body,
    exporter,
)

HOUR_AGO_NS = (time.time_ns() // NANOS - 3600) * NANOS


def instant(unix_ns: int) -> datetime:
    seconds, nanos = divmod(unix_ns, NANOS)
    return datetime(1970, 1, 1, tzinfo=UTC) + timedelta(seconds=seconds, microseconds=nanos // 1000)


async def stored(project: Project) -> dict[str, Request]:
    return {row.external_id: row for row in await Request.filter(project_id=project.id)}


def external_id(span: Any) -> str:
    context = span.get_span_context()
    return f"otel:{context.trace_id:032x}:{context.span_id:016x}"


async def post(
    backend: Backend, body: bytes, secret: str | None, media_type: str, **headers: str
) -> httpx.Response:
    sent = {"Content-Type": media_type, **headers}
    if secret:
        sent["Authorization"] = f"Bearer {secret}"
    async with httpx.AsyncClient(base_url=backend.server_url, timeout=30) as http:
        return await http.post("/v1/traces", content=body, headers=sent)


def answer(reply: httpx.Response) -> ExportTraceServiceResponse:
    """The ExportTraceServiceResponse of a 200, read in the encoding it came in."""
    assert reply.status_code == 200, reply.text
    message = ExportTraceServiceResponse()
    if reply.headers["content-type"].startswith("application/x-protobuf"):
        message.ParseFromString(reply.content)
    else:
        json_format.Parse(reply.text, message)
    return message


def status_of(reply: httpx.Response) -> Status:
    status = Status()
    if reply.headers["content-type"].startswith("application/x-protobuf"):
        status.ParseFromString(reply.content)
    else:
        json_format.Parse(reply.text, status)
    return status


async def send(encoding: str, backend: Backend, secret: str, recorder: SpanRecorder) -> None:
    """Export every finished span with the SDK's exporter (blocking: in a thread)."""
    sdk_exporter = exporter(encoding, f"{backend.server_url}/v1/traces", secret)
    result = await asyncio.to_thread(sdk_exporter.export, recorder.spans())
    assert result is SpanExportResult.SUCCESS, backend.server_log()[-2000:]
    sdk_exporter.shutdown()


@pytest.mark.parametrize("encoding", ENCODINGS)
async def test_genai_spans_from_the_sdk_exporter_are_recorded_field_by_field(
    backend: Backend, encoding: str
) -> None:
    # given: a project with an assistant, a member and a priced model
    project = await make_project()
    model = await make_model(input_usd=2.5, output_usd=10.0)
    assistant = await make_assistant(project)
    member, _ = await make_user()
    await grant(member, project, ProjectRole.ASSISTANT_USER)
    _, secret = await make_api_token(project)
    recorder = SpanRecorder(service="not-an-assistant")
    priced = Call(
        model.name,
        HOUR_AGO_NS + 123_456_789,
        2_345_678_901,
        input_tokens=1200,
        output_tokens=345,
        attributes={
            "user.id": member.email,
            "gen_ai.input.messages": '[{"role":"user","parts":[{"type":"text","content":"Hi"}]}]',
            "gen_ai.output.messages": '[{"role":"assistant","parts":[]}]',
        },
    )
    costed = Call(
        model.name,
        HOUR_AGO_NS + 5 * NANOS,
        NANOS,
        attributes={"gen_ai.usage.cost": 0.0421, "enduser.id": str(member.id)},
    )
    failed = Call(model.name, HOUR_AGO_NS + 9 * NANOS, 7_000_000, error="upstream timed out")
    recorder.agent(assistant.name, HOUR_AGO_NS, [priced, costed])
    recorder.chat(failed)

    # when
    await send(encoding, backend, secret, recorder)

    # then: the three chat spans, not the agent span that wraps two of them
    spans = {span.name: span for span in recorder.spans()}
    chats = [span for span in recorder.spans() if span.name.startswith("chat")]
    rows = await stored(project)
    assert sorted(rows) == sorted(external_id(span) for span in chats)
    assert not any(name.startswith("invoke_agent") for name in rows)
    first, second, third = (rows[external_id(span)] for span in chats)
    assert spans  # every span was exported
    assert (first.created_at, first.duration_ms) == (instant(priced.start_ns), 2345)
    assert (first.status, first.model_id) == (RequestStatus.SUCCESS, model.id)
    assert (first.input_tokens, first.output_tokens) == (1200, 345)
    assert first.cost_nanos == (1200 * 2_500_000_000 + 345 * 10_000_000_000 + 500_000) // 10**6
    assert (first.assistant_id, first.user_id) == (assistant.id, member.id)
    assert first.input == priced.attributes["gen_ai.input.messages"]
    assert first.output == priced.attributes["gen_ai.output.messages"]
    assert first.error_message is None
    assert (second.cost_nanos, second.user_id, second.assistant_id) == (
        42_100_000,
        member.id,
        assistant.id,
    )
    assert (third.status, third.duration_ms, third.assistant_id) == (RequestStatus.ERROR, 7, None)
    assert third.error_message == "RuntimeError: upstream timed out"
    assert third.input is None


@pytest.mark.parametrize("encoding", ENCODINGS)
async def test_a_retried_export_stores_each_span_once(backend: Backend, encoding: str) -> None:
    # given
    project = await make_project()
    model = await make_model()
    _, secret = await make_api_token(project)
    recorder = SpanRecorder()
    for offset in range(3):
        recorder.chat(Call(model.name, HOUR_AGO_NS + offset * NANOS, NANOS))

    # when: the exporter retries the same export
    await send(encoding, backend, secret, recorder)
    await send(encoding, backend, secret, recorder)

    # then
    assert sorted(await stored(project)) == sorted(external_id(s) for s in recorder.spans())


@pytest.mark.parametrize("encoding", ENCODINGS)
async def test_an_unknown_model_is_refused_by_name_and_the_rest_recorded(
    backend: Backend, encoding: str
) -> None:
    # given
    project = await make_project()
    model = await make_model()
    _, secret = await make_api_token(project)
    recorder = SpanRecorder()
    known = recorder.chat(Call(model.name, HOUR_AGO_NS, NANOS))
    unknown = recorder.chat(Call("gpt-9-preview", HOUR_AGO_NS + NANOS, NANOS))
    body = export_body(encoding, recorder.spans())

    # when
    reply = await post(backend, body, secret, content_type(encoding))

    # then: 200, one span refused with the name in the reason; the other stored
    response = answer(reply)
    assert reply.headers["content-type"].startswith(content_type(encoding))
    assert response.partial_success.rejected_spans == 1
    assert "gpt-9-preview" in response.partial_success.error_message
    assert external_id(unknown) in response.partial_success.error_message
    assert sorted(await stored(project)) == [external_id(known)]


async def test_unknown_assistants_and_users_are_recorded_without_them(backend: Backend) -> None:
    # given
    project = await make_project()
    model = await make_model()
    outsider, _ = await make_user()  # not a member of the project
    _, secret = await make_api_token(project)
    recorder = SpanRecorder(service="unknown-service")
    span = recorder.chat(
        Call(
            model.name,
            HOUR_AGO_NS,
            NANOS,
            attributes={"gen_ai.agent.name": "nobody", "user.id": outsider.email},
        )
    )

    # when
    await send("protobuf", backend, secret, recorder)

    # then
    row = (await stored(project))[external_id(span)]
    assert (row.assistant_id, row.user_id, row.model_id) == (None, None, model.id)


async def test_a_project_that_keeps_no_content_stores_none(backend: Backend) -> None:
    # given
    project = await make_project(store_request_content=False)
    model = await make_model()
    _, secret = await make_api_token(project)
    recorder = SpanRecorder()
    span = recorder.chat(
        Call(model.name, HOUR_AGO_NS, NANOS, attributes={"gen_ai.input.messages": "secret"})
    )

    # when
    await send("json", backend, secret, recorder)

    # then
    row = (await stored(project))[external_id(span)]
    assert row.input is None
    assert row.output is None


async def test_openinference_llm_spans_are_read_too(backend: Backend) -> None:
    # given: an LLM span in OpenInference's attributes, in OTLP JSON written by hand
    project = await make_project()
    model = await make_model()
    _, secret = await make_api_token(project)
    body = otlp_json(
        [
            span_json(
                "5b8efff798038103d269b633813fc60c",
                "eee19b7ec3c1b174",
                [
                    ("openinference.span.kind", {"stringValue": "LLM"}),
                    ("llm.model_name", {"stringValue": model.name}),
                    ("llm.token_count.prompt", {"intValue": 12}),
                    ("llm.token_count.completion", {"intValue": "7"}),
                    ("llm.cost.total", {"doubleValue": 0.5}),
                ],
            )
        ]
    )

    # when
    reply = await post(backend, body, secret, "application/json; charset=utf-8")

    # then
    assert not answer(reply).HasField("partial_success")
    row = (await stored(project))["otel:5b8efff798038103d269b633813fc60c:eee19b7ec3c1b174"]
    assert (row.input_tokens, row.output_tokens, row.cost_nanos) == (12, 7, 500_000_000)
    assert row.created_at == instant(HOUR_AGO_NS)


def span_json(
    trace_id: str, span_id: str, attributes: list[tuple[str, dict[str, Any]]], **fields: Any
) -> dict[str, Any]:
    return {
        "traceId": trace_id,
        "spanId": span_id,
        "name": "llm",
        "startTimeUnixNano": str(HOUR_AGO_NS),
        "endTimeUnixNano": HOUR_AGO_NS + 1_500_000,  # a number, not a string: both are read
        "attributes": [{"key": key, "value": value} for key, value in attributes],
        **fields,
    }


def otlp_json(spans: list[dict[str, Any]], **extra: Any) -> bytes:
    return orjson.dumps(
        {"resourceSpans": [{"resource": {}, "scopeSpans": [{"spans": spans}]}], **extra}
    )


def chat_attributes(model: AiModel) -> list[tuple[str, dict[str, Any]]]:
    return [
        ("gen_ai.operation.name", {"stringValue": "chat"}),
        ("gen_ai.request.model", {"stringValue": model.name}),
        ("gen_ai.usage.input_tokens", {"intValue": "9007199254740"}),
        ("gen_ai.usage.output_tokens", {"intValue": 3}),
    ]


async def test_otlp_json_takes_int64_strings_and_numbers_hex_ids_and_unknown_fields(
    backend: Backend,
) -> None:
    # given: int64 as strings and as numbers, hex ids, fields no version of OTLP has
    project = await make_project()
    model = await make_model()
    _, secret = await make_api_token(project)
    attributes = chat_attributes(model)
    attributes[2] = ("gen_ai.usage.input_tokens", {"intValue": "42"})
    body = otlp_json(
        [span_json("0af7651916cd43dd8448eb211c80319c", "b7ad6b7169203331", attributes, future=1)],
        futureTopLevel={"x": 1},
    )

    # when
    reply = await post(backend, body, secret, "application/json")

    # then
    assert not answer(reply).HasField("partial_success")
    row = (await stored(project))["otel:0af7651916cd43dd8448eb211c80319c:b7ad6b7169203331"]
    assert (row.input_tokens, row.output_tokens, row.duration_ms) == (42, 3, 1)


async def test_a_token_count_over_32_bits_is_refused_for_that_span(backend: Backend) -> None:
    # given
    project = await make_project()
    model = await make_model()
    _, secret = await make_api_token(project)
    body = otlp_json(
        [span_json("0af7651916cd43dd8448eb211c80319c", "b7ad6b7169203331", chat_attributes(model))]
    )

    # when
    reply = await post(backend, body, secret, "application/json")

    # then
    assert answer(reply).partial_success.rejected_spans == 1
    assert await stored(project) == {}


async def test_an_empty_export_is_answered_with_an_empty_response(backend: Backend) -> None:
    project = await make_project()
    _, secret = await make_api_token(project)
    for body, media_type in ((b"{}", "application/json"), (b"", "application/x-protobuf")):
        reply = await post(backend, body, secret, media_type)
        assert reply.status_code == 200, reply.text
        assert answer(reply) == ExportTraceServiceResponse()


UNDECODABLE = {
    "malformed protobuf": (b"\x0a\xff\xff\xff\xff\x0f", "application/x-protobuf"),
    "truncated protobuf": (b"\x0a\x10\x0a\x02", "application/x-protobuf"),
    "malformed JSON": (b'{"resourceSpans": [', "application/json"),
    "JSON but not an object": (b"[1, 2]", "application/json"),
    "a logs export": (b'{"resourceLogs": [{"scopeLogs": []}]}', "application/json"),
    "a wrongly typed field": (b'{"resourceSpans": {"x": 1}}', "application/json"),
}


@pytest.mark.parametrize("case", UNDECODABLE)
async def test_an_undecodable_body_is_a_400_and_stores_nothing(backend: Backend, case: str) -> None:
    # given
    project = await make_project()
    _, secret = await make_api_token(project)
    body, media_type = UNDECODABLE[case]

    # when
    reply = await post(backend, body, secret, media_type)

    # then: a google.rpc.Status in the request's encoding
    assert reply.status_code == 400, reply.text
    assert reply.headers["content-type"].startswith(media_type)
    assert status_of(reply).code == 3  # INVALID_ARGUMENT
    assert "Traceback" not in reply.text
    assert await stored(project) == {}


async def test_a_gzip_export_is_inflated(backend: Backend) -> None:
    # given
    project = await make_project()
    model = await make_model()
    _, secret = await make_api_token(project)
    recorder = SpanRecorder()
    span = recorder.chat(Call(model.name, HOUR_AGO_NS, NANOS))
    body = gzip.compress(export_body("protobuf", recorder.spans()))

    # when
    reply = await post(
        backend, body, secret, "application/x-protobuf", **{"Content-Encoding": "gzip"}
    )

    # then
    answer(reply)
    assert list(await stored(project)) == [external_id(span)]


async def test_another_media_type_is_a_415(backend: Backend) -> None:
    project = await make_project()
    _, secret = await make_api_token(project)
    reply = await post(backend, b"resourceSpans", secret, "text/plain")
    assert reply.status_code == 415
    assert status_of(reply).message


async def test_a_body_over_the_limit_is_a_413(backend: Backend) -> None:
    # given: a gzip body that inflates past the limit
    project = await make_project()
    _, secret = await make_api_token(project)
    bomb = gzip.compress(b"\x00" * (65 * 1024 * 1024))

    # when
    reply = await post(
        backend, bomb, secret, "application/x-protobuf", **{"Content-Encoding": "gzip"}
    )

    # then
    assert reply.status_code == 413
    assert status_of(reply).code == 3


CALLERS = {
    "anonymous": 401,
    "unknown_token": 401,
    "revoked_api_token": 401,
    "project_admin": 403,
    "superuser": 403,
    "api_token": 200,
    "other_project_api_token": 200,
}


@pytest.mark.parametrize("caller", CALLERS)
async def test_only_a_project_api_token_records_and_into_its_own_project(
    backend: Backend, caller: str
) -> None:
    # given
    project = await make_project()
    other = await make_project()
    model = await make_model()
    admin, admin_secret = await make_user()
    await grant(admin, project, ProjectRole.PROJECT_ADMIN)
    superuser, _ = await make_user(superuser=True)
    secrets: dict[str, str | None] = {
        "anonymous": None,
        "unknown_token": issue_secret(TokenKind.API).secret,
        "revoked_api_token": (await make_api_token(project, revoked=True))[1],
        "project_admin": admin_secret,
        "superuser": await make_personal_token(superuser),
        "api_token": (await make_api_token(project))[1],
        "other_project_api_token": (await make_api_token(other))[1],
    }
    recorder = SpanRecorder()
    span = recorder.chat(Call(model.name, HOUR_AGO_NS, NANOS))

    # when
    reply = await post(
        backend,
        export_body("protobuf", recorder.spans()),
        secrets[caller],
        "application/x-protobuf",
    )

    # then
    assert reply.status_code == CALLERS[caller], reply.text
    recorded_here = list(await stored(project))
    recorded_there = list(await stored(other))
    if caller == "api_token":
        assert (recorded_here, recorded_there) == ([external_id(span)], [])
    elif caller == "other_project_api_token":
        assert (recorded_here, recorded_there) == ([], [external_id(span)])
    else:
        assert (recorded_here, recorded_there) == ([], [])
        assert status_of(reply).code == (16 if CALLERS[caller] == 401 else 7)
