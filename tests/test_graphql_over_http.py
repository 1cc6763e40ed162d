"""GraphQL over HTTP: graphql-http's audit passes every MUST and SHOULD item against a live
server, the spec's media type is answered when asked for, and refusals are JSON errors."""

import json
import os
import shutil
import subprocess
from pathlib import Path

import httpx
import pytest

from tests.support.backends import Backend

IN_CI = os.environ.get("CI", "").lower() == "true"
AUDIT = Path(__file__).resolve().parent / "graphql_http_audit"
GRAPHQL_RESPONSE = "application/graphql-response+json"


def audit_problem() -> str | None:
    if shutil.which("node") is None:
        return "node is not installed"
    if not (AUDIT / "node_modules" / "graphql-http").is_dir():
        return f"graphql-http is not installed: npm ci --prefix {AUDIT}"
    return None


@pytest.fixture
def audit_ready() -> None:
    problem = audit_problem()
    if problem is not None:
        if IN_CI:
            pytest.fail(f"CI must run the GraphQL-over-HTTP audit, but: {problem}")
        pytest.skip(problem)


def test_graphql_http_audit_passes_every_must_and_should_item(
    audit_ready: None, backend: Backend
) -> None:
    done = subprocess.run(
        ["node", str(AUDIT / "audit.mjs"), f"{backend.server_url}/graphql"],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    results = [json.loads(line) for line in done.stdout.splitlines()]
    assert len(results) > 40, done.stderr
    failing = [
        r for r in results if r["name"].startswith(("MUST", "SHOULD")) and r["status"] != "ok"
    ]
    assert failing == []
    assert done.returncode == 0


async def test_a_batched_body_is_refused_as_a_json_graphql_error(backend: Backend) -> None:
    async with httpx.AsyncClient(base_url=backend.server_url) as http:
        reply = await http.post("/graphql", json=[{"query": "{ __typename }"}] * 2)
    assert reply.status_code == 400
    assert reply.headers["content-type"] == "application/json"
    extensions = reply.json()["errors"][0]["extensions"]
    assert extensions.pop("requestId")  # every error carries the request id
    assert extensions == {"code": "BAD_USER_INPUT", "argument": "body"}


@pytest.mark.parametrize(
    ("body", "argument"),
    [("{not json", "body"), ("", "body")],
)
async def test_a_body_that_is_not_json_is_refused_as_a_json_graphql_error(
    backend: Backend, body: str, argument: str
) -> None:
    async with httpx.AsyncClient(base_url=backend.server_url) as http:
        reply = await http.post(
            "/graphql", content=body, headers={"content-type": "application/json"}
        )
    assert reply.status_code == 400
    assert reply.json()["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"


@pytest.mark.parametrize(
    "document", ["{ viewer { ", "{ noSuchField }", "query($n: Int!) { viewer { id } }"]
)
async def test_a_request_error_is_400_without_data_in_graphql_response_json(
    backend: Backend, document: str
) -> None:
    async with httpx.AsyncClient(base_url=backend.server_url) as http:
        reply = await http.post(
            "/graphql",
            json={"query": document, "variables": {"n": "x"}},
            headers={"accept": f"{GRAPHQL_RESPONSE}, application/json;q=0.9"},
        )
        legacy = await http.post(
            "/graphql",
            json={"query": document, "variables": {"n": "x"}},
            headers={"accept": "application/json"},
        )
    assert reply.status_code == 400
    assert reply.headers["content-type"] == f"{GRAPHQL_RESPONSE}; charset=utf-8"
    assert "data" not in reply.json()
    assert reply.json()["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"
    # application/json clients keep the 200 the spec asks for them
    assert legacy.status_code == 200
    assert legacy.headers["content-type"] == "application/json"


async def test_a_field_error_keeps_status_200_and_data_in_graphql_response_json(
    backend: Backend,
) -> None:
    async with httpx.AsyncClient(base_url=backend.server_url) as http:
        reply = await http.post(
            "/graphql",
            json={"query": "{ viewer { id } }"},
            headers={"accept": GRAPHQL_RESPONSE},
        )
    assert reply.status_code == 200
    assert reply.headers["content-type"] == f"{GRAPHQL_RESPONSE}; charset=utf-8"
    body = reply.json()
    assert body["data"] is None
    assert body["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
