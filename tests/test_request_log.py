"""The request log: Project.requests (every filter and their combinations, newest first,
keyset pages that stay stable while requests arrive, an exact totalCount) and
Project.request, each checked against what was recorded through recordRequests."""

import base64
import json
import random
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import httpx
import pytest
import pytest_asyncio
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from models import AiModel, Project, ProjectRole, Request
from tests.support.backends import Backend
from tests.support.factories import (
    PRINCIPALS,
    grant,
    make_api_token,
    make_assistant,
    make_model,
    make_project,
    make_user,
    make_world,
)
from tests.support.graphql_client import GraphQLClient, Response, bad_argument
from tests.support.records import RECORD_REQUESTS, record

REQUESTS = """
query($p: ID!, $filter: RequestFilter, $first: Int, $after: String) {
  project(id: $p) {
    requests(filter: $filter, first: $first, after: $after) {
      totalCount
      pageInfo { hasNextPage endCursor }
      edges { cursor node { id } }
    }
  }
}"""
REQUEST_FIELDS = """
  id externalId createdAt status durationMs inputTokens outputTokens cost
  input output errorMessage
  assistant { id } model { id } apiToken { id } user { id }
"""
REQUESTS_IN_FULL = f"""
query($p: ID!, $first: Int, $after: String) {{
  project(id: $p) {{
    requests(first: $first, after: $after) {{
      totalCount pageInfo {{ hasNextPage endCursor }} edges {{ node {{ {REQUEST_FIELDS} }} }}
    }}
  }}
}}"""
REQUEST = f"""
query($p: ID!, $id: ID!) {{ project(id: $p) {{ request(id: $id) {{ {REQUEST_FIELDS} }} }} }}
"""

QUARTER = timedelta(minutes=15)
# Six hours back from a whole hour a day ago: every request lies well in the past.
START = datetime.now(UTC).replace(minute=0, second=0, microsecond=0) - timedelta(days=1, hours=6)
SPAN_QUARTERS = 16  # the dataset covers four hours
ZONES = (UTC, timezone(timedelta(hours=2)), timezone(-timedelta(hours=5, minutes=30)),
         timezone(timedelta(hours=5, minutes=45)))  # fmt: skip


@dataclass(frozen=True)
class Sent:
    """A request as recorded, with the id the database gave it."""

    id: int
    external_id: str
    created_at: datetime
    status: str
    assistant_id: int | None
    model_id: int
    api_token_id: int
    user_id: int | None
    record: dict[str, Any]

    def newest_first(self) -> tuple[datetime, int]:
        return (self.created_at, self.id)


@dataclass
class Dataset:
    """One project's request log, the same for every example on a backend."""

    api: GraphQLClient
    project: Project
    viewer_token: str
    assistant_ids: list[int]  # the project's three, then another project's
    model_ids: list[int]  # the two in use, then one no request uses
    api_token_ids: list[int]  # the project's two, then another project's
    user_ids: list[int]  # the three members who make requests, then a stranger
    sent: list[Sent] = field(default_factory=list)


def optional_id(value: int | None) -> str | None:
    return None if value is None else str(value)


async def record_all(api: GraphQLClient, secret: str, records: list[dict[str, Any]]) -> None:
    for start in range(0, len(records), 1000):
        batch = records[start : start + 1000]
        response = await api(RECORD_REQUESTS, {"records": batch}, secret)
        assert response.ok()["recordRequests"] == {"accepted": len(batch), "duplicates": 0}


async def sent_rows(project: Project, records: list[dict[str, Any]], token_id: int) -> list[Sent]:
    """The records as the independent model sees them, with their database ids."""
    ids = dict(await Request.filter(project_id=project.id).values_list("external_id", "id"))
    return [
        Sent(
            id=ids[r["externalId"]],
            external_id=r["externalId"],
            created_at=datetime.fromisoformat(r["createdAt"]).astimezone(UTC),
            status=r["status"],
            assistant_id=None if r.get("assistantId") is None else int(r["assistantId"]),
            model_id=int(r["modelId"]),
            api_token_id=int(r["apiTokenId"]) if r.get("apiTokenId") else token_id,
            user_id=None if r.get("userId") is None else int(r["userId"]),
            record=r,
        )
        for r in records
    ]


