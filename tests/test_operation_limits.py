"""Operation limits (issue 13): just under each passes, just over is refused with its code
before anything runs, naming the limit and the value, and the server keeps serving."""

from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import httpx
import pytest
from strawberry import Schema

from models import Membership, ProjectRole
from schema import build_schema
from schema.error_shaping import shape_errors
from tests.support.backends import Backend
from tests.support.factories import grant, make_project, make_user
from tests.support.graphql_client import GraphQLClient

VIEWER = "{ viewer { id } }"
BODY_LIMIT = 2 * 1024 * 1024  # the default of COMPTROLLER_MAX_BODY_BYTES
LIST_LIMIT = 5000  # the default of COMPTROLLER_MAX_LIST_LENGTH
USAGE = """
query($p: ID!, $r: TimeRange!, $f: UsageFilter) {
  project(id: $p) { usage(range: $r, filter: $f) { totalRequests } }
}"""
ADD_MEMBER = """
mutation($p: ID!, $e: String!, $roles: [ProjectRole!]!) {
  addMember(projectId: $p, email: $e, roles: $roles) { roles }
}"""


def body_of_size(size: int) -> bytes:
    """A JSON GraphQL request of exactly ``size`` bytes (an undeclared variable pads it)."""
    head, tail = b'{"query":"{ viewer { id } }","variables":{"pad":"', b'"}}'
    return head + b"x" * (size - len(head) - len(tail)) + tail


async def test_a_body_just_under_the_limit_passes_and_one_just_over_is_refused(
    backend: Backend,
) -> None:
    _, token = await make_user()
    headers = {"Authorization": f"Bearer {token}", "content-type": "application/json"}
    async with httpx.AsyncClient(base_url=backend.server_url, timeout=30) as http:
        under = await http.post("/graphql", content=body_of_size(BODY_LIMIT), headers=headers)
        assert under.status_code == 200, under.text
        assert "errors" not in under.json()

        over = await http.post("/graphql", content=body_of_size(BODY_LIMIT + 1), headers=headers)
        assert over.status_code == 413
        (error,) = over.json()["errors"]
        assert error["extensions"]["code"] == "QUERY_TOO_COMPLEX"
        assert error["extensions"]["maximum"] == BODY_LIMIT
        assert str(BODY_LIMIT + 1) in error["message"]

        async def chunks() -> object:  # no Content-Length: counted while read
            for _ in range(50):
                yield b"x" * (1024 * 1024)

        streamed = await http.post("/graphql", content=chunks(), headers=headers)  # type: ignore[arg-type]
        assert streamed.status_code == 413
        assert streamed.json()["errors"][0]["extensions"]["code"] == "QUERY_TOO_COMPLEX"

        assert (await http.post("/graphql", json={"query": VIEWER}, headers=headers)).is_success


def aliases(n: int) -> str:
    return "{ " + " ".join(f"a{i}: __typename" for i in range(n)) + " }"


def typenames(n: int) -> str:
    return "{ " + " ".join(["__typename"] * n) + " }"


def pages(first: int) -> str:
    # cost = 1 + first * (edges 1 + node 1 + id 1) = 1 + 3 * first
    return "{ projects(first: FIRST) { edges { node { id } } } }".replace("FIRST", str(first))


LIMITS: list[tuple[str, Callable[[], Schema], Callable[[int], str], int]] = [
    ("aliases", lambda: build_schema(max_aliases=30), aliases, 30),
    ("tokens", lambda: build_schema(max_tokens=100), typenames, 98),  # 98 names and 2 braces
    ("cost", lambda: build_schema(max_cost=298), pages, 99),
]


@pytest.mark.parametrize(("limit", "make_schema", "document", "largest"), LIMITS)
async def test_a_document_just_under_a_limit_validates_and_one_just_over_is_too_complex(
    limit: str, make_schema: Callable[[], Schema], document: Callable[[int], str], largest: int
) -> None:
    schema = make_schema()
    under = await schema.execute(document(largest))
    assert not [e for e in under.errors or [] if e.extensions == {"code": "QUERY_TOO_COMPLEX"}]
    over = await schema.execute(document(largest + 1))
    assert over.errors is not None
    # (the HTTP view shapes parse errors, the token limit's among them, as the server would)
    shaped = shape_errors(over.errors, "-")
    assert [e.extensions for e in shaped] == [{"code": "QUERY_TOO_COMPLEX"}], limit


