"""Recording through either ingestion route, with one response shape for the tests."""

from dataclasses import dataclass
from typing import Any

from tests.support.graphql_client import GraphQLClient, Response
from tests.support.records import RECORD_REQUESTS

ROUTES = ("graphql", "json")


@dataclass(frozen=True)
class Gateway:
    """A gateway recording over GraphQL (``recordRequests``) or plain JSON
    (``POST /v1/requests``); the JSON route's payload is shown as ``data.recordRequests``."""

    api: GraphQLClient
    route: str

    async def record(self, secret: str, records: list[dict[str, Any]]) -> Response:
        if self.route == "graphql":
            return await self.api(RECORD_REQUESTS, {"records": records}, secret)
        return await self.post({"records": records}, secret)

    async def post(self, body: object, secret: str | None) -> Response:
        headers = {"Authorization": f"Bearer {secret}"} if secret else {}
        reply = await self.api.http.post("/v1/requests", json=body, headers=headers)
        return json_route_response(reply.status_code, reply.json(), reply.text)


def json_route_response(status_code: int, body: dict[str, Any], raw: str) -> Response:
    if status_code == 200:
        return Response(status_code, {"recordRequests": body}, [], raw)
    return Response(status_code, None, body["errors"], raw)