def dataset_records(
    rng: random.Random,
    assistants: list[int | None],
    models: list[int],
    tokens: list[int | None],
    users: list[int | None],
) -> list[dict[str, Any]]:
    """~150 requests over four hours: some on bucket boundaries, some sharing an instant."""
    records: list[dict[str, Any]] = []
    instants: list[datetime] = []
    for i in range(150):
        roll = rng.random()
        if roll < 0.1:
            instant = START + QUARTER * rng.randrange(SPAN_QUARTERS)
        elif roll < 0.2 and instants:
            instant = rng.choice(instants)
        else:
            instant = START + timedelta(microseconds=rng.randrange(SPAN_QUARTERS * 900 * 10**6))
        instants.append(instant)
        records.append(
            record(
                f"log-{i:03d}",
                rng.choice(models),
                createdAt=instant.astimezone(rng.choice(ZONES)).isoformat(),
                status="ERROR" if rng.random() < 0.3 else "SUCCESS",
                durationMs=rng.randrange(50, 5000),
                assistantId=optional_id(rng.choice(assistants)),
                userId=optional_id(rng.choice(users)),
                apiTokenId=optional_id(rng.choice(tokens)),
                inputTokens=rng.randrange(0, 4000),
                outputTokens=rng.randrange(0, 1000),
                input=f"question {i}",
                output=f"answer {i}",
            )
        )
    return records


@pytest_asyncio.fixture(scope="module")
async def dataset(backend: Backend) -> AsyncIterator[Dataset]:
    # given: a project with three assistants, two models, two tokens and three users
    project = await make_project()
    other_project = await make_project()
    assistants = [(await make_assistant(project)).id for _ in range(3)]
    models = [(await make_model(2.5, 10)).id, (await make_model(0.15, 0.6)).id]
    unused_model = (await make_model()).id
    recording, secret = await make_api_token(project)
    second_token, _ = await make_api_token(project)
    users = []
    for _ in range(3):
        user, _ = await make_user()
        await grant(user, project, ProjectRole.ASSISTANT_USER)
        users.append(user.id)
    viewer, viewer_token = await make_user()
    await grant(viewer, project, ProjectRole.PROJECT_MEMBER)
    stranger, _ = await make_user()
    foreign_assistant = await make_assistant(other_project)
    foreign_token, foreign_secret = await make_api_token(other_project)
    rng = random.Random(20240515)
    records = dataset_records(
        rng, [*assistants, None], models, [None, recording.id, second_token.id], [*users, None]
    )
    async with httpx.AsyncClient(base_url=backend.server_url, timeout=30) as http:
        api = GraphQLClient(http)
        await record_all(api, secret, records)
        # The other project's requests share the models and instants, never the log.
        foreign = [
            {**r, "assistantId": str(foreign_assistant.id), "userId": None, "apiTokenId": None}
            for r in records[:40]
        ]
        await record_all(api, foreign_secret, foreign)
        yield Dataset(
            api=api,
            project=project,
            viewer_token=viewer_token,
            assistant_ids=[*assistants, foreign_assistant.id],
            model_ids=[*models, unused_model],
            api_token_ids=[recording.id, second_token.id, foreign_token.id],
            user_ids=[*users, stranger.id],
            sent=await sent_rows(project, records, recording.id),
        )


@dataclass(frozen=True)
class Page:
    ids: list[int]
    total_count: int
    has_next_page: bool
    end_cursor: str | None


async def read_page(
    api: GraphQLClient,
    token: str,
    project: Project,
    filter_: dict[str, Any] | None = None,
    first: int | None = None,
    after: str | None = None,
) -> Response:
    variables = {"p": str(project.id), "filter": filter_, "first": first, "after": after}
    return await api(REQUESTS, variables, token)


def page_of(response: Response) -> Page:
    connection = response.ok()["project"]["requests"]
    edges = connection["edges"]
    end_cursor = connection["pageInfo"]["endCursor"]
    assert end_cursor == (edges[-1]["cursor"] if edges else None)
    return Page(
        ids=[int(edge["node"]["id"]) for edge in edges],
        total_count=connection["totalCount"],
        has_next_page=connection["pageInfo"]["hasNextPage"],
        end_cursor=end_cursor,
    )


