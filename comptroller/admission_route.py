"""``GET /v1/admission?modelId=..&assistantId=..``: ``Query.admission`` as plain JSON.

The same project API token, checks, policy action (``check_admission``) and cached answer as
the GraphQL field; the body is ``{"allowed", "reason", "month", "remainingBudget"}``, errors
``{"errors": [{"message", "extensions": {"code"}}]}`` with a matching HTTP status.
"""

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from comptroller.error_responses import app_error_response, json_response, unexpected_error_response
from comptroller.request_context import context_from_request
from comptroller.request_ids import request_id_of
from kernel.errors import AppError, BadUserInput
from resolvers.admission.cached import admission
from resolvers.arguments import NANOS_PER_USD, parse_id
from schema.rate_limiting import spend_points

PATH = "/v1/admission"
PARAMETERS = frozenset({"modelId", "assistantId"})


async def admission_endpoint(request: Request) -> Response:
    request_id = request_id_of(request)
    try:
        context = await context_from_request(request)
        client = context.authorizer.require_gateway("check_admission")
        await spend_points(context)
        query = request.query_params
        unknown = sorted(set(query) - PARAMETERS)
        if unknown:
            raise BadUserInput(unknown[0], "is not a parameter of this route")
        model = query.get("modelId")
        if model is None:
            raise BadUserInput("modelId", "is required")
        assistant = query.get("assistantId")
        answer = await admission(
            context.cache,
            client.project_id,
            parse_id(model, "modelId"),
            None if assistant is None else parse_id(assistant, "assistantId"),
            client.versions,
        )
    except AppError as error:
        return app_error_response(error)
    except Exception as error:  # noqa: BLE001 - shaped and logged, never plain text
        # A database outage is SERVICE_UNAVAILABLE; anything else is logged with the id the
        # client is given.
        return unexpected_error_response(error, request_id, PATH)
    remaining = answer.remaining_budget_nanos
    return json_response(
        {
            "allowed": answer.allowed,
            "reason": None if answer.reason is None else answer.reason.value,
            "month": answer.month,
            "remainingBudget": None if remaining is None else remaining / NANOS_PER_USD,
        },
        200,
    )


def admission_route() -> Route:
    return Route(PATH, admission_endpoint, methods=["GET"])
