"""A small GraphQL-over-HTTP client for the tests."""

from dataclasses import dataclass
from typing import Any

import httpx


@dataclass(frozen=True)
class Response:
    status_code: int
    data: dict[str, Any] | None
    errors: list[dict[str, Any]]
    raw: str

    @property
    def codes(self) -> list[str]:
        return [error.get("extensions", {}).get("code") for error in self.errors]

    def ok(self) -> dict[str, Any]:
        """The data, asserting there were no errors."""
        assert not self.errors, self.errors
        assert self.data is not None
        return self.data


@dataclass
class GraphQLClient:
    http: httpx.AsyncClient

    async def __call__(
        self, query: str, variables: dict[str, Any] | None = None, token: str | None = None
    ) -> Response:
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        reply = await self.http.post(
            "/graphql", json={"query": query, "variables": variables or {}}, headers=headers
        )
        body = reply.json()
        return Response(
            status_code=reply.status_code,
            data=body.get("data"),
            errors=body.get("errors") or [],
            raw=reply.text,
        )


def bad_argument(response: Response) -> str:
    """The argument a single BAD_USER_INPUT error names (its message names it too); the
    field that refused it answers null."""
    assert response.codes == ["BAD_USER_INPUT"], response.raw
    (error,) = response.errors
    answered: Any = response.data
    for step in error.get("path") or ():
        if answered is None:
            break
        answered = answered[step]
    assert answered is None, response.raw
    argument: str = error["extensions"]["argument"]
    assert argument in error["message"]
    return argument
