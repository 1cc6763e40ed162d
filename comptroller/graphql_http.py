"""GraphQL over HTTP as the spec draft puts it (what graphql-http's audit checks).

- ``Accept: application/graphql-response+json`` is answered in that media type; a request
  error then (a document that does not parse or validate, variables that do not coerce) is
  HTTP 400 without a ``data`` entry. ``application/json`` clients keep status 200, as the
  spec asks for them.
- What Strawberry refuses before GraphQL starts (a batched array body, a body that is not
  JSON, an unsupported content type, a wrong method) is a JSON GraphQL error with
  ``BAD_USER_INPUT`` and Strawberry's status, instead of plain text.
"""

from typing import Any

import orjson
from cross_web import HTTPException
from starlette.requests import Request
from starlette.responses import Response
from starlette.types import Receive, Scope, Send
from strawberry.asgi import GraphQL
from strawberry.http import GraphQLHTTPResponse
from strawberry.types import ExecutionResult

from kernel.errors import BadUserInput
from schema.context import Context

JSON = "application/json"
GRAPHQL_RESPONSE = "application/graphql-response+json"

# Strawberry's reasons, in the contract's words (each names the part of the request at fault).
_REFUSALS = {
    "Batching is not enabled": (
        "body",
        "must be one GraphQL request object; batched (array) bodies are not supported",
    ),
    "Unable to parse request body as JSON": ("body", "is not valid JSON"),
    "Unsupported content type": ("content-type", "must be application/json"),
}


def accepted_media_type(accept: str | None) -> str:
    """graphql-response+json when the client accepts it at least as well as plain JSON."""
    weights: dict[str, float] = {}
    for part in (accept or "").split(","):
        media, *parameters = (piece.strip() for piece in part.split(";"))
        weight = 1.0
        for parameter in parameters:
            if parameter.startswith("q="):
                try:
                    weight = float(parameter[2:])
                except ValueError:
                    weight = 0.0
        media = media.lower()
        weights[media] = max(weights.get(media, 0.0), weight)
    preferred = weights.get(GRAPHQL_RESPONSE, 0.0)
    plain = max(weights.get(JSON, 0.0), weights.get("application/*", 0.0))
    return GRAPHQL_RESPONSE if preferred > 0 and preferred >= plain else JSON


def is_request_error(result: ExecutionResult) -> bool:
    """Refused before execution: no data, and no error belongs to a field."""
    errors = result.errors or []
    return result.data is None and bool(errors) and all(error.path is None for error in errors)


def _refusal(error: HTTPException, media_type: str) -> Response:
    argument, problem = _REFUSALS.get(error.reason, ("request", error.reason.rstrip(".")))
    body = {"errors": [BadUserInput(argument, problem).formatted]}
    return Response(orjson.dumps(body), status_code=error.status_code, media_type=media_type)


class GraphQLOverHTTP(GraphQL[Context, None]):
    """Strawberry's ASGI view with the spec's media type and JSON refusals."""

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await super().__call__(scope, receive, send)
            return
        request = Request(scope=scope, receive=receive)
        media_type = accepted_media_type(request.headers.get("accept"))
        try:
            response = await self.run(request)
        except HTTPException as error:
            response = _refusal(error, media_type)
        else:
            if response.media_type == JSON and media_type == GRAPHQL_RESPONSE:
                response.headers["content-type"] = f"{GRAPHQL_RESPONSE}; charset=utf-8"
                if getattr(request.state, "graphql_request_error", False):
                    response.status_code = 400
        await response(scope, receive, send)

    async def process_result(self, request: Any, result: ExecutionResult) -> GraphQLHTTPResponse:
        answer = await super().process_result(request, result)
        if isinstance(request, Request) and is_request_error(result):
            request.state.graphql_request_error = True
            if accepted_media_type(request.headers.get("accept")) == GRAPHQL_RESPONSE:
                answer.pop("data", None)
        return answer
