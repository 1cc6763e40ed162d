"""``POST /v1/requests``: ``recordRequests`` as plain JSON, for gateways that skip GraphQL.

The same bearer token, body ``{"records": [RequestRecordInput, ...]}`` (GraphQL field names),
the same checks and resolver, the same payload ``{"accepted": n, "duplicates": m}``. Errors
have GraphQL's shape, ``{"errors": [{"message", "extensions": {"code", ...}}]}``, with the
contract's codes and a matching HTTP status. Only the GraphQL layer is skipped: records are
read as the ``RequestRecordInput`` type of the schema says (``schema.records_json``: msgspec,
then ``RecordsCoercer`` and graphql-core when it declines), authorized by the policy's
``record_requests`` action, stored by ``resolvers.ingestion.recording.record_requests``.
"""

import asyncio

from starlette.requests import ClientDisconnect, Request
from starlette.responses import Response
from starlette.routing import Route

from comptroller.error_responses import (
    app_error_response,
    json_response,
    timeout_response,
    unexpected_error_response,
)
from comptroller.request_context import context_from_request
from comptroller.request_ids import request_id_of
from kernel.errors import AppError, BadUserInput
from kernel.metrics import count_ingested
from kernel.rate_limits import RateLimiter, spend_records
from resolvers.ingestion.recording import record_requests
from schema.records_json import JsonRecordsReader

PATH = "/v1/requests"
# 1,000 records of typical size are ~0.5 MB; records with 100,000-character inputs and
# outputs can reach 200 MB, which a gateway must split rather than hold in our memory.
MAX_BODY_BYTES = 64 * 1024 * 1024


class BodyTooLarge(BadUserInput):
    def __init__(self) -> None:
        super().__init__("body", f"must be at most {MAX_BODY_BYTES} bytes; send fewer records")


def ingestion_route(reader: JsonRecordsReader, timeout_seconds: float) -> Route:
    async def endpoint(request: Request) -> Response:
        request_id = request_id_of(request)
        deadline = asyncio.timeout(timeout_seconds)
        try:
            # Past the limit the batch is cancelled and rolled back: nothing of it is stored.
            async with deadline:
                payload = await _record(request, reader, request_id)
        except TimeoutError as error:
            return timeout_response(error, deadline.expired(), timeout_seconds, request_id, PATH)
        except AppError as error:
            return _with_rate_headers(request, _error_response(error))
        except ClientDisconnect:
            return Response(status_code=400)
        except Exception as error:  # noqa: BLE001 - shaped and logged, never plain text
            # A database outage is SERVICE_UNAVAILABLE (the batch was not stored: the gateway
            # retries it, and idempotency keys make the retry safe); anything else is logged
            # with the id the client is given, as the GraphQL view does.
            return unexpected_error_response(error, request_id, PATH)
        return _with_rate_headers(request, json_response(payload, 200))

    return Route(PATH, endpoint, methods=["POST"])


async def _record(request: Request, reader: JsonRecordsReader, request_id: str) -> dict[str, int]:
    context = await context_from_request(request)
    client = context.authorizer.require_gateway("record_requests")
    records = reader.read_body(await _body(request))
    limiter: RateLimiter = request.app.state.rate_limiter
    spending = await spend_records(limiter, client.token_id, len(records))
    if spending is not None:
        request.state.extra_headers = spending.headers()
        if not spending.allowed:
            raise spending.refusal(request_id)
    outcome = await record_requests(client.project_id, client.token_id, records)
    count_ingested(outcome.accepted, outcome.duplicates)
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


def _with_rate_headers(request: Request, response: Response) -> Response:
    for name, value in getattr(request.state, "extra_headers", {}).items():
        response.headers[name] = value
    return response


def _error_response(error: AppError) -> Response:
    return app_error_response(error, 413 if isinstance(error, BodyTooLarge) else None)
