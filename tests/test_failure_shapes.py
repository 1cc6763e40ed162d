"""Every failure answers in the contract's shape: JSON, a code, a request id, never plain text
or a stack trace (issue 13)."""

import logging
import sqlite3
from pathlib import Path

import asyncpg
import httpx
import pytest
from graphql import GraphQLError
from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from comptroller.error_responses import FailureShaping, http_exception_response
from kernel.outages import OutageLog, is_database_outage
from kernel.tokens import TokenKind, issue_secret
from schema.error_shaping import shape_error
from tests.support.backends import Backend
from tests.support.factories import make_user
from tests.support.live_server import live_server, server_env

# Nothing listens on port 1: every connection is refused at once.
UNREACHABLE_POSTGRES = "postgres://postgres@127.0.0.1:1/comptroller"
VIEWER = "{ viewer { id } }"


def assert_contract_error(reply: httpx.Response, code: str, status: int) -> dict[str, object]:
    assert reply.status_code == status, reply.text
    assert reply.headers["content-type"].startswith("application/json"), reply.text
    (error,) = reply.json()["errors"]
    assert error["extensions"]["code"] == code
    assert "Traceback" not in reply.text
    extensions: dict[str, object] = error["extensions"]
    return extensions


async def test_an_unreachable_database_answers_service_unavailable_fast(tmp_path: Path) -> None:
    # given a server whose database cannot be reached (it starts all the same)
    env = server_env(UNREACHABLE_POSTGRES, "memory://")
    token = issue_secret(TokenKind.PERSONAL).secret
    gateway = issue_secret(TokenKind.API).secret
    async with (
        live_server(env, tmp_path) as server,
        httpx.AsyncClient(base_url=server.url, timeout=5) as http,
    ):
        # when clients call, then each gets a JSON error with a code, an id and Retry-After
        for _ in range(20):
            reply = await http.post(
                "/graphql", json={"query": VIEWER}, headers={"Authorization": f"Bearer {token}"}
            )
            extensions = assert_contract_error(reply, "SERVICE_UNAVAILABLE", 503)
            assert extensions["requestId"]
            assert reply.headers["retry-after"] == "1"
            assert reply.elapsed.total_seconds() < 1
        reply = await http.post(
            "/v1/requests", json={"records": []}, headers={"Authorization": f"Bearer {gateway}"}
        )
        assert_contract_error(reply, "SERVICE_UNAVAILABLE", 503)
        assert reply.headers["retry-after"] == "1"
        # and what needs no database still works
        assert (await http.post("/graphql", json={"query": "{ __typename }"})).status_code == 200
        assert (await http.get("/healthz")).status_code == 200
        assert (await http.get("/readyz")).status_code == 503
        log = server.log()
    # and the operator reads one line for the outage, not a traceback per request
    assert log.count("database unavailable (") == 1, log
    assert "Traceback" not in log


async def test_transport_errors_of_graphql_are_json(backend: Backend) -> None:
    _, token = await make_user()
    headers = {"Authorization": f"Bearer {token}"}
    async with httpx.AsyncClient(base_url=backend.server_url, timeout=10) as http:
        not_json = await http.post(
            "/graphql", content=b"{nope", headers={**headers, "content-type": "application/json"}
        )
        assert_contract_error(not_json, "BAD_USER_INPUT", 400)
        wrong_type = await http.post(
            "/graphql", content=b"x", headers={**headers, "content-type": "text/plain"}
        )
        assert_contract_error(wrong_type, "BAD_USER_INPUT", 400)
        batch = await http.post("/graphql", json=[{"query": VIEWER}], headers=headers)
        assert_contract_error(batch, "BAD_USER_INPUT", 400)
        no_query = await http.post("/graphql", json={"variables": {}}, headers=headers)
        assert_contract_error(no_query, "BAD_USER_INPUT", 400)
        unknown = await http.get("/nowhere")
        assert_contract_error(unknown, "NOT_FOUND", 404)
        wrong_method = await http.delete("/graphql")
        assert_contract_error(wrong_method, "BAD_USER_INPUT", 405)
        # and the server keeps serving
        assert (await http.post("/graphql", json={"query": VIEWER}, headers=headers)).is_success


