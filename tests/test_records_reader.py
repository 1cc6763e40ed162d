"""The msgspec reader of records takes only what graphql-core takes, and reads it into the
same input objects; whatever it declines, the records coercer or graphql-core reads or
explains. Both of its uses: a ``$records`` variable, and the plain-JSON route's body."""

import dataclasses
import json
from enum import Enum
from typing import Any

import orjson
from graphql import Undefined
from graphql.utilities import coerce_input_value
from hypothesis import given, settings
from hypothesis import strategies as st

from resolvers.ingestion.record import RecordInput
from schema.mutations.ingestion import records_from_coerced
from schema.records_reader import (
    convert_records_variable,
    decode_record_line,
    decode_records_body,
)
from tests.support.record_strategies import ANY_VALUE, COERCER, VALID, records, typed


def reference(body: bytes) -> list[RecordInput] | None:
    """What the GraphQL-typed path reads from ``body``, or None where it refuses it."""
    try:
        document = orjson.loads(body)
    except orjson.JSONDecodeError:
        return None
    if type(document) is not dict or document.keys() != {"records"}:
        return None
    coerced = coerce_input_value(document["records"], COERCER.list_type)
    return None if coerced is Undefined else records_from_coerced(coerced)


def fields_of(decoded: list[RecordInput]) -> Any:
    """Each record's fields with their types; an enum member is its value."""
    return typed(
        [
            {
                name: value.value if isinstance(value, Enum) else value
                for name, value in dataclasses.asdict(record).items()
            }
            for record in decoded
        ]
    )


BODIES = st.one_of(
    st.lists(records(), max_size=4).map(lambda value: {"records": value}),
    # Records of plausible values only: most are read, so their values are compared.
    st.lists(st.fixed_dictionaries(VALID), min_size=1, max_size=3).map(
        lambda value: {"records": value}
    ),
    st.dictionaries(st.sampled_from(["records", "extra"]), ANY_VALUE, max_size=2),
)


@settings(max_examples=400, deadline=None)
@given(BODIES)
def test_msgspec_reads_only_what_the_graphql_typed_path_reads_with_its_values(
    document: Any,
) -> None:
    # given: the standard library writes what orjson cannot (NaN, integers past 64 bits)
    body = json.dumps(document).encode()

    # when
    decoded = decode_records_body(body)
    expected = reference(body)

    # then
    if decoded is not None:
        assert expected is not None
        assert fields_of(decoded) == fields_of(expected)


@settings(max_examples=200, deadline=None)
@given(st.lists(st.fixed_dictionaries(VALID), min_size=1, max_size=3))
def test_msgspec_reads_the_bodies_gateways_send(value: list[dict[str, Any]]) -> None:
    plain = [
        record | {"modelId": "7", "createdAt": "2026-01-02T03:04:05.678+01:00", "cost": 0.25}
        for record in value
    ]
    assert decode_records_body(orjson.dumps({"records": plain})) is not None


def test_msgspec_declines_what_is_not_json() -> None:
    assert decode_records_body(b'{"records": [') is None


@settings(max_examples=400, deadline=None)
@given(
    st.lists(records(), max_size=4)
    | st.lists(st.fixed_dictionaries(VALID), min_size=1, max_size=3)
    | ANY_VALUE
)
def test_a_records_variable_is_read_only_as_graphql_core_reads_it(value: Any) -> None:
    # when
    read = convert_records_variable(value)
    coerced = coerce_input_value(value, COERCER.list_type)

    # then
    if read is not None:
        assert coerced is not Undefined
        assert fields_of(read) == fields_of(records_from_coerced(coerced))


def test_a_records_variable_of_the_usual_shape_is_read() -> None:
    value = [
        {
            "externalId": "r-1",
            "createdAt": "2026-01-02T03:04:05.678+01:00",
            "status": "ERROR",
            "durationMs": 12,
            "modelId": 7,
            "inputTokens": 3,
            "outputTokens": 0,
            "cost": 1,
            "errorMessage": "timeout",
        }
    ]
    read = convert_records_variable(value)
    assert read is not None
    assert fields_of(read) == fields_of(records_from_coerced(COERCER.coerce(value) or []))


@settings(max_examples=300, deadline=None)
@given(records() | st.fixed_dictionaries(VALID) | ANY_VALUE)
def test_a_line_is_read_as_the_same_record_in_a_body(record: Any) -> None:
    # given
    line = json.dumps(record).encode()

    # when
    read = decode_record_line(line)
    in_body = decode_records_body(b'{"records": [' + line + b"]}")

    # then
    if read is None:
        assert in_body is None
    else:
        assert in_body is not None
        assert fields_of([read]) == fields_of(in_body)
