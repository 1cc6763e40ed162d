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

from starlette.requests import ClientDisconnect, Request
from starlette.responses import Response
from starlette.routing import Route

from comptroller.error_responses import (
    app_error_response,
    json_response,
    unexpected_error_response,
)
from comptroller.gateway_bodies import (
    BodyTooLarge,
    UndecodableBody,
    UnsupportedEncoding,
    read_body,
    recording_client,
    spend_on_records,
)
from comptroller.request_ids import request_id_of
from kernel.errors import AppError, BadUserInput, ErrorCode
from resolvers.ingestion.litellm_payloads import UnreadableBatch, records_of_batch
from resolvers.ingestion.named_records import record_named

PATH = "/v1/litellm"


def litellm_route() -> Route:
    async def endpoint(request: Request) -> Response:
        try:
            return json_response(await _record(request), 200)
        except AppError as error:
            # A project that is not the token's own is FORBIDDEN to it, as on /v1/requests.
            return app_error_response(error, 403 if error.code is ErrorCode.NOT_FOUND else None)
        except (UndecodableBody, UnreadableBatch, UnsupportedEncoding) as error:
            return app_error_response(BadUserInput("body", str(error)), 400)
        except BodyTooLarge as error:
            return app_error_response(BadUserInput("body", str(error)), 413)
        except ClientDisconnect:
            return Response(status_code=400)
        except Exception as error:  # noqa: BLE001 - shaped and logged, never plain text
            # A database outage is SERVICE_UNAVAILABLE (LiteLLM drops the batch either way);
            # anything else is logged with the id the client is given.
            return unexpected_error_response(error, request_id_of(request), PATH)

    return Route(PATH, endpoint, methods=["POST"])


async def _record(request: Request) -> dict[str, object]:
    client = await recording_client(request)
    items = records_of_batch(await read_body(request))
    await spend_on_records(request, client, len(items))
    outcome = await record_named(client.project_id, client.token_id, items)
    return {
        "accepted": outcome.accepted,
        "duplicates": outcome.duplicates,
        "rejected": [
            {"index": each.index, "id": each.external_id, "reason": each.reason}
            for each in outcome.refused
        ],
    }
