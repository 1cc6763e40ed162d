"""Every route that records requests reads a record alike: ``recordRequests`` (GraphQL),
``POST /v1/requests`` (plain JSON) and ``comptroller import-requests`` (JSON Lines) accept
the same records, and refuse the others naming the same field in the same words."""

import json
import re
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest_asyncio
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from models import ProjectRole
from resolvers.ingestion.backfill import import_records
from schema import build_schema
from schema.records_json import JsonRecordsReader
from tests.support.backends import Backend
from tests.support.factories import (
    grant,
    make_api_token,
    make_assistant,
    make_model,
    make_project,
    make_user,
)
from tests.support.gateway_client import Gateway
from tests.support.graphql_client import GraphQLClient, Response

# What the CLI hands the import: the API's own reader.
READER = JsonRecordsReader(build_schema()._schema)


@dataclass(frozen=True)
class Ref:
    """A reference to a row of the project, as a string or a number."""

    kind: str  # "model", "assistant", "user" or "token"
    as_number: bool = False


@dataclass(frozen=True)
class Home:
    """The project every route records into, with what its records may name."""

    project_id: int
    secret: str
    refs: dict[str, int]


@pytest_asyncio.fixture(scope="module", loop_scope="session")
async def home(backend: Backend) -> AsyncIterator[Home]:
    model = await make_model(2.5, 10.0)
    project = await make_project()
    token, secret = await make_api_token(project)
    member, _ = await make_user()
    await grant(member, project, ProjectRole.PROJECT_MEMBER)
    assistant = await make_assistant(project)
    refs = {"model": model.id, "assistant": assistant.id, "user": member.id, "token": token.id}
    yield Home(project.id, secret, refs)


def recent() -> st.SearchStrategy[str]:
    now = datetime.now(UTC)
    return st.floats(min_value=60, max_value=30 * 86_400).map(
        lambda seconds: (now - timedelta(seconds=seconds)).isoformat()
    )


# Values of the wrong type that JSON carries the same on every route (no NaN, no integer
# past 64 bits: a JSON parser may refuse those before any route reads a record).
WRONG = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**40), max_value=2**40),
    st.floats(allow_nan=False, allow_infinity=False),
    st.text(max_size=4),
    st.lists(st.integers(), max_size=1),
    st.dictionaries(st.text(max_size=2), st.integers(), max_size=1),
)
TEXT = st.text(max_size=8)
COUNT = st.integers(min_value=0, max_value=100_000)
REQUIRED = ("externalId", "createdAt", "status", "durationMs", "modelId", "inputTokens",
            "outputTokens")  # fmt: skip
# Each field's plausible values, then the values one of the routes' checks refuses.
VALID: dict[str, st.SearchStrategy[Any]] = {
    "externalId": st.text(min_size=1, max_size=12),
    "createdAt": recent(),
    "status": st.sampled_from(["SUCCESS", "ERROR"]),
    "durationMs": COUNT,
    "modelId": st.builds(Ref, st.just("model"), st.booleans()),
    "inputTokens": COUNT,
    "outputTokens": COUNT,
    "assistantId": st.none() | st.builds(Ref, st.just("assistant"), st.booleans()),
    "userId": st.none() | st.builds(Ref, st.just("user")),
    "apiTokenId": st.none() | st.builds(Ref, st.just("token")),
    "cost": st.none() | st.floats(min_value=0, max_value=10) | st.integers(0, 3),
    "input": st.none() | TEXT,
    "output": st.none() | TEXT,
    "errorMessage": st.none() | TEXT,
}
INVALID: dict[str, st.SearchStrategy[Any]] = {
    "externalId": st.sampled_from(["", "x" * 201, 5]),
    "createdAt": st.sampled_from(
        ["2025-01-01T10:00:00", "1999-12-31T23:59:59Z", "2999-01-01T00:00:00Z", "yesterday"]
    ),
    "status": st.sampled_from(["TIMEOUT", "success"]),
    "durationMs": st.sampled_from([-1, 2**31, "12", 1.5]),
    "modelId": st.sampled_from(["0", "gpt-4", "999999999", "99999999999", " 7"]),
    "inputTokens": st.sampled_from([-1, 2**31, True]),
    "outputTokens": st.sampled_from([-1, "3"]),
    "assistantId": st.sampled_from(["999999999", 0]),
    "userId": st.sampled_from(["x", "-1"]),
    "apiTokenId": st.sampled_from(["999999999", 1.5]),
    "cost": st.sampled_from([-0.5, 2e6, "0.1"]),
    "input": st.sampled_from([5, "x" * 100_001]),
    "output": st.just(5.5),
    "errorMessage": st.sampled_from([7, "e" * 10_001]),
}