async def walk(
    api: GraphQLClient, token: str, project: Project, filter_: dict[str, Any], first: int
) -> tuple[list[int], set[int]]:
    """Every page in turn: the ids in order, and the totalCount each page reported."""
    ids: list[int] = []
    totals: set[int] = set()
    after = None
    for _ in range(1000):
        page = page_of(await read_page(api, token, project, filter_, first, after))
        assert len(page.ids) == first if page.has_next_page else len(page.ids) <= first
        ids += page.ids
        totals.add(page.total_count)
        if not page.has_next_page:
            return ids, totals
        after = page.end_cursor
    raise AssertionError("the walk never ended")


# -- every filter, against an independent computation ----------------------------------------


@dataclass(frozen=True)
class Instant:
    """A time to filter on: on a bucket boundary, off one, or exactly a request's instant."""

    quarter: int
    micros: int
    request: int | None
    zone: int

    def resolve(self, sent: list[Sent]) -> datetime:
        if self.request is not None:
            base = sent[self.request % len(sent)].created_at
        else:
            base = START + QUARTER * self.quarter + timedelta(microseconds=self.micros)
        return base.astimezone(ZONES[self.zone])


@dataclass(frozen=True)
class FilterSpec:
    """A RequestFilter by position in the dataset's lists; None leaves a field out."""

    assistants: tuple[int, ...] | None
    models: tuple[int, ...] | None
    api_tokens: tuple[int, ...] | None
    users: tuple[int, ...] | None
    status: str | None
    start: Instant | None
    end: Instant | None
    first: int


def positions(size: int) -> st.SearchStrategy[tuple[int, ...] | None]:
    """Left out, or some of the ids (an empty list has its own test: it matches nothing)."""
    subsets = st.lists(st.integers(0, size - 1), unique=True, min_size=1, max_size=size)
    return st.none() | subsets.map(tuple)


instants = st.builds(
    Instant,
    quarter=st.integers(-2, SPAN_QUARTERS + 2),
    micros=st.just(0) | st.integers(1, 900 * 10**6 - 1),
    request=st.none() | st.integers(0, 149),
    zone=st.integers(0, len(ZONES) - 1),
)
filter_specs = st.builds(
    FilterSpec,
    assistants=positions(4),
    models=positions(3),
    api_tokens=positions(3),
    users=positions(4),
    status=st.sampled_from([None, "SUCCESS", "ERROR"]),
    start=st.none() | instants,
    end=st.none() | instants,
    first=st.integers(10, 100),
)


def matches(
    row: Sent, spec: FilterSpec, data: Dataset, start: datetime | None, end: datetime | None
) -> bool:
    def within(value: int | None, chosen: tuple[int, ...] | None, ids: list[int]) -> bool:
        return chosen is None or value in {ids[i] for i in chosen}

    return (
        within(row.assistant_id, spec.assistants, data.assistant_ids)
        and within(row.model_id, spec.models, data.model_ids)
        and within(row.api_token_id, spec.api_tokens, data.api_token_ids)
        and within(row.user_id, spec.users, data.user_ids)
        and (spec.status is None or row.status == spec.status)
        and (start is None or start <= row.created_at)
        and (end is None or row.created_at < end)
    )


def graphql_filter(
    spec: FilterSpec, data: Dataset, start: datetime | None, end: datetime | None
) -> dict[str, Any]:
    chosen = {
        "assistantIds": (spec.assistants, data.assistant_ids),
        "modelIds": (spec.models, data.model_ids),
        "apiTokenIds": (spec.api_tokens, data.api_token_ids),
        "userIds": (spec.users, data.user_ids),
    }
    filter_: dict[str, Any] = {
        name: [str(ids[i]) for i in picked]
        for name, (picked, ids) in chosen.items()
        if picked is not None
    }
    if spec.status is not None:
        filter_["status"] = spec.status
    if start is not None:
        filter_["from"] = start.isoformat()
    if end is not None:
        filter_["to"] = end.isoformat()
    return filter_


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(spec=filter_specs)
async def test_every_filter_combination_lists_exactly_the_matching_requests_newest_first(
    dataset: Dataset, spec: FilterSpec
) -> None:
    # given
    start = None if spec.start is None else spec.start.resolve(dataset.sent)
    end = None if spec.end is None else spec.end.resolve(dataset.sent)
    filter_ = graphql_filter(spec, dataset, start, end)

    # when
    if start is not None and end is not None and start >= end:
        response = await read_page(dataset.api, dataset.viewer_token, dataset.project, filter_)
        # then: an empty or reversed range is a mistake, not an empty list
        assert response.codes == ["BAD_USER_INPUT"], response.raw
        assert response.errors[0]["extensions"]["argument"] == "filter.to"
        return
    ids, totals = await walk(
        dataset.api, dataset.viewer_token, dataset.project, filter_, spec.first
    )

    # then
    expected = sorted(
        (row for row in dataset.sent if matches(row, spec, dataset, start, end)),
        key=Sent.newest_first,
        reverse=True,
    )
    assert ids == [row.id for row in expected]
    assert totals == {len(expected)}