async def boom(_: Request) -> Response:
    raise RuntimeError('relation "secret_table" does not exist: SELECT * FROM secret_table')


async def refused(_: Request) -> Response:
    raise ConnectionRefusedError(111, "Connect call failed ('127.0.0.1', 5432)")


def shaped_app() -> Starlette:
    return Starlette(
        routes=[Route("/boom", boom), Route("/refused", refused)],
        middleware=[Middleware(FailureShaping)],
        exception_handlers={HTTPException: http_exception_response},
    )


async def test_an_unexpected_exception_in_a_route_is_json_without_detail(
    caplog: pytest.LogCaptureFixture,
) -> None:
    transport = httpx.ASGITransport(app=shaped_app())
    async with httpx.AsyncClient(transport=transport, base_url="http://app") as http:
        with caplog.at_level(logging.ERROR, logger="comptroller.errors"):
            reply = await http.get("/boom", headers={"x-request-id": "req-7"})
    extensions = assert_contract_error(reply, "INTERNAL_SERVER_ERROR", 500)
    assert extensions["requestId"] == "req-7"
    assert "secret_table" not in reply.text
    assert "req-7" in caplog.text
    assert "secret_table" in caplog.text


async def test_a_refused_connection_in_a_route_is_service_unavailable() -> None:
    transport = httpx.ASGITransport(app=shaped_app())
    async with httpx.AsyncClient(transport=transport, base_url="http://app") as http:
        reply = await http.get("/refused")
    assert_contract_error(reply, "SERVICE_UNAVAILABLE", 503)
    assert reply.headers["retry-after"] == "1"
    assert "5432" not in reply.text


@pytest.mark.parametrize(
    "error",
    [
        ConnectionRefusedError(111, "refused"),
        asyncpg.CannotConnectNowError("the database system is shutting down"),
        asyncpg.AdminShutdownError("terminating connection due to administrator command"),
        asyncpg.ConnectionDoesNotExistError("connection was closed in the middle of operation"),
        asyncpg.UndefinedTableError('relation "users" does not exist'),
        sqlite3.OperationalError("no such table: users"),
        asyncpg.InternalClientError("cannot switch to state 15; another operation is in progress"),
    ],
)
def test_outages_are_told_from_bugs(error: Exception) -> None:
    wrapped = RuntimeError("wrapped")
    wrapped.__cause__ = error
    assert is_database_outage(error)
    assert is_database_outage(wrapped)


@pytest.mark.parametrize("error", [RuntimeError("x"), KeyError("k"), asyncpg.DataError("bad")])
def test_bugs_are_not_outages(error: Exception) -> None:
    assert not is_database_outage(error)


def test_an_outage_inside_execution_is_service_unavailable() -> None:
    original = asyncpg.CannotConnectNowError("the database system is starting up")
    error = GraphQLError(str(original), path=["project"], original_error=original)
    shaped = shape_error(error, "req-9")
    assert shaped.extensions == {
        "code": "SERVICE_UNAVAILABLE",
        "retryAfter": 1,
        "requestId": "req-9",
    }
    assert shaped.path == ["project"]


def test_an_outage_is_logged_once_and_its_end_once(caplog: pytest.LogCaptureFixture) -> None:
    outages = OutageLog(logging.getLogger("test.outages"), "redis", quiet_seconds=60)
    with caplog.at_level(logging.WARNING, logger="test.outages"):
        for _ in range(200):
            outages.failed(ConnectionRefusedError(111, "refused"), "reading the database")
        outages.recovered()
        outages.recovered()
    lines = caplog.text.strip().splitlines()
    assert len(lines) == 2
    assert "redis unavailable (ConnectionRefusedError" in lines[0]
    assert "200 failed calls" in lines[1]
    assert "Traceback" not in caplog.text