@st.composite
def records(draw: st.DrawFn) -> Any:
    """A valid record with up to two fields left out, refused or of a wrong type, or an
    unknown field; now and then not an object at all."""
    if draw(st.integers(min_value=0, max_value=29)) == 0:
        return draw(WRONG)
    record = {name: draw(valid) for name, valid in VALID.items()}
    for name in draw(st.lists(st.sampled_from(list(VALID)), max_size=2, unique=True)):
        change = draw(st.sampled_from(["leave out", "invalid", "invalid", "wrong type"]))
        if change == "leave out":
            del record[name]
        else:
            record[name] = draw(INVALID[name] if change == "invalid" else WRONG)
    if draw(st.integers(min_value=0, max_value=19)) == 0:
        record[draw(st.sampled_from(["latencyMs", "model_id"]))] = 1
    return record


def for_home(value: Any, home: Home) -> Any:
    """The record as sent: each reference made its row's id."""
    if isinstance(value, Ref):
        row_id = home.refs[value.kind]
        return row_id if value.as_number else str(row_id)
    if isinstance(value, dict):
        return {name: for_home(item, home) for name, item in value.items()}
    return value


# What a route said about one record: ("accepted", stored or duplicate: 1) or ("refused",
# the field at fault or "" for the whole record, the problem). The routes record into one
# project, so the first to accept a record stores it and the others count a duplicate.
Outcome = tuple[str | int, ...]

# graphql-core's words for a variable: "Variable '$records' has invalid value at
# [0].durationMs: Int cannot represent ..."
VARIABLE_ERROR = re.compile(
    r"Variable '\$records' has invalid value at \[0\]\.?(\w*): (.*)", re.DOTALL
)
ARGUMENT = re.compile(r"records\[0\]\.?(.*)", re.DOTALL)


def outcome_of(response: Response) -> Outcome:
    if not response.errors:
        payload = response.ok()["recordRequests"]
        return ("accepted", payload["accepted"] + payload["duplicates"])
    # graphql-core lists every problem of a variable; the plain-JSON route names the first
    assert set(response.codes) == {"BAD_USER_INPUT"}, response.raw
    error = response.errors[0]
    argument = error["extensions"].get("argument")
    if argument is None:  # graphql-core refused the variable
        match = VARIABLE_ERROR.fullmatch(error["message"])
        assert match is not None, error["message"]
        return ("refused", match.group(1), match.group(2))
    where = ARGUMENT.fullmatch(argument)
    assert where is not None, argument
    prefix = f"Invalid argument {argument}: "
    assert error["message"].startswith(prefix), error["message"]
    return ("refused", where.group(1), error["message"].removeprefix(prefix))


def in_import_words(outcome: Outcome) -> Outcome:
    """What the import reports for a record the API answered so."""
    if outcome[0] == "accepted":
        return outcome
    _, field, problem = outcome
    return ("refused", f"{field}: {problem}" if field else problem)


async def imported(home: Home, record: Any, folder: Path) -> Outcome:
    path = folder / "records.jsonl"
    path.write_text(json.dumps(record) + "\n")
    summary = await import_records(home.project_id, path, READER.read_line)
    if summary.rejected:
        [(line, why)] = summary.rejected
        assert line == 1
        return ("refused", why)
    return ("accepted", summary.accepted + summary.duplicates)


@settings(
    max_examples=100,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(record=records())
async def test_every_route_accepts_and_refuses_a_record_alike(
    api: GraphQLClient, home: Home, tmp_path: Path, record: Any
) -> None:
    # given
    sent = for_home(record, home)

    # when
    by_graphql = outcome_of(await Gateway(api, "graphql").record(home.secret, [sent]))
    by_json = outcome_of(await Gateway(api, "json").record(home.secret, [sent]))
    by_import = await imported(home, sent, tmp_path)

    # then
    assert by_graphql == by_json
    assert by_import == in_import_words(by_json)
