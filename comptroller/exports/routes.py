"""``GET /exports/requests.csv`` and ``GET /exports/{figure}.csv``.

Query-string parameters name GraphQL's arguments: ``project``; ``from``, ``to`` (ISO-8601
with offset), ``timezone``, ``granularity``; ``assistantId``, ``modelId``, ``apiTokenId``,
``userId`` (each repeatable), ``status``; the request log's ``content=true`` for input and
output; the figures' ``limit``, ``columns``, ``measure``. An unknown parameter is refused.
"""

import asyncio
import logging
from collections.abc import AsyncIterator, Sequence
from datetime import datetime
from typing import Any

from graphql import GraphQLError
from starlette.datastructures import QueryParams
from starlette.requests import Request
from starlette.responses import Response, StreamingResponse
from starlette.routing import Route
from strawberry import Schema

from comptroller.error_responses import STATUS_BY_CODE, app_error_response, timeout_response
from comptroller.exports.cells import csv_batch, csv_text
from comptroller.exports.figures import FIGURE_EXPORTS
from comptroller.request_context import context_from_request
from comptroller.request_ids import request_id_of
from kernel.authorization import Authorizer
from kernel.errors import AppError, BadUserInput, ErrorCode, NotFound
from resolvers.arguments import aware_instant, parse_id, parse_ids
from resolvers.dashboards.aggregates import UsageFilter
from resolvers.governance.projects import project_exists
from resolvers.request_export import export_columns, export_rows
from resolvers.request_log import RequestFilter
from schema.enums import RequestStatus
from schema.rate_limiting import spend_points

logger = logging.getLogger("comptroller.exports")

# The action that opens the request log, input and output included (CONTRACT.md §3).
REQUEST_LOG_ACTION = "read_requests"
# Each repeatable parameter: the filter's GraphQL field, and the resolvers' UsageFilter field.
LISTS = {
    "assistantId": ("assistantIds", "assistant_ids"),
    "modelId": ("modelIds", "model_ids"),
    "apiTokenId": ("apiTokenIds", "api_token_ids"),
    "userId": ("userIds", "user_ids"),
}
COMMON = {"project", "from", "to", *LISTS, "status"}
RANGE = {"timezone", "granularity"}
CSV_TYPE = "text/csv; charset=utf-8"


def _failed(errors: Sequence[GraphQLError]) -> Response:
    """An operation's first error as the route's answer (the schema shaped each: a code)."""
    first = errors[0]
    original = first if isinstance(first, AppError) else first.original_error
    if isinstance(original, AppError):
        return app_error_response(original)
    extensions = dict(first.extensions or {})
    try:
        code = ErrorCode(str(extensions.get("code")))
    except ValueError:
        code = ErrorCode.INTERNAL_SERVER_ERROR
    extensions["code"] = code.value
    return app_error_response(AppError(first.message, **extensions), STATUS_BY_CODE[code])


def _only(params: QueryParams, allowed: set[str]) -> None:
    for name in params:
        if name not in allowed:
            raise BadUserInput(name, "is not a parameter of this export")


def _one(params: QueryParams, name: str) -> str | None:
    values = params.getlist(name)
    if len(values) > 1:
        raise BadUserInput(name, "may be given once")
    return values[0] if values else None


def _required(params: QueryParams, name: str) -> str:
    value = _one(params, name)
    if value is None:
        raise BadUserInput(name, "is required")
    return value


def _instant(params: QueryParams, name: str) -> datetime | None:
    value = _one(params, name)
    if value is None:
        return None
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        raise BadUserInput(name, f"{value!r} is not an ISO-8601 date-time") from None
    return aware_instant(parsed, name)


def _status(params: QueryParams) -> RequestStatus | None:
    value = _one(params, "status")
    if value is None:
        return None
    try:
        return RequestStatus(value)
    except ValueError:
        raise BadUserInput("status", "must be SUCCESS or ERROR") from None


def _filename(name: str) -> dict[str, str]:
    return {"content-disposition": f'attachment; filename="{name}.csv"'}


async def _authorize_request_log(authorizer: Authorizer, project_id: int) -> None:
    """What ``project(id) { requests }`` asks of the policy, in the same order."""
    authorizer.require_platform("use_console")
    authorizer.require(project_id, REQUEST_LOG_ACTION)
    if not authorizer.roles_in(project_id) and not await project_exists(project_id):
        raise NotFound("Project not found.")