async def test_the_unfiltered_log_shows_every_request_as_recorded(dataset: Dataset) -> None:
    # when
    nodes: list[dict[str, Any]] = []
    after = None
    while True:
        response = await dataset.api(
            REQUESTS_IN_FULL,
            {"p": str(dataset.project.id), "first": 100, "after": after},
            dataset.viewer_token,
        )
        connection = response.ok()["project"]["requests"]
        assert connection["totalCount"] == 150
        nodes += [edge["node"] for edge in connection["edges"]]
        if not connection["pageInfo"]["hasNextPage"]:
            break
        after = connection["pageInfo"]["endCursor"]

    # then
    prices = {
        m.id: (m.input_price_per_million_nanos, m.output_price_per_million_nanos)
        for m in await AiModel.filter(id__in=dataset.model_ids)
    }

    def shown(row: Sent) -> dict[str, Any]:
        r = row.record
        input_price, output_price = prices[row.model_id]
        nanos = r["inputTokens"] * input_price + r["outputTokens"] * output_price + 500_000
        return {
            "id": str(row.id),
            "externalId": row.external_id,
            "createdAt": row.created_at.isoformat(),
            "status": row.status,
            "durationMs": r["durationMs"],
            "inputTokens": r["inputTokens"],
            "outputTokens": r["outputTokens"],
            "cost": nanos // 1_000_000 / 10**9,
            "input": r["input"],
            "output": r["output"],
            "errorMessage": None,
            "assistant": None if row.assistant_id is None else {"id": str(row.assistant_id)},
            "model": {"id": str(row.model_id)},
            "apiToken": {"id": str(row.api_token_id)},
            "user": None if row.user_id is None else {"id": str(row.user_id)},
        }

    newest_first = sorted(dataset.sent, key=Sent.newest_first, reverse=True)
    assert nodes == [shown(row) for row in newest_first]


# The token and the user are read only when a document selects them: through fragments,
# inline fragments, aliases and fields under @include, as well as directly.
RELATIONS_SELECTED = {
    "directly": "apiToken { id } user { id }",
    "in a fragment": "...Who",
    "in an inline fragment": "... on Request { apiToken { id } ... on Request { user { id } } }",
    "under aliases and @include": "t: apiToken @include(if: $yes) { id } u: user { id }",
}


@pytest.mark.parametrize("how", sorted(RELATIONS_SELECTED))
async def test_a_page_reads_the_token_and_user_however_they_are_selected(
    dataset: Dataset, how: str
) -> None:
    # given
    selection = RELATIONS_SELECTED[how]
    declared = ", $yes: Boolean!" if "$yes" in selection else ""
    document = (
        f"query($p: ID!{declared}) {{ project(id: $p) {{ requests(first: 100) {{ "
        f"edges {{ node {{ id {selection} }} }} }} }} }}"
        + (
            "fragment Who on Request { apiToken { id } user { id } }"
            if "...Who" in selection
            else ""
        )
    )

    # when
    variables: dict[str, Any] = {"p": str(dataset.project.id)}
    if declared:
        variables["yes"] = True
    response = await dataset.api(document, variables, dataset.viewer_token)

    # then
    nodes = [edge["node"] for edge in response.ok()["project"]["requests"]["edges"]]
    sent = {row.id: row for row in dataset.sent}
    for node in nodes:
        row = sent[int(node["id"])]
        token = node.get("apiToken", node.get("t"))
        user = node.get("user", node.get("u"))
        assert token == {"id": str(row.api_token_id)}
        assert user == (None if row.user_id is None else {"id": str(row.user_id)})