async def test_depth_just_under_the_limit_validates_and_just_over_is_too_complex() -> None:
    # eight levels of fields: depth 7 counted from the root's fields at 0
    document = "{ projects { edges { node { members { edges { node { user { id } } } } } } } }"
    under = await build_schema(max_depth=7).execute(document)
    assert not [e for e in under.errors or [] if e.extensions == {"code": "QUERY_TOO_COMPLEX"}]
    over = await build_schema(max_depth=6).execute(document)
    assert over.errors is not None
    assert [e.extensions for e in over.errors] == [{"code": "QUERY_TOO_COMPLEX"}]


def time_range() -> dict[str, str]:
    now = datetime.now(UTC)
    return {"from": (now - timedelta(days=1)).isoformat(), "to": now.isoformat()}


@pytest.mark.parametrize("field", ["assistantIds", "modelIds", "apiTokenIds", "userIds"])
async def test_an_id_list_of_the_limit_passes_and_one_more_is_refused(
    api: GraphQLClient, field: str
) -> None:
    user, token = await make_user()
    project = await make_project()
    await grant(user, project, ProjectRole.PROJECT_MEMBER)
    ids = [str(i) for i in range(1, LIST_LIMIT + 2)]
    base = {"p": str(project.id), "r": time_range()}

    under = await api(USAGE, {**base, "f": {field: ids[:LIST_LIMIT]}}, token)
    assert under.ok()["project"]["usage"]["totalRequests"] == 0

    over = await api(USAGE, {**base, "f": {field: ids}}, token)
    assert over.codes == ["BAD_USER_INPUT"]
    (error,) = over.errors
    assert error["extensions"]["argument"] == f"filter.{field}"
    assert error["extensions"]["limit"] == "max_list_length"
    assert f"{LIST_LIMIT + 1} items" in error["message"]
    assert over.data is None


async def test_a_literal_list_over_the_limit_is_refused() -> None:
    # in process, with a small limit: a literal list of 5,001 ids passes the token limit first
    schema = build_schema(max_list_length=3)
    document = (
        '{ project(id: "1") { usage(range: {from: "2026-01-01T00:00:00Z", '
        'to: "2026-01-02T00:00:00Z"}, filter: {assistantIds: [IDS]}) { totalRequests } } }'
    )
    over = await schema.execute(document.replace("IDS", '"1", "2", "3", "4"'))
    assert over.errors is not None
    assert [e.extensions for e in over.errors] == [
        {
            "code": "BAD_USER_INPUT",
            "argument": "filter.assistantIds",
            "limit": "max_list_length",
            "maximum": 3,
        }
    ]
    under = await schema.execute(document.replace("IDS", '"1", "2", "3"'))
    assert not [e for e in under.errors or [] if (e.extensions or {}).get("limit")]


async def test_a_refused_mutation_changes_nothing(api: GraphQLClient) -> None:
    admin, token = await make_user()
    newcomer, _ = await make_user()
    project = await make_project()
    await grant(admin, project, ProjectRole.PROJECT_ADMIN)
    roles = ["PROJECT_MEMBER"] * (LIST_LIMIT + 1)
    variables = {"p": str(project.id), "e": newcomer.email, "roles": roles}
    response = await api(ADD_MEMBER, variables, token)
    assert response.codes == ["BAD_USER_INPUT"]
    assert response.errors[0]["extensions"]["argument"] == "roles"
    assert not await Membership.exists(project_id=project.id, user_id=newcomer.id)


@pytest.mark.parametrize("first", [0, 101, -1])
async def test_a_page_size_out_of_range_is_refused_before_execution(
    api: GraphQLClient, first: int
) -> None:
    _, token = await make_user()
    response = await api(
        "query($n: Int) { projects(first: $n) { totalCount } }", {"n": first}, token
    )
    assert response.codes == ["BAD_USER_INPUT"]
    assert response.errors[0]["extensions"]["argument"] == "first"
    assert f"(got {first})" in response.errors[0]["message"]
    assert response.data is None
    assert (await api("{ projects(first: 100) { totalCount } }", token=token)).ok()
