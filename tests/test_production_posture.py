"""Production posture (issue 13): security headers everywhere, a CSP on pages that still lets
GraphiQL run, GraphiQL and introspection can be switched off, CORS is opt-in."""

import base64
import hashlib
import re
from pathlib import Path

import httpx
import pytest

from comptroller.security_headers import content_security_policy
from tests.support.backends import Backend
from tests.support.factories import make_user
from tests.support.live_server import live_server, server_env

HTML = {"accept": "text/html"}
INTROSPECTION = {"query": "{ __schema { queryType { name } } }"}


async def test_graphiql_is_served_with_a_policy_allowing_exactly_its_scripts(
    backend: Backend,
) -> None:
    async with httpx.AsyncClient(base_url=backend.server_url) as http:
        page = await http.get("/graphql", headers=HTML)
        answer = await http.post("/graphql", json={"query": "{ __typename }"})
    assert page.status_code == 200
    policy = page.headers["content-security-policy"]
    assert "frame-ancestors 'none'" in policy
    assert "connect-src 'self'" in policy
    # the app serves every asset itself: scripts from 'self' and the page's own inline ones
    assert re.search(r"script-src 'self'( 'sha256-[^']+')*;", policy), policy
    assert "unsafe-inline" not in policy.split("script-src", 1)[1].split(";", 1)[0]
    for script in re.findall(r"<script>(.*?)</script>", page.text, re.DOTALL):
        digest = base64.b64encode(hashlib.sha256(script.encode()).digest()).decode()
        assert f"'sha256-{digest}'" in policy
    for reply in (page, answer):
        assert reply.headers["x-content-type-options"] == "nosniff"
        assert reply.headers["x-frame-options"] == "DENY"
        assert reply.headers["referrer-policy"] == "no-referrer"
    assert "content-security-policy" not in answer.headers  # JSON is no page


def test_asset_sources_add_to_self_once() -> None:
    policy = content_security_policy("'self' https://assets.example.com", [b"start()"])
    assert "script-src 'self' https://assets.example.com 'sha256-" in policy
    assert content_security_policy("'self'", []).count("script-src 'self';") == 1


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
async def test_graphiql_and_introspection_switch_off_and_cors_is_opt_in(
    backend: Backend, tmp_path: Path
) -> None:
    _, token = await make_user()
    env = server_env(
        backend.database_url,
        backend.cache_url,
        graphiql="false",
        introspection="false",
        cors_origins='["https://dashboards.example.com"]',
    )
    headers = {"Authorization": f"Bearer {token}"}
    async with (
        live_server(env, tmp_path) as server,
        httpx.AsyncClient(base_url=server.url) as http,
    ):
        page = await http.get("/graphql", headers=HTML)
        introspection = await http.post("/graphql", json=INTROSPECTION, headers=headers)
        viewer = await http.post("/graphql", json={"query": "{ viewer { id } }"}, headers=headers)
        preflight = {"access-control-request-method": "POST"}
        allowed = await http.options(
            "/graphql", headers={"origin": "https://dashboards.example.com", **preflight}
        )
        other = await http.options(
            "/graphql", headers={"origin": "https://evil.example.com", **preflight}
        )
    assert page.status_code == 404
    assert page.json()["errors"][0]["extensions"]["code"] == "NOT_FOUND"
    assert introspection.json()["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"
    assert "data" not in introspection.json() or introspection.json()["data"] is None
    assert viewer.json()["data"]["viewer"]["id"]
    assert allowed.headers["access-control-allow-origin"] == "https://dashboards.example.com"
    assert "access-control-allow-origin" not in other.headers
