"""The fast path for ``[RequestRecordInput!]!`` accepts only what graphql-core accepts, and
produces exactly graphql-core's values; whatever it declines, graphql-core explains."""

from typing import Any

from graphql import Undefined
from graphql.utilities import coerce_input_value
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.support.record_strategies import ANY_VALUE, COERCER, VALID, records, typed


@settings(max_examples=400, deadline=None)
@given(st.lists(records(), max_size=4) | ANY_VALUE)
def test_the_fast_path_accepts_only_what_graphql_core_accepts_with_its_values(
    value: Any,
) -> None:
    # when
    fast = COERCER.coerce(value)
    reference = coerce_input_value(value, COERCER.list_type)

    # then
    if fast is not None:
        assert reference is not Undefined
        assert typed(fast) == typed(reference)


@settings(max_examples=200, deadline=None)
@given(st.lists(st.fixed_dictionaries(VALID), min_size=1, max_size=3))
def test_the_fast_path_takes_the_records_gateways_send(value: list[dict[str, Any]]) -> None:
    plain = [
        record | {"modelId": "7", "createdAt": "2026-01-02T03:04:05.678+01:00", "cost": 0.25}
        for record in value
    ]
    assert COERCER.coerce(plain) is not None
