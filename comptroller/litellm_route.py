"""``POST /v1/litellm``: the endpoint for LiteLLM's ``generic_api`` logging callback.

The body is what the callback posts: a JSON array of ``StandardLoggingPayload``s (its
default, one per flush), NDJSON, or a single payload; gzip is inflated. The caller is a
project API token (``GENERIC_LOGGER_HEADERS="Authorization=Bearer <token>"``). LiteLLM drops
a whole batch on any answer but 2xx and does not retry it, so a payload that cannot be
recorded (an unknown model, a bad value) is refused alone, inside a 200 answer:
``{"accepted": n, "duplicates": m, "rejected": [{"index", "id", "reason"}]}``. Only what
concerns the whole call (the token, an unreadable or oversized body) is an error, in the
contract's JSON shape.
"""

import logging

import orjson
from starlette.requests import ClientDisconnect, Request
from starlette.responses import Response
from starlette.routing import Route

from comptroller.gateway_bodies import (
    BodyTooLarge,
    UndecodableBody,
    UnsupportedEncoding,
    read_body,
    recording_client,
)
from comptroller.request_ids import request_id_of
from kernel.errors import AppError, BadUserInput, ErrorCode
from resolvers.ingestion.litellm_payloads import UnreadableBatch, records_of_batch
from resolvers.ingestion.named_records import record_named

logger = logging.getLogger("comptroller.litellm")

PATH = "/v1/litellm"
_STATUS = {
    ErrorCode.UNAUTHENTICATED: 401,
    ErrorCode.FORBIDDEN: 403,
    ErrorCode.NOT_FOUND: 403,
    ErrorCode.BAD_USER_INPUT: 400,
    ErrorCode.RATE_LIMITED: 429,
}


def litellm_route() -> Route:
    async def endpoint(request: Request) -> Response:
        try:
            return _json(await _record(request), 200)
        except AppError as error:
            status = _STATUS.get(error.code, 500)
            response = _json({"errors": [error.formatted]}, status)
            if status == 401:
                response.headers["www-authenticate"] = "Bearer"
            return response
        except (UndecodableBody, UnreadableBatch, UnsupportedEncoding) as error:
            return _error(BadUserInput("body", str(error)), 400)
        except BodyTooLarge as error:
            return _error(BadUserInput("body", str(error)), 413)
        except ClientDisconnect:
            return Response(status_code=400)
        except Exception:
            # Logged with the id the client is given; the client sees no detail.
            request_id = request_id_of(request)
            logger.exception("unexpected error in %s (request %s)", PATH, request_id)
            return _error(AppError("Internal server error.", requestId=request_id), 500)

    return Route(PATH, endpoint, methods=["POST"])


async def _record(request: Request) -> dict[str, object]:
    client = await recording_client(request)
    items = records_of_batch(await read_body(request))
    outcome = await record_named(client.project_id, client.token_id, items)
    return {
        "accepted": outcome.accepted,
        "duplicates": outcome.duplicates,
        "rejected": [
            {"index": each.index, "id": each.external_id, "reason": each.reason}
            for each in outcome.refused
        ],
    }


def _error(error: AppError, status: int) -> Response:
    return _json({"errors": [error.formatted]}, status)


def _json(content: object, status: int) -> Response:
    return Response(orjson.dumps(content), status_code=status, media_type="application/json")
