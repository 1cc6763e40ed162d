"""``POST /v1/requests`` as HTTP: what only the plain-JSON route can get wrong (bodies, status
codes), and both routes at once. Everything else it shares with ``recordRequests`` is tested
through both routes in ``test_ingestion.py``."""

import asyncio
from typing import Any
from urllib.parse import urlsplit

import pytest

from comptroller.ingestion_route import MAX_BODY_BYTES
from models import ProjectRole, Request
from tests.support.backends import Backend
from tests.support.factories import grant, make_api_token, make_model, make_project, make_user
from tests.support.gateway_client import Gateway, json_route_response
from tests.support.graphql_client import GraphQLClient, Response
from tests.support.records import at, record, stored_external_ids
from tests.support.rollup_tables import assert_every_tier_equals_the_requests


def refused(response: Response, status: int, code: str) -> dict[str, Any]:
    """The one error of a refused call, with no internals in it."""
    assert response.status_code == status, response.raw
    assert [error["extensions"]["code"] for error in response.errors] == [code], response.raw
    assert "Traceback" not in response.raw
    assert "File " not in response.raw
    error: dict[str, Any] = response.errors[0]
    return error


async def post_raw(api: GraphQLClient, content: bytes, secret: str) -> Response:
    reply = await api.http.post(
        "/v1/requests",
        content=content,
        headers={"Authorization": f"Bearer {secret}", "Content-Type": "application/json"},
    )
    return json_route_response(reply.status_code, reply.json(), reply.text)


BAD_BODIES = {
    "not JSON": (b'{"records": [', "body"),
    "JSON but not an object": (b"[]", "body"),
    "another key": (b'{"record": []}', "body"),
    "an extra key": (b'{"records": [], "dryRun": true}', "body"),
    "records not an array": (b'{"records": {"externalId": "x"}}', "records"),
    "NaN is not JSON": (b'{"records": [{"durationMs": NaN}]}', "body"),
}


@pytest.mark.parametrize("case", BAD_BODIES)
async def test_a_malformed_body_is_refused_naming_what_is_wrong(
    api: GraphQLClient, case: str
) -> None:
    # given
    project = await make_project()
    _, secret = await make_api_token(project)
    content, argument = BAD_BODIES[case]

    # when
    response = await post_raw(api, content, secret)

    # then
    error = refused(response, 400, "BAD_USER_INPUT")
    assert error["extensions"]["argument"] == argument
    assert await stored_external_ids(project) == []


WRONG_VALUES: dict[str, tuple[dict[str, Any], str, str]] = {
    "a string for an Int": ({"durationMs": "slow"}, "records[2].durationMs", "Int"),
    "a 64-bit Int": ({"inputTokens": 2**40}, "records[2].inputTokens", "32-bit"),
    "an unknown status": ({"status": "TIMEOUT"}, "records[2].status", "TIMEOUT"),
    "a malformed createdAt": ({"createdAt": "yesterday"}, "records[2].createdAt", "DateTime"),
    "null for a required field": ({"modelId": None}, "records[2].modelId", "ID!"),
    "an unknown field": ({"latencyMs": 5}, "records[2]", "latencyMs"),
}


@pytest.mark.parametrize("case", WRONG_VALUES)
async def test_a_value_of_the_wrong_type_names_the_record_and_field(
    api: GraphQLClient, case: str
) -> None:
    # given
    project = await make_project()
    model = await make_model()
    _, secret = await make_api_token(project)
    change, argument, mentioned = WRONG_VALUES[case]
    batch = [record(f"r-{i}", model, createdAt=at(i)) for i in range(2)]
    batch.append(record("r-2", model) | change)

    # when
    response = await Gateway(api, "json").record(secret, batch)

    # then
    error = refused(response, 400, "BAD_USER_INPUT")
    assert error["extensions"]["argument"] == argument
    assert argument in error["message"]
    assert mentioned in error["message"]
    assert await stored_external_ids(project) == []


