"""``/graphql``: Strawberry's ASGI view, with every failure answered in the contract's shape.

Strawberry answers its own transport errors (a body that is not JSON, a wrong content type, a
batch) in plain text, and lets an exception in ``get_context`` (authentication, which reads
the database) escape to Starlette's plain-text 500. Here each becomes a GraphQL error with a
code and the request id; a database outage is ``SERVICE_UNAVAILABLE`` with HTTP 503 and
``Retry-After``; an operation past the time limit is cancelled and answers ``TIMEOUT``; a body
past the size limit is refused while it is read.
"""

import asyncio
import json
import logging
from dataclasses import dataclass
from typing import Any

import orjson
from cross_web import HTTPException
from starlette.requests import Request
from starlette.responses import Response
from starlette.types import Message, Receive, Scope, Send
from strawberry.asgi import GraphQL
from strawberry.http import GraphQLHTTPResponse
from strawberry.types import ExecutionResult

from comptroller.console.routes import graphiql_page
from comptroller.error_responses import (
    STATUS_BY_CODE,
    app_error_response,
    timeout_response,
    unexpected_error_response,
)
from comptroller.graphql_http import (
    accepted_media_type,
    in_media_type,
    mark_request_error,
    transport_refusal,
)
from comptroller.request_context import context_from_request
from comptroller.request_ids import request_id_of
from kernel.errors import AppError, ErrorCode, QueryTooComplex
from kernel.metrics import ERRORS
from kernel.outages import DATABASE_OUTAGES
from resolvers.authentication import bearer_token
from schema.context import Context
from schema.error_shaping import shape_errors

logger = logging.getLogger("comptroller")

# Codes that, when the whole answer failed with them, change the HTTP status: GraphQL over
# HTTP answers 200 for a document that executed, but a client that could not be served at
# all (a database outage, a spent rate limit) is best told so by the transport too.
_TRANSPORT_CODES = {ErrorCode.SERVICE_UNAVAILABLE, ErrorCode.RATE_LIMITED, ErrorCode.TIMEOUT}


@dataclass(frozen=True)
class ViewLimits:
    max_body_bytes: int
    operation_timeout_seconds: float


class BodyTooLarge(QueryTooComplex):
    def __init__(self, limit: int, size: int | None) -> None:
        seen = f"is {size} bytes" if size is not None else "is larger"
        super().__init__(
            f"The request body {seen}; the limit is {limit} bytes (max_body_bytes).",
            limit="max_body_bytes",
            maximum=limit,
        )


class GraphQLView(GraphQL[Context, None]):
    """Authenticates the caller, builds the request's typed context, shapes every error."""

    def __init__(self, *args: Any, limits: ViewLimits, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.limits = limits

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await super().__call__(scope, receive, send)
            return
        request = Request(scope, receive=self._limited(scope, receive))
        request_id = request_id_of(request)
        media_type = accepted_media_type(request.headers.get("accept"))
        deadline = asyncio.timeout(self.limits.operation_timeout_seconds)
        try:
            async with deadline:
                response = await self.run(request)
        except AppError as error:
            status = 413 if isinstance(error, BodyTooLarge) else None
            response = app_error_response(error, status)
        except HTTPException as error:
            # Strawberry's transport errors: the body is not a GraphQL request.
            response = app_error_response(transport_refusal(error, request_id), error.status_code)
        except TimeoutError as error:
            limit = self.limits.operation_timeout_seconds
            response = timeout_response(error, deadline.expired(), limit, request_id, "/graphql")
        except Exception as error:  # noqa: BLE001 - shaped and logged, never plain text
            response = unexpected_error_response(error, request_id, "/graphql")
        else:
            in_media_type(request, response, media_type)
            self._apply_transport_status(request, response)
        await response(scope, receive, send)

    def _limited(self, scope: Scope, receive: Receive) -> Receive:
        """``receive``, refusing a body past the limit: at once when its declared length is
        over, else as soon as what was read passes it (nothing larger is held in memory)."""
        limit = self.limits.max_body_bytes
        declared = next((v for k, v in scope.get("headers", ()) if k == b"content-length"), b"")
        if declared.isdigit() and int(declared) > limit:
            refusal = BodyTooLarge(limit, int(declared))

            async def refuse() -> Message:
                raise refusal

            return refuse
        read = 0

        async def counted() -> Message:
            nonlocal read
            message = await receive()
            if message["type"] == "http.request":
                read += len(message.get("body", b""))
                if read > limit:
                    raise BodyTooLarge(limit, None)
            return message

        return counted

    def _apply_transport_status(self, request: Request, response: Response) -> None:
        failed: ErrorCode | None = getattr(request.state, "failed_with", None)
        retry_after: object = getattr(request.state, "retry_after", None)
        if retry_after is not None:
            response.headers["retry-after"] = str(retry_after)
        if failed is not None and response.status_code == 200:
            response.status_code = STATUS_BY_CODE[failed]
        for name, value in getattr(request.state, "extra_headers", {}).items():
            response.headers[name] = value

    def decode_json(self, data: str | bytes) -> object:
        # A 1,000-record batch is ~500 kB: orjson reads it in a third of json's time (and
        # raises a json.JSONDecodeError subclass, which Strawberry answers with a 400).
        return orjson.loads(data)

    async def process_result(self, request: Any, result: ExecutionResult) -> GraphQLHTTPResponse:
        # The view parses documents itself before the schema's extensions see them, so its
        # syntax errors are shaped here; what ErrorShaping already shaped passes unchanged.
        if result.errors:
            result.errors = shape_errors(result.errors, request_id_of(request))
            codes = [(error.extensions or {}).get("code") for error in result.errors]
            for code in codes:
                ERRORS.labels(str(code)).inc()
            for error in result.errors:
                retry_after = (error.extensions or {}).get("retryAfter")
                if retry_after is not None:
                    request.state.retry_after = retry_after
            if result.data is None:
                failed = next((ErrorCode(c) for c in codes if c in _TRANSPORT_CODES), None)
                request.state.failed_with = failed
        answer = await super().process_result(request, result)
        mark_request_error(request, result, answer)
        return answer

    def encode_json(self, data: object) -> bytes:
        # Several times faster than json.dumps on a dashboard's answer; json.dumps takes what
        # orjson refuses (integers beyond 64 bits).
        try:
            return orjson.dumps(data)
        except TypeError:
            return json.dumps(data, separators=(",", ":")).encode()

    async def render_graphql_ide(self, request: Any) -> Response:
        # Strawberry's page loads React and GraphiQL from a CDN; ours serves them itself.
        return graphiql_page()

    async def get_context(self, request: Any, response: Any) -> Context:
        assert isinstance(request, Request)
        token = bearer_token(request.headers.get("authorization"))
        context = await context_from_request(request)
        if token is not None and DATABASE_OUTAGES.failing:  # authentication read the database
            DATABASE_OUTAGES.recovered()
        return context
