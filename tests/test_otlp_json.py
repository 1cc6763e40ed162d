"""OTLP JSON read by the fast path (``fast_export``) exactly as protobuf's JSON mapping reads
it (``parsed_export``), or not at all: on what the SDK's JSON exporter sends, and on those
bodies bent at random places (nulls, numbers as text, snake_case names, base64 ids, two
values in one AnyValue, unknown keys)."""

import copy
import time
from typing import Any

import orjson
import pytest
from google.protobuf.message import Message
from hypothesis import given, settings
from hypothesis import strategies as st

from comptroller.gateway_bodies import UndecodableBody
from comptroller.otlp_json import fast_export, parsed_export
from resolvers.ingestion.otlp_view import ExportView, view_of
from tests.support.genai_spans import NANOS, Call, SpanRecorder, export_body

START_NS = (time.time_ns() // NANOS - 3600) * NANOS


def sdk_documents() -> list[dict[str, Any]]:
    """What the SDK's JSON exporter sends: chat calls (one failed, one with structured
    content and numbers of every kind), under an agent."""
    recorder = SpanRecorder()
    recorder.chat(Call("gpt-4o", START_NS, NANOS, attributes={"user.id": "ada@example.com"}))
    recorder.chat(Call("gpt-4o", START_NS, NANOS, error="upstream said no"))
    recorder.chat(
        Call(
            "claude",
            START_NS,
            2 * NANOS,
            attributes={
                "gen_ai.input.messages": ["a", "b"],
                "gen_ai.usage.cost": 0.25,
                "llm.is_streaming": True,
            },
        )
    )
    recorder.agent("support-bot", START_NS, [Call("gpt-4o-mini", START_NS, NANOS)])
    document: dict[str, Any] = orjson.loads(export_body("json", recorder.spans()))
    return [document]


DOCUMENTS = sdk_documents()
ODD_VALUES: list[object] = [
    None,
    "12",
    12,
    -1,
    1.5,
    2.0,
    True,
    "",
    "abc",
    [],
    {},
    "AAECAwQFBgcICQoLDA0ODw==",
]


def slow(document: dict[str, Any]) -> bytes | None:
    """What protobuf's JSON mapping makes of ``document`` (the view's bytes), None when it
    refuses it."""
    try:
        export = view_of(parsed_export(copy.deepcopy(document)))
    except UndecodableBody:
        return None
    return serialized(export)


def fast(document: dict[str, Any]) -> bytes | None:
    export = fast_export(copy.deepcopy(document))
    return None if export is None else serialized(export)


def serialized(export: ExportView) -> bytes:
    """The export's bytes, its maps in key order (else in no order the two readers share)."""
    assert isinstance(export, Message)
    return export.SerializeToString(deterministic=True)


def places(value: object, path: tuple[object, ...] = ()) -> list[tuple[object, ...]]:
    """Every place in a document: each key of each object, each item of each list."""
    found = [path]
    if isinstance(value, dict):
        for key, item in value.items():
            found += places(item, (*path, key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            found += places(item, (*path, index))
    return found


def snake(name: str) -> str:
    return "".join(f"_{c.lower()}" if c.isupper() else c for c in name)


@st.composite
def bent_documents(draw: st.DrawFn) -> dict[str, Any]:
    document = copy.deepcopy(draw(st.sampled_from(DOCUMENTS)))
    for _ in range(draw(st.integers(1, 3))):
        if not places(document)[1:]:
            break
        path = draw(st.sampled_from(places(document)[1:]))
        parent: Any = document
        for step in path[:-1]:
            parent = parent[step]
        last = path[-1]
        how = draw(st.sampled_from(["value", "snake", "unknown", "second", "drop"]))
        if how == "value":
            parent[last] = draw(st.sampled_from(ODD_VALUES))
        elif how == "snake" and isinstance(last, str) and snake(last) != last:
            parent[snake(last)] = parent.pop(last)
        elif how == "unknown" and isinstance(parent, dict):
            parent["someFutureField"] = draw(st.sampled_from(ODD_VALUES))
        elif how == "second" and isinstance(parent, dict) and "stringValue" in parent:
            parent["intValue"] = "1"
        elif how == "drop" and isinstance(parent, dict):
            del parent[last]
    return document  # type: ignore[no-any-return]


@pytest.mark.parametrize("document", DOCUMENTS)
def test_what_the_sdk_sends_is_read_by_the_fast_path_as_protobuf_reads_it(
    document: dict[str, Any],
) -> None:
    read = fast(document)

    assert read is not None
    assert read == slow(document)


def test_ids_in_base64_and_enums_by_name_are_read_alike() -> None:
    document = copy.deepcopy(DOCUMENTS[0])
    span = document["resourceSpans"][0]["scopeSpans"][0]["spans"][0]
    span["kind"] = "SPAN_KIND_CLIENT"
    span["status"] = {"code": "STATUS_CODE_ERROR", "message": "no"}
    span["attributes"].append({"key": "gen_ai.usage.input_tokens", "value": {"intValue": 7}})
    based = copy.deepcopy(document)
    based["resourceSpans"][0]["scopeSpans"][0]["spans"][0]["spanId"] = "AAECAwQFBgc="

    assert fast(document) is not None
    assert fast(document) == slow(document)
    assert fast(based) is None  # base64: protobuf's mapping reads it
    assert slow(based) is not None


@settings(max_examples=400, deadline=None)
@given(bent_documents())
def test_a_bent_body_is_read_alike_or_left_to_protobufs_mapping(
    document: dict[str, Any],
) -> None:
    read = fast(document)

    assert read is None or read == slow(document)
