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

from cross_web import HTTPException
from starlette.requests import Request
from starlette.responses import Response
from strawberry.http import GraphQLHTTPResponse
from strawberry.types import ExecutionResult

from comptroller.error_responses import code_for_status
from kernel.errors import AppError, BadUserInput, ErrorCode

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


def transport_refusal(error: HTTPException, request_id: str) -> AppError:
    """Strawberry's refusal of a body that is not a GraphQL request, in the contract's words:
    ``BAD_USER_INPUT`` naming the part of the request at fault, or the code of its status."""
    code = code_for_status(error.status_code)
    if code is ErrorCode.BAD_USER_INPUT:
        argument, problem = _REFUSALS.get(error.reason, ("request", error.reason.rstrip(".")))
        failure: AppError = BadUserInput(argument, problem)
    else:
        failure = AppError(error.reason)
    assert failure.extensions is not None
    failure.extensions["code"] = code.value
    failure.extensions["requestId"] = request_id
    return failure


def in_media_type(request: Request, response: Response, media_type: str) -> None:
    """Answer in graphql-response+json when asked: a request error is then HTTP 400."""
    if response.media_type == JSON and media_type == GRAPHQL_RESPONSE:
        response.headers["content-type"] = f"{GRAPHQL_RESPONSE}; charset=utf-8"
        if getattr(request.state, "graphql_request_error", False):
            response.status_code = 400


def mark_request_error(request: Any, result: ExecutionResult, answer: GraphQLHTTPResponse) -> None:
    """A request error (refused before execution) leaves out ``data`` in graphql-response+json,
    and is remembered for the status ``in_media_type`` gives."""
    if isinstance(request, Request) and is_request_error(result):
        request.state.graphql_request_error = True
        if accepted_media_type(request.headers.get("accept")) == GRAPHQL_RESPONSE:
            answer.pop("data", None)
