"""Every error carries a contract code, and nothing internal reaches a client."""

import logging

import pytest
from graphql import GraphQLError

from kernel.errors import NotFound
from schema import build_schema
from schema.error_shaping import shape_error
from tests.support.factories import make_user
from tests.support.graphql_client import GraphQLClient


async def test_unknown_field_is_bad_user_input_without_suggestions(api: GraphQLClient) -> None:
    _, token = await make_user()
    response = await api("{ viewr { id } }", token=token)
    assert response.codes == ["BAD_USER_INPUT"]
    assert "Did you mean" not in response.raw


async def test_syntax_error_is_bad_user_input(api: GraphQLClient) -> None:
    _, token = await make_user()
    assert (await api("{ viewer { id ", token=token)).codes == ["BAD_USER_INPUT"]


async def test_wrong_variable_type_is_bad_user_input(api: GraphQLClient) -> None:
    _, token = await make_user()
    response = await api("query($id: ID!) { project(id: $id) { id } }", {"id": {"x": 1}}, token)
    assert response.codes == ["BAD_USER_INPUT"]


async def test_too_many_aliases_is_too_complex(api: GraphQLClient) -> None:
    _, token = await make_user()
    document = "{ " + " ".join(f"a{i}: viewer {{ id }}" for i in range(40)) + " }"
    assert (await api(document, token=token)).codes == ["QUERY_TOO_COMPLEX"]


async def test_too_many_tokens_is_too_complex(api: GraphQLClient) -> None:
    _, token = await make_user()
    document = "{ viewer { " + " ".join(["id"] * 6000) + " } }"
    assert (await api(document, token=token)).codes == ["QUERY_TOO_COMPLEX"]


async def test_pages_of_pages_beyond_the_cost_limit_are_too_complex(api: GraphQLClient) -> None:
    _, token = await make_user()
    nested = (
        "{ projects(first: %d) { edges { node { "
        "members(first: %d) { edges { node { user { id } } } } } } } }"
    )
    assert (await api(nested % (100, 100), token=token)).codes == ["QUERY_TOO_COMPLEX"]
    assert (await api(nested % (10, 10), token=token)).codes == []


async def test_a_page_size_from_a_variable_counts_as_the_largest_page() -> None:
    schema = build_schema(max_cost=1000)
    document = (
        "query($n: Int) { projects(first: $n) { edges { node { "
        "members(first: $n) { totalCount } } } } }"
    )
    result = await schema.execute(document, {"n": 1})
    assert result.errors is not None
    assert [e.extensions for e in result.errors] == [{"code": "QUERY_TOO_COMPLEX"}]


async def test_query_deeper_than_the_limit_is_too_complex() -> None:
    # Validation refuses the document before anything runs, so no context is needed.
    schema = build_schema(max_depth=4)
    result = await schema.execute(
        "{ projects { edges { node { members { edges { node { user { id } } } } } } } }"
    )
    assert result.errors is not None
    assert [e.extensions for e in result.errors] == [{"code": "QUERY_TOO_COMPLEX"}]


async def test_out_of_range_page_size_names_the_argument(api: GraphQLClient) -> None:
    _, token = await make_user()
    response = await api("{ projects(first: 101) { totalCount } }", token=token)
    assert response.codes == ["BAD_USER_INPUT"]
    assert response.errors[0]["extensions"]["argument"] == "first"


async def test_tampered_cursor_is_bad_user_input(api: GraphQLClient) -> None:
    _, token = await make_user()
    for cursor in ("abc", "WyJhdWRpdCIsMV0", "!!!"):
        response = await api(
            "query($c: String) { projects(after: $c) { totalCount } }", {"c": cursor}, token
        )
        assert response.codes == ["BAD_USER_INPUT"], cursor


async def test_not_found_and_forbidden_keep_their_codes() -> None:
    error = GraphQLError("Project not found.", original_error=NotFound("Project not found."))
    assert shape_error(error, "r1").extensions == {"code": "NOT_FOUND"}


def test_unexpected_exception_is_masked_and_logged(caplog: pytest.LogCaptureFixture) -> None:
    # given a bug deep inside a resolver, with SQL in its message
    bug = RuntimeError('relation "secret_table" does not exist: SELECT * FROM secret_table')
    error = GraphQLError(bug.args[0], path=["project", "members"], original_error=bug)

    # when
    with caplog.at_level(logging.ERROR, logger="kernel.errors"):
        shaped = shape_error(error, "req-42")

    # then the client sees a code and the request id, nothing of the bug
    assert shaped.message == "Internal server error."
    assert shaped.extensions == {"code": "INTERNAL_SERVER_ERROR", "requestId": "req-42"}
    assert "secret_table" not in str(shaped.formatted)
    # and the operator finds the bug in the log under the same id
    assert "req-42" in caplog.text
    assert "secret_table" in caplog.text


async def test_server_keeps_serving_after_bad_input(api: GraphQLClient) -> None:
    _, token = await make_user()
    for document in ("{", "{ viewer { nope } }", "mutation { removeMember }", "x" * 20000):
        await api(document, token=token)
    assert (await api("{ viewer { id } }", token=token)).ok()
