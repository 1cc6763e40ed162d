"""The baseline of ``bench.graphql_lists``: the same pages as the GraphQL documents, served
plainly. One Starlette route per page reads its rows with one SQL statement (the related
names joined in) and answers the JSON the GraphQL query answers, encoded with orjson; no
authentication, no policy, no GraphQL. It runs under the same uvicorn settings as
``comptroller serve`` (one worker, the same logging), so the two differ only in the app.

    .venv/bin/python -m bench.plain_lists --database-url URL --port PORT

Only the benchmark uses it: it is no part of the product.
"""

import argparse
import base64
import json
from collections.abc import AsyncIterator, Callable, Mapping, Sequence
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from typing import Any

import orjson
import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route
from tortoise import connections
from tortoise.contrib.starlette import RegisterTortoise

from comptroller.database import tortoise_config
from comptroller.observability import logging_config

NANOS_PER_USD = 1_000_000_000
PAGE = 50

# Each page: its statement (one placeholder, the project id) and how a row becomes a node.
REQUESTS_SQL = f"""SELECT r.id, r.external_id, r.created_at, r.status, r.duration_ms,
  r.input_tokens, r.output_tokens, r.cost_nanos, m.name AS model_name, a.name AS assistant_name
FROM requests r JOIN ai_models m ON m.id = r.model_id
  LEFT JOIN assistants a ON a.id = r.assistant_id
WHERE r.project_id = {{mark}} ORDER BY r.created_at DESC, r.id DESC LIMIT {PAGE + 1}"""
MEMBERS_SQL = f"""SELECT u.id, u.email, u.name, m.roles, m.created_at,
  (SELECT COUNT(*) FROM memberships c WHERE c.project_id = m.project_id) AS total
FROM memberships m JOIN users u ON u.id = m.user_id
WHERE m.project_id = {{mark}} ORDER BY u.email, u.id LIMIT {PAGE + 1}"""
AUDIT_SQL = f"""SELECT e.id, e.at, e.action, e.target, e.details, u.id AS actor_id,
  u.email AS actor_email, u.name AS actor_name,
  (SELECT COUNT(*) FROM audit_events c WHERE c.project_id = e.project_id) AS total
FROM audit_events e LEFT JOIN users u ON u.id = e.actor_id
WHERE e.project_id = {{mark}} ORDER BY e.at DESC, e.id DESC LIMIT {PAGE + 1}"""
TOKENS_SQL = """SELECT id, name, prefix, created_at, expires_at, revoked_at, last_used_at
FROM api_tokens WHERE project_id = {mark} ORDER BY created_at DESC, id DESC"""


def instant(value: datetime | str | None) -> str | None:
    """As the API shows instants: ISO-8601 in UTC with its offset (SQLite keeps text)."""
    if value is None:
        return None
    moment = datetime.fromisoformat(value) if isinstance(value, str) else value
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC).isoformat()