async def test_a_page_without_token_or_user_answers_the_rest_alike(dataset: Dataset) -> None:
    # given: the same page with and without the token and the user
    fields = "id createdAt model { id } assistant { id }"
    documents = [
        f"query($p: ID!) {{ project(id: $p) {{ requests(first: 100) {{ "
        f"edges {{ cursor node {{ {fields}{extra} }} }} }} }} }}"
        for extra in ("", " apiToken { id } user { id }")
    ]
    variables = {"p": str(dataset.project.id)}

    # when
    without, with_both = [
        (await dataset.api(document, variables, dataset.viewer_token)).ok()
        for document in documents
    ]

    # then
    for edge in with_both["project"]["requests"]["edges"]:
        del edge["node"]["apiToken"], edge["node"]["user"]
    assert without == with_both


async def test_total_count_counts_every_match_not_just_the_page(dataset: Dataset) -> None:
    # when
    response = await read_page(
        dataset.api, dataset.viewer_token, dataset.project, {"status": "ERROR"}, first=1
    )

    # then
    page = page_of(response)
    errors = sorted((row for row in dataset.sent if row.status == "ERROR"), key=Sent.newest_first)
    assert page.ids == [errors[-1].id]
    assert page.has_next_page is True
    assert page.total_count == len(errors)


async def test_an_empty_id_list_matches_nothing(dataset: Dataset) -> None:
    # when
    page = page_of(
        await read_page(dataset.api, dataset.viewer_token, dataset.project, {"modelIds": []})
    )

    # then
    assert (page.ids, page.total_count, page.has_next_page) == ([], 0, False)


# -- bad arguments ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("filter_", "argument"),
    [
        ({"from": "2025-01-01T10:00:00Z", "to": "2025-01-01T10:00:00Z"}, "filter.to"),
        ({"from": "2025-01-01T10:00:00Z", "to": "2025-01-01T09:59:59.999999Z"}, "filter.to"),
        ({"from": "2025-01-01T12:00:00+02:00", "to": "2025-01-01T10:00:00Z"}, "filter.to"),
        ({"from": "2025-01-01T10:00:00"}, "filter.from"),
        ({"to": "2025-01-01T10:00:00"}, "filter.to"),
        ({"modelIds": ["gpt-4"]}, "filter.modelIds"),
        ({"userIds": ["0"]}, "filter.userIds"),
    ],
)
async def test_a_bad_filter_is_refused(
    dataset: Dataset, filter_: dict[str, Any], argument: str
) -> None:
    response = await read_page(dataset.api, dataset.viewer_token, dataset.project, filter_)
    assert bad_argument(response) == argument


@pytest.mark.parametrize("first", [0, -1, 101])
async def test_a_page_size_out_of_range_is_refused(dataset: Dataset, first: int) -> None:
    response = await read_page(dataset.api, dataset.viewer_token, dataset.project, first=first)
    assert bad_argument(response) == "first"


def encoded(value: object) -> str:
    return base64.urlsafe_b64encode(json.dumps(value).encode()).decode().rstrip("=")


async def real_cursor(dataset: Dataset) -> str:
    page = page_of(await read_page(dataset.api, dataset.viewer_token, dataset.project, first=3))
    assert page.end_cursor is not None
    return page.end_cursor


TAMPERED: dict[str, Callable[[str], str]] = {
    "not base64": lambda real: "!!not a cursor!!",
    "not json": lambda real: base64.urlsafe_b64encode(b"\xff\xfe{").decode(),
    "a character changed": lambda real: real[:5] + ("A" if real[5] != "A" else "B") + real[6:],
    "another list": lambda real: encoded(["members", "someone@example.com", 1]),
    "naive instant": lambda real: encoded(["requests", "2025-01-01T10:00:00", 1]),
    "id as text": lambda real: encoded(["requests", "2025-01-01T10:00:00+00:00", "1"]),
    "id as boolean": lambda real: encoded(["requests", "2025-01-01T10:00:00+00:00", True]),
    "missing id": lambda real: encoded(["requests", "2025-01-01T10:00:00+00:00"]),
    "not a list": lambda real: encoded({"requests": 1}),
}


