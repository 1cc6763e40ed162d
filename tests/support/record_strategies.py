"""Records as gateways might send them, right and wrong (hypothesis strategies), the coercer
of the schema's ``[RequestRecordInput!]!``, and values compared with their types: what the
tests of the records' fast paths (coercion, the msgspec reader) draw from."""

from datetime import datetime
from typing import Any

from hypothesis import strategies as st

from schema import build_schema
from schema.records_coercion import RecordsCoercer

COERCER = RecordsCoercer(build_schema()._schema)

TIMESTAMPS = st.one_of(
    st.datetimes(timezones=st.none() | st.timezones()).map(lambda d: d.isoformat()),
    st.datetimes().map(lambda d: d.isoformat(" ")),
    st.from_regex(
        r"\A\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,7})?(Z|z|[+-]\d{2}:\d{2}(:\d{2})?)?\Z"
    ),
    st.sampled_from(["2026-01-01T24:00:00Z", "2026-02-30T10:00:00Z", "2026-01-01", "now"]),
)
ANY_VALUE = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**40), max_value=2**40),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=5),
    st.sampled_from(["SUCCESS", "ERROR", "success", "12", " 7"]),
    TIMESTAMPS,
    st.lists(st.integers(), max_size=2),
    st.dictionaries(st.text(max_size=3), st.integers(), max_size=2),
)
VALID = {
    "externalId": st.text(max_size=8),
    "createdAt": TIMESTAMPS,
    "status": st.sampled_from(["SUCCESS", "ERROR"]),
    "durationMs": st.integers(min_value=-(2**31), max_value=2**31 - 1),
    "modelId": st.one_of(st.text(max_size=4), st.integers(min_value=0, max_value=10**6)),
    "inputTokens": st.integers(min_value=0, max_value=10**6),
    "outputTokens": st.integers(min_value=0, max_value=10**6),
    "assistantId": st.none() | st.text(max_size=4) | st.integers(0, 99),
    "userId": st.none() | st.text(max_size=4),
    "apiTokenId": st.none() | st.text(max_size=4),
    "cost": st.none() | st.floats(allow_nan=False) | st.integers(0, 10),
    "input": st.none() | st.text(max_size=8),
    "output": st.none() | st.text(max_size=8),
    "errorMessage": st.none() | st.text(max_size=8),
}


@st.composite
def records(draw: st.DrawFn) -> dict[str, Any]:
    """A record mostly of plausible values, some fields left out, wrong or unknown."""
    record: dict[str, Any] = {}
    for name, plausible in VALID.items():
        choice = draw(st.integers(min_value=0, max_value=19))
        if choice == 0:
            continue  # left out
        record[name] = draw(ANY_VALUE if choice == 1 else plausible)
    if draw(st.integers(min_value=0, max_value=19)) == 0:
        record[draw(st.sampled_from(["model_id", "extra", "Status"]))] = 1
    return record


def typed(value: Any) -> Any:
    """Values with their types, so 5 and 5.0 or two clocks' UTC tzinfos are told apart only
    where it matters: a datetime is its wall time and offset."""
    if isinstance(value, list):
        return [typed(item) for item in value]
    if isinstance(value, dict):
        return {key: typed(item) for key, item in value.items()}
    if isinstance(value, datetime):
        return ("datetime", value.replace(tzinfo=None), value.utcoffset())
    return (type(value), value)
