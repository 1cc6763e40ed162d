"""``POST /v1/requests``: ``recordRequests`` as plain JSON, for gateways that skip GraphQL.

The same bearer token, body ``{"records": [RequestRecordInput, ...]}`` (GraphQL field names),
the same checks and resolver, the same payload ``{"accepted": n, "duplicates": m}``. Errors
have GraphQL's shape, ``{"errors": [{"message", "extensions": {"code", ...}}]}``, with the
contract's codes and a matching HTTP status. Only the GraphQL layer is skipped: records are
read as the ``RequestRecordInput`` type of the schema says (``schema.records_json``: msgspec,
then ``RecordsCoercer`` and graphql-core when it declines), authorized by the policy's
``record_requests`` action, stored by ``resolvers.ingestion.recording.record_requests``.
"""

import logging

import orjson
from starlette.requests import ClientDisconnect, Request
from starlette.responses import Response
from starlette.routing import Route

from comptroller.request_ids import request_id_of
from kernel.errors import AppError, BadUserInput, ErrorCode
from resolvers.authentication import bearer_token
from resolvers.ingestion.recording import record_requests
from schema.context import build_context
from schema.records_json import JsonRecordsReader

logger = logging.getLogger("comptroller.ingestion")

PATH = "/v1/requests"
# 1,000 records of typical size are ~0.5 MB; records with 100,000-character inputs and
# outputs can reach 200 MB, which a gateway must split rather than hold in our memory.
MAX_BODY_BYTES = 64 * 1024 * 1024

_STATUS = {
    ErrorCode.UNAUTHENTICATED: 401,
    ErrorCode.FORBIDDEN: 403,
    ErrorCode.NOT_FOUND: 404,
    ErrorCode.BAD_USER_INPUT: 400,
    ErrorCode.RATE_LIMITED: 429,
}


class BodyTooLarge(BadUserInput):
    def __init__(self) -> None:
        super().__init__("body", f"must be at most {MAX_BODY_BYTES} bytes; send fewer records")


def ingestion_route(reader: JsonRecordsReader) -> Route:
    async def endpoint(request: Request) -> Response:
        request_id = request_id_of(request)
        try:
            payload = await _record(request, reader, request_id)
        except AppError as error:
            return _error_response(error)
        except ClientDisconnect:
            return Response(status_code=400)
        except Exception:
            # Logged with the id the client is given, as the GraphQL view does; the client
            # sees no detail.
            logger.exception("unexpected error in %s (request %s)", PATH, request_id)
            failure = AppError("Internal server error.", requestId=request_id)
            return _json({"errors": [failure.formatted]}, 500)
        return _json(payload, 200)

    return Route(PATH, endpoint, methods=["POST"])


async def _record(request: Request, reader: JsonRecordsReader, request_id: str) -> dict[str, int]:
    context = await build_context(
        token=bearer_token(request.headers.get("authorization")),
        policy=request.app.state.policy,
        cache=request.app.state.cache,
        request_id=request_id,
        request=request,
    )
    client = context.authorizer.require_gateway("record_requests")
    records = reader.read_body(await _body(request))
    outcome = await record_requests(client.project_id, client.token_id, records)
    return {"accepted": outcome.accepted, "duplicates": outcome.duplicates}


async def _body(request: Request) -> bytes:
    """The body, refused once it passes MAX_BODY_BYTES (before reading it, when declared)."""
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > MAX_BODY_BYTES:
        raise BodyTooLarge()
    chunks = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > MAX_BODY_BYTES:
            raise BodyTooLarge()
        chunks.append(chunk)
    return b"".join(chunks)


def _error_response(error: AppError) -> Response:
    status = 413 if isinstance(error, BodyTooLarge) else _STATUS.get(error.code, 500)
    response = _json({"errors": [error.formatted]}, status)
    if status == 401:
        response.headers["www-authenticate"] = "Bearer"
    return response


def _json(content: object, status: int) -> Response:
    return Response(orjson.dumps(content), status_code=status, media_type="application/json")