@pytest.mark.parametrize("how", TAMPERED)
async def test_a_tampered_cursor_is_refused(dataset: Dataset, how: str) -> None:
    # given
    cursor = TAMPERED[how](await real_cursor(dataset))

    # when
    response = await read_page(
        dataset.api, dataset.viewer_token, dataset.project, first=3, after=cursor
    )

    # then
    assert bad_argument(response) == "after"


COUNT_ONLY = """
query($p: ID!, $filter: RequestFilter, $after: String) {
  project(id: $p) { requests(filter: $filter, after: $after) { totalCount } }
}"""


async def test_the_count_alone_is_exact_and_a_bad_cursor_is_still_refused(
    dataset: Dataset,
) -> None:
    # given a query selecting only the count (the page is then never read)
    variables = {"p": str(dataset.project.id), "filter": {"status": "ERROR"}}

    # when
    counted = await dataset.api(COUNT_ONLY, variables, dataset.viewer_token)
    refused = await dataset.api(
        COUNT_ONLY, variables | {"after": TAMPERED["not json"]("")}, dataset.viewer_token
    )

    # then
    total = counted.ok()["project"]["requests"]["totalCount"]
    assert total == sum(row.status == "ERROR" for row in dataset.sent)
    assert bad_argument(refused) == "after"


# -- pages stay stable while requests arrive --------------------------------------------------