def _request_filter(params: QueryParams) -> RequestFilter:
    start, end = _instant(params, "from"), _instant(params, "to")
    if start is not None and end is not None and start >= end:
        raise BadUserInput("to", "must be after from")
    lists = {
        field: tuple(parse_ids(params.getlist(name), name)) if name in params else None
        for name, (_, field) in LISTS.items()
    }
    return RequestFilter(
        dimensions=UsageFilter(**lists, status=_status(params)), start=start, end=end
    )


async def request_log_csv(request: Request) -> Response:
    """The request log, newest first, streamed in batches of rows."""
    params = request.query_params
    try:
        _only(params, COMMON | {"content"})
        project_id = parse_id(_required(params, "project"), "project")
        filters = _request_filter(params)
        content = _one(params, "content") or "false"
        if content not in {"true", "false"}:
            raise BadUserInput("content", "must be true or false")
        context = await context_from_request(request)
        await spend_points(context)  # figures spend theirs as the operation they run
        await _authorize_request_log(context.authorizer, project_id)
    except AppError as error:
        return app_error_response(error)
    columns = export_columns(with_content=content == "true")
    kinds = [column.kind for column in columns]
    request_id = request_id_of(request)

    async def body() -> AsyncIterator[str]:
        yield csv_text([[column.name for column in columns]])
        try:
            async for batch in export_rows(project_id, filters, columns):
                yield csv_batch(batch, kinds)
        except Exception:
            # The status line is sent: the body stops short, and the log says why.
            logger.exception("request log export failed (request %s)", request_id)
            raise

    return StreamingResponse(body(), media_type=CSV_TYPE, headers=_filename("requests"))


def _variables(params: QueryParams, extra: tuple[str, ...]) -> dict[str, Any]:
    _only(params, COMMON | RANGE | set(extra))
    time_range: dict[str, Any] = {"from": _required(params, "from"), "to": _required(params, "to")}
    for name in RANGE:
        if (value := _one(params, name)) is not None:
            time_range[name] = value
    usage_filter: dict[str, Any] = {
        field: params.getlist(name) for name, (field, _) in LISTS.items() if name in params
    }
    if (status := _one(params, "status")) is not None:
        usage_filter["status"] = status
    variables: dict[str, Any] = {
        "project": _required(params, "project"),
        "range": time_range,
        "filter": usage_filter,
    }
    for name in extra:
        if (value := _one(params, name)) is not None:
            variables[name] = int(value) if name == "limit" and value.isdigit() else value
    return variables


def figure_route(schema: Schema, timeout_seconds: float) -> Route:
    async def endpoint(request: Request) -> Response:
        name = request.path_params["name"]
        export = FIGURE_EXPORTS.get(name)
        if export is None:
            known = ", ".join(["requests", *FIGURE_EXPORTS])
            return app_error_response(NotFound(f"No export {name!r}; there are {known}."))
        try:
            variables = _variables(request.query_params, export.extra)
            context = await context_from_request(request)
        except AppError as error:
            return app_error_response(error)
        # The deadline and TIMEOUT answer of /graphql (its statement cancelled on PostgreSQL
        # as there: the statement timeout is the connections').
        deadline = asyncio.timeout(timeout_seconds)
        try:
            async with deadline:
                result = await schema.execute(
                    export.document, variable_values=variables, context_value=context
                )
        except TimeoutError as error:
            return timeout_response(
                error, deadline.expired(), timeout_seconds, context.request_id, request.url.path
            )
        if result.errors:
            return _failed(result.errors)
        assert result.data is not None
        header, rows = export.table(result.data["project"]["report"])
        return Response(csv_text([header, *rows]), media_type=CSV_TYPE, headers=_filename(name))

    return Route("/exports/{name}.csv", endpoint, methods=["GET"])


def export_routes(schema: Schema, timeout_seconds: float) -> list[Route]:
    # The request log first: its path would otherwise match the figures' pattern.
    return [
        Route("/exports/requests.csv", request_log_csv, methods=["GET"]),
        figure_route(schema, timeout_seconds),
    ]
