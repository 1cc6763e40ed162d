"""``POST /v1/traces``: OpenTelemetry GenAI spans over OTLP/HTTP, answered per the OTLP/HTTP
specification.

Binary protobuf (``application/x-protobuf``) or OTLP JSON (``application/json``), gzip or not,
with the project API token as ``Authorization: Bearer``. The LLM-call spans become request
records (``resolvers.ingestion.otlp_spans``) stored by ``record_requests``; the answer is an
``ExportTraceServiceResponse`` in the request's encoding, whose ``partialSuccess`` counts and
explains the spans refused (an unknown model, a bad value), which clients do not retry.
Whole-request failures answer a ``google.rpc.Status`` in the same encoding: 400 undecodable,
401/403, 413 too large, 415 another media type, 429/503 with ``Retry-After`` (retryable).
"""

import logging

import orjson
from google.protobuf import json_format
from google.protobuf.message import DecodeError, Message
from google.rpc.code_pb2 import Code
from google.rpc.status_pb2 import Status
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import (
    ExportTracePartialSuccess,
    ExportTraceServiceResponse,
)
from starlette.requests import ClientDisconnect, Request
from starlette.responses import Response
from starlette.routing import Route
from tortoise.exceptions import DBConnectionError

from comptroller.gateway_bodies import (
    BodyTooLarge,
    UndecodableBody,
    UnsupportedEncoding,
    read_body,
    recording_client,
    spend_on_records,
)
from comptroller.otlp_json import decode_json
from comptroller.request_ids import request_id_of
from kernel.errors import AppError, ErrorCode
from resolvers.ingestion.named_records import Refusal, record_named
from resolvers.ingestion.otlp_spans import records_of_export
from resolvers.ingestion.otlp_view import ExportView, parse_export

logger = logging.getLogger("comptroller.otlp")

PATH = "/v1/traces"
PROTOBUF = "application/x-protobuf"
JSON = "application/json"
# How long a client should wait before retrying when the database is away.
UNAVAILABLE_RETRY_SECONDS = 5
RATE_LIMITED_RETRY_SECONDS = 1
# At most this many refusals are explained in the message; all are counted.
EXPLAINED = 10
_APP_ERRORS = {
    ErrorCode.UNAUTHENTICATED: (401, Code.UNAUTHENTICATED),
    ErrorCode.FORBIDDEN: (403, Code.PERMISSION_DENIED),
    ErrorCode.NOT_FOUND: (403, Code.PERMISSION_DENIED),
    ErrorCode.BAD_USER_INPUT: (400, Code.INVALID_ARGUMENT),
    ErrorCode.RATE_LIMITED: (429, Code.RESOURCE_EXHAUSTED),
}


def otlp_route() -> Route:
    async def endpoint(request: Request) -> Response:
        media_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
        if media_type not in (PROTOBUF, JSON):
            return _status(
                JSON, 415, Code.INVALID_ARGUMENT, f"Content-Type must be {PROTOBUF} or {JSON}"
            )
        try:
            return await _export(request, media_type)
        except AppError as error:
            status, code = _APP_ERRORS.get(error.code, (500, Code.INTERNAL))
            response = _status(media_type, status, code, error.message)
            if status == 401:
                response.headers["www-authenticate"] = "Bearer"
            if status == 429:
                response.headers["retry-after"] = str(RATE_LIMITED_RETRY_SECONDS)
            return response
        except UndecodableBody as error:
            return _status(media_type, 400, Code.INVALID_ARGUMENT, str(error))
        except BodyTooLarge as error:
            return _status(media_type, 413, Code.INVALID_ARGUMENT, str(error))
        except UnsupportedEncoding as error:
            return _status(media_type, 415, Code.INVALID_ARGUMENT, str(error))
        except ClientDisconnect:
            return Response(status_code=400)
        except (DBConnectionError, OSError, TimeoutError):
            request_id = request_id_of(request)
            logger.exception("database unavailable in %s (request %s)", PATH, request_id)
            response = _status(media_type, 503, Code.UNAVAILABLE, "Try again shortly.")
            response.headers["retry-after"] = str(UNAVAILABLE_RETRY_SECONDS)
            return response
        except Exception:
            # Logged with the id the client is given; the client sees no detail.
            request_id = request_id_of(request)
            logger.exception("unexpected error in %s (request %s)", PATH, request_id)
            return _status(
                media_type, 500, Code.INTERNAL, f"Internal server error (request {request_id})."
            )

    return Route(PATH, endpoint, methods=["POST"])


async def _export(request: Request, media_type: str) -> Response:
    client = await recording_client(request)
    body = await read_body(request)
    export = decode_protobuf(body) if media_type == PROTOBUF else decode_json(body, PATH)
    spans = records_of_export(export)
    await spend_on_records(request, client, len(spans))
    outcome = await record_named(client.project_id, client.token_id, spans)
    answer = ExportTraceServiceResponse()
    if outcome.refused:
        answer.partial_success.CopyFrom(
            ExportTracePartialSuccess(
                rejected_spans=len(outcome.refused), error_message=explained(outcome.refused)
            )
        )
    return _message(media_type, 200, answer)


def explained(refused: list[Refusal]) -> str:
    """What was refused and why, the first few spans by id."""
    shown = "; ".join(f"{each.external_id}: {each.reason}" for each in refused[:EXPLAINED])
    more = len(refused) - EXPLAINED
    rest = f"; and {more} more" if more > 0 else ""
    return f"{len(refused)} span(s) not recorded: {shown}{rest}"


def decode_protobuf(body: bytes) -> ExportView:
    try:
        return parse_export(body)
    except DecodeError as error:
        raise UndecodableBody(f"not an ExportTraceServiceRequest in protobuf ({error})") from None


def _message(media_type: str, status: int, message: Message) -> Response:
    if media_type == PROTOBUF:
        return Response(message.SerializeToString(), status_code=status, media_type=PROTOBUF)
    content = orjson.dumps(json_format.MessageToDict(message))
    return Response(content, status_code=status, media_type=JSON)


def _status(media_type: str, status: int, code: int, message: str) -> Response:
    return _message(media_type, status, Status(code=code, message=message))