def cursor(name: str, at: str | None, row_id: int | str) -> str:
    """The connections' cursor: base64url JSON of the list's name and the row's sort key."""
    raw = json.dumps([name, at, row_id], separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def json_value(value: Any) -> Any:
    """A JSON column as the driver gives it (text on SQLite and asyncpg) decoded."""
    return orjson.loads(value) if isinstance(value, (str, bytes)) else value


def request_node(row: Mapping[str, Any]) -> dict[str, Any]:
    assistant = row["assistant_name"]
    return {
        "id": str(row["id"]),
        "externalId": row["external_id"],
        "createdAt": instant(row["created_at"]),
        "status": row["status"],
        "durationMs": row["duration_ms"],
        "inputTokens": row["input_tokens"],
        "outputTokens": row["output_tokens"],
        "cost": row["cost_nanos"] / NANOS_PER_USD,
        "model": {"name": row["model_name"]},
        "assistant": None if assistant is None else {"name": assistant},
    }


def member_node(row: Mapping[str, Any]) -> dict[str, Any]:
    return {
        "user": {"id": str(row["id"]), "email": row["email"], "name": row["name"]},
        "roles": json_value(row["roles"]),
        "createdAt": instant(row["created_at"]),
    }


def audit_node(row: Mapping[str, Any]) -> dict[str, Any]:
    actor = row["actor_id"]
    return {
        "id": str(row["id"]),
        "at": instant(row["at"]),
        "action": row["action"],
        "target": row["target"],
        "details": json_value(row["details"]),
        "actor": None
        if actor is None
        else {"id": str(actor), "email": row["actor_email"], "name": row["actor_name"]},
    }


def token_node(row: Mapping[str, Any]) -> dict[str, Any]:
    return {
        "id": str(row["id"]),
        "name": row["name"],
        "prefix": row["prefix"],
        "createdAt": instant(row["created_at"]),
        "expiresAt": instant(row["expires_at"]),
        "revokedAt": instant(row["revoked_at"]),
        "lastUsedAt": instant(row["last_used_at"]),
    }


def connection_of(
    rows: Sequence[Mapping[str, Any]],
    node: Callable[[Mapping[str, Any]], dict[str, Any]],
    key: Callable[[Mapping[str, Any], dict[str, Any]], str],
    with_total: bool,
) -> dict[str, Any]:
    edges = []
    for row in rows[:PAGE]:
        built = node(row)
        edges.append({"cursor": key(row, built), "node": built})
    answer: dict[str, Any] = {}
    if with_total:
        answer["totalCount"] = int(rows[0]["total"]) if rows else 0
    answer["edges"] = edges
    answer["pageInfo"] = {
        "endCursor": edges[-1]["cursor"] if edges else None,
        "hasNextPage": len(rows) > PAGE,
    }
    return answer


async def rows_of(sql: str, project_id: int) -> list[Any]:
    connection = connections.get("default")
    mark = "$1" if connection.capabilities.dialect == "postgres" else "?"
    _, rows = await connection.execute_query(sql.format(mark=mark), [project_id])
    return list(rows)


def answer(project: dict[str, Any]) -> Response:
    return Response(orjson.dumps({"data": {"project": project}}), media_type="application/json")


async def requests_page(request: Request) -> Response:
    rows = await rows_of(REQUESTS_SQL, int(request.query_params["project"]))
    page = connection_of(
        rows,
        request_node,
        lambda row, node: cursor("requests", node["createdAt"], row["id"]),
        with_total=False,
    )
    return answer({"requests": page})


async def members_page(request: Request) -> Response:
    rows = await rows_of(MEMBERS_SQL, int(request.query_params["project"]))
    page = connection_of(
        rows, member_node, lambda row, _: cursor("members", row["email"], row["id"]), True
    )
    return answer({"members": page})


async def audit_page(request: Request) -> Response:
    rows = await rows_of(AUDIT_SQL, int(request.query_params["project"]))
    page = connection_of(
        rows, audit_node, lambda row, node: cursor("audit", node["at"], row["id"]), True
    )
    return answer({"auditLog": page})


async def tokens_list(request: Request) -> Response:
    rows = await rows_of(TOKENS_SQL, int(request.query_params["project"]))
    return answer({"apiTokens": [token_node(row) for row in rows]})


def create_app(database_url: str) -> Starlette:
    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        async with RegisterTortoise(app, config=tortoise_config(database_url)):
            yield

    return Starlette(
        routes=[
            Route("/requests", requests_page),
            Route("/members", members_page),
            Route("/audit", audit_page),
            Route("/tokens", tokens_list),
            Route("/healthz", lambda _: Response("ok")),
        ],
        lifespan=lifespan,
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--database-url", required=True)
    parser.add_argument("--port", type=int, required=True)
    args = parser.parse_args()
    uvicorn.run(
        create_app(args.database_url),
        host="127.0.0.1",
        port=args.port,
        log_config=logging_config("INFO", "text"),
        proxy_headers=True,
    )


if __name__ == "__main__":
    main()