async def test_the_graphql_route_refuses_the_same_value_naming_the_field(
    api: GraphQLClient,
) -> None:
    # given
    project = await make_project()
    model = await make_model()
    _, secret = await make_api_token(project)
    batch = [record("r-0", model), record("r-1", model, durationMs="slow")]

    # when
    response = await Gateway(api, "graphql").record(secret, batch)

    # then
    error = refused(response, 200, "BAD_USER_INPUT")
    assert "[1].durationMs" in error["message"]
    assert await stored_external_ids(project) == []


async def test_a_body_over_the_limit_is_refused_before_it_is_read(backend: Backend) -> None:
    # given: a client that declares a body over the limit and sends none of it
    project = await make_project()
    _, secret = await make_api_token(project)
    server = urlsplit(backend.server_url)
    assert server.hostname is not None
    assert server.port is not None
    reader, writer = await asyncio.open_connection(server.hostname, server.port)

    # when
    writer.write(
        f"POST /v1/requests HTTP/1.1\r\nHost: {server.netloc}\r\n"
        f"Authorization: Bearer {secret}\r\nContent-Type: application/json\r\n"
        f"Content-Length: {MAX_BODY_BYTES + 1}\r\n\r\n".encode()
    )
    await writer.drain()
    status_line = await asyncio.wait_for(reader.readline(), timeout=10)
    reply = await asyncio.wait_for(reader.read(), timeout=10)
    writer.close()

    # then
    assert status_line.split()[1] == b"413", status_line
    assert b'"BAD_USER_INPUT"' in reply
    assert b'"argument":"body"' in reply


async def test_a_call_without_a_token_is_told_how_to_authenticate(api: GraphQLClient) -> None:
    # when
    reply = await api.http.post("/v1/requests", json={"records": []})

    # then
    response = json_route_response(reply.status_code, reply.json(), reply.text)
    refused(response, 401, "UNAUTHENTICATED")
    assert reply.headers["www-authenticate"] == "Bearer"


async def test_a_person_may_not_record_even_as_an_admin(api: GraphQLClient) -> None:
    # given
    project = await make_project()
    model = await make_model()
    admin, admin_token = await make_user()
    await grant(admin, project, ProjectRole.PROJECT_ADMIN)

    # when
    response = await Gateway(api, "json").record(admin_token, [record("r", model)])

    # then
    refused(response, 403, "FORBIDDEN")
    assert await stored_external_ids(project) == []


async def test_only_post_is_served(api: GraphQLClient) -> None:
    reply = await api.http.get("/v1/requests")
    assert reply.status_code == 405


async def test_both_routes_at_once_store_each_record_once(api: GraphQLClient) -> None:
    # given: one gateway on GraphQL and one on plain JSON, replaying overlapping windows
    project = await make_project()
    model = await make_model()
    _, secret = await make_api_token(project)
    first = [record(f"r-{i:04d}", model, createdAt=at(i % 60)) for i in range(0, 300)]
    second = [record(f"r-{i:04d}", model, createdAt=at(i % 60)) for i in range(150, 450)]

    # when
    responses = await asyncio.gather(
        Gateway(api, "graphql").record(secret, first),
        Gateway(api, "json").record(secret, second),
    )

    # then
    payloads = [response.ok()["recordRequests"] for response in responses]
    assert sum(p["accepted"] for p in payloads) == 450
    assert sum(p["duplicates"] for p in payloads) == 150
    assert await stored_external_ids(project) == [f"r-{i:04d}" for i in range(450)]
    assert await Request.filter(project_id=project.id).count() == 450
    await assert_every_tier_equals_the_requests(project.id)


@pytest.mark.parametrize("route", ["graphql", "json"])
async def test_ids_sent_as_numbers_are_read_as_ids_on_both_routes(
    api: GraphQLClient, route: str
) -> None:
    # given: GraphQL's ID accepts an integer; so must both routes, alike
    project = await make_project()
    model = await make_model()
    _, secret = await make_api_token(project)

    # when
    response = await Gateway(api, route).record(
        secret, [record("numeric", model, modelId=model.id, cost=1)]
    )

    # then
    assert response.ok()["recordRequests"] == {"accepted": 1, "duplicates": 0}
    row = await Request.get(project_id=project.id)
    assert (row.model_id, row.cost_nanos) == (model.id, 1_000_000_000)