@pytest.mark.parametrize("filter_", [{}, {"status": "SUCCESS"}], ids=["all", "successes"])
async def test_a_walk_sees_every_earlier_request_once_while_new_ones_arrive(
    api: GraphQLClient, filter_: dict[str, Any]
) -> None:
    # given: 45 requests, in threes sharing an instant so that pages split ties
    project = await make_project()
    model = await make_model()
    _, secret = await make_api_token(project)
    viewer, token = await make_user()
    await grant(viewer, project, ProjectRole.PROJECT_MEMBER)
    records = [
        record(
            f"old-{i:02d}",
            model,
            createdAt=(START + timedelta(minutes=i // 3 * 7)).isoformat(),
            status="ERROR" if i % 4 == 0 else "SUCCESS",
        )
        for i in range(45)
    ]
    await record_all(api, secret, records)
    old = await sent_rows(project, records, 0)
    expected = [
        row.id
        for row in sorted(old, key=Sent.newest_first, reverse=True)
        if filter_.get("status") in (None, row.status)
    ]

    # when: three newer requests arrive after every page
    seen: list[int] = []
    totals: list[int] = []
    after = None
    arrived = 0
    while True:
        page = page_of(await read_page(api, token, project, filter_, 7, after))
        seen += page.ids
        totals.append(page.total_count)
        if not page.has_next_page:
            break
        after = page.end_cursor
        now = datetime.now(UTC)
        await record_all(
            api,
            secret,
            [
                record(
                    f"new-{arrived + k}", model, createdAt=(now - timedelta(seconds=k)).isoformat()
                )
                for k in range(3)
            ],
        )
        arrived += 3

    # then: every earlier request once, in order; the count follows the arrivals
    assert seen == expected
    pages = len(totals)
    assert pages == -(-len(expected) // 7)
    assert totals == [len(expected) + 3 * page for page in range(pages)]


# -- one request ------------------------------------------------------------------------------


async def test_a_request_shows_its_content_and_what_it_refers_to(api: GraphQLClient) -> None:
    # given
    project = await make_project()
    model = await make_model(2.5, 10)
    assistant = await make_assistant(project)
    recording, secret = await make_api_token(project)
    client_token, _ = await make_api_token(project)
    user, _ = await make_user()
    await grant(user, project, ProjectRole.ASSISTANT_USER)
    viewer, token = await make_user()
    await grant(viewer, project, ProjectRole.PROJECT_MEMBER)
    instant = START + timedelta(minutes=3, microseconds=250_000)
    full = record(
        "full",
        model,
        createdAt=instant.isoformat(),
        status="ERROR",
        durationMs=100,
        assistantId=str(assistant.id),
        userId=str(user.id),
        apiTokenId=str(client_token.id),
        inputTokens=1000,
        outputTokens=500,
        input="Summarise this.",
        output="",
        errorMessage="upstream timeout",
    )
    bare = record("bare", model, createdAt=instant.isoformat(), cost=0.000001)
    await record_all(api, secret, [full, bare])
    rows = {r.external_id: r.id for r in await Request.filter(project_id=project.id)}

    # when
    shown = {
        name: (await api(REQUEST, {"p": str(project.id), "id": str(rows[name])}, token)).ok()
        for name in rows
    }

    # then
    assert shown["full"]["project"]["request"] == {
        "id": str(rows["full"]),
        "externalId": "full",
        "createdAt": instant.isoformat(),
        "status": "ERROR",
        "durationMs": 100,
        "inputTokens": 1000,
        "outputTokens": 500,
        "cost": 0.0075,
        "input": "Summarise this.",
        "output": "",
        "errorMessage": "upstream timeout",
        "assistant": {"id": str(assistant.id)},
        "model": {"id": str(model.id)},
        "apiToken": {"id": str(client_token.id)},
        "user": {"id": str(user.id)},
    }
    assert shown["bare"]["project"]["request"] == {
        "id": str(rows["bare"]),
        "externalId": "bare",
        "createdAt": instant.isoformat(),
        "status": "SUCCESS",
        "durationMs": 250,
        "inputTokens": 100,
        "outputTokens": 40,
        "cost": 0.000001,
        "input": None,
        "output": None,
        "errorMessage": None,
        "assistant": None,
        "model": {"id": str(model.id)},
        "apiToken": {"id": str(recording.id)},
        "user": None,
    }


async def test_a_request_of_another_project_is_not_found(api: GraphQLClient) -> None:
    # given: a member of one project, and a request of another
    project = await make_project()
    viewer, token = await make_user()
    await grant(viewer, project, ProjectRole.PROJECT_ADMIN)
    other = await make_project()
    _, secret = await make_api_token(other)
    model = await make_model()
    await record_all(api, secret, [record("theirs", model, createdAt=START.isoformat())])
    theirs = await Request.get(project_id=other.id)

    # when
    response = await api(REQUEST, {"p": str(project.id), "id": str(theirs.id)}, token)
    missing = await api(REQUEST, {"p": str(project.id), "id": "999999999999"}, token)
    malformed = await api(REQUEST, {"p": str(project.id), "id": "abc"}, token)

    # then
    assert response.codes == ["NOT_FOUND"], response.raw
    assert "theirs" not in response.raw
    assert response.data == {"project": {"request": None}}
    assert missing.codes == ["NOT_FOUND"], missing.raw
    assert bad_argument(malformed) == "id"


# -- who may read the log ---------------------------------------------------------------------

OUTCOMES = {
    "anonymous": "UNAUTHENTICATED",
    "unknown_token": "UNAUTHENTICATED",
    "revoked_token": "UNAUTHENTICATED",
    "expired_token": "UNAUTHENTICATED",
    "non_member": "NOT_FOUND",
    "other_project_admin": "NOT_FOUND",
    "assistant_user": "FORBIDDEN",
    "api_token": "FORBIDDEN",
    "project_member": "ok",
    "project_admin": "ok",
    "superuser": "ok",
}
LOG_AND_ONE = """
query($p: ID!, $r: ID!) {
  project(id: $p) {
    requests { totalCount edges { node { id input } } }
    request(id: $r) { id input }
  }
}"""


@pytest.mark.parametrize("principal", PRINCIPALS)
async def test_only_members_and_up_read_the_request_log(api: GraphQLClient, principal: str) -> None:
    # given
    assert set(OUTCOMES) == set(PRINCIPALS)
    world = await make_world()
    request = await Request.get(id=world.request_id)

    # when
    response = await api(
        LOG_AND_ONE,
        {"p": str(world.project.id), "r": str(request.id)},
        world.tokens[principal],
    )

    # then
    expected = OUTCOMES[principal]
    if expected == "ok":
        node = {"id": str(request.id), "input": request.input}
        assert response.ok() == {
            "project": {"requests": {"totalCount": 1, "edges": [{"node": node}]}, "request": node}
        }
        return
    assert set(response.codes) == {expected}, response.raw
    assert str(request.id) not in json.dumps(response.data)
