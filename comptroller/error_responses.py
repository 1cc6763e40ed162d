"""Errors as HTTP answers: the contract's JSON shape on every route, whatever went wrong.

``{"errors": [{"message", "extensions": {"code", ...}}]}`` with the HTTP status that goes
with the code, ``Retry-After`` when retrying helps, and never a stack trace or SQL. Three
doors lead here: an ``AppError`` a route raises on purpose, an exception nobody expected
(``FailureShaping``, a middleware around every route), and Starlette's own ``HTTPException``
(an unknown path, a wrong method).
"""

import logging

import orjson
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from comptroller.request_ids import request_id_of
from kernel.errors import AppError, ErrorCode, OperationTimeout, ServiceUnavailable
from kernel.metrics import ERRORS
from kernel.outages import DATABASE_OUTAGES, RETRY_AFTER_SECONDS, is_database_outage

logger = logging.getLogger("comptroller.errors")

STATUS_BY_CODE = {
    ErrorCode.UNAUTHENTICATED: 401,
    ErrorCode.FORBIDDEN: 403,
    ErrorCode.NOT_FOUND: 404,
    ErrorCode.BAD_USER_INPUT: 400,
    ErrorCode.QUERY_TOO_COMPLEX: 400,
    ErrorCode.RATE_LIMITED: 429,
    ErrorCode.INTERNAL_SERVER_ERROR: 500,
    ErrorCode.SERVICE_UNAVAILABLE: 503,
    ErrorCode.TIMEOUT: 504,
}


def json_response(content: object, status: int, headers: dict[str, str] | None = None) -> Response:
    return Response(
        orjson.dumps(content), status_code=status, media_type="application/json", headers=headers
    )


def retry_headers(error: AppError) -> dict[str, str]:
    """``Retry-After`` (and ``WWW-Authenticate``) for an error whose code calls for them."""
    extensions = error.extensions or {}
    headers = {}
    if "retryAfter" in extensions:
        headers["retry-after"] = str(extensions["retryAfter"])
    if error.code is ErrorCode.UNAUTHENTICATED:
        headers["www-authenticate"] = "Bearer"
    return headers


def app_error_response(error: AppError, status: int | None = None) -> Response:
    ERRORS.labels(str((error.extensions or {}).get("code", error.code.value))).inc()
    return json_response(
        {"errors": [error.formatted]},
        status or STATUS_BY_CODE.get(error.code, 500),
        retry_headers(error),
    )


def unexpected_error_response(error: BaseException, request_id: str, where: str) -> Response:
    """A database outage as SERVICE_UNAVAILABLE (one log line per outage), anything else as
    INTERNAL_SERVER_ERROR (logged with its traceback under the request id)."""
    if is_database_outage(error):
        DATABASE_OUTAGES.failed(error, "requests answer SERVICE_UNAVAILABLE")
        return app_error_response(ServiceUnavailable(RETRY_AFTER_SECONDS, request_id))
    logger.error("unexpected error in %s (request %s)", where, request_id, exc_info=error)
    failure = AppError("Internal server error.", requestId=request_id)
    return app_error_response(failure, 500)


def timeout_response(
    error: TimeoutError, deadline_expired: bool, limit: float, request_id: str, where: str
) -> Response:
    """An operation cancelled at its deadline as TIMEOUT; a timeout before it (a connection's
    own: the database's, Redis's) as the outage it is."""
    if not deadline_expired:
        return unexpected_error_response(error, request_id, where)
    logger.warning("operation cancelled after %g s (request %s)", limit, request_id)
    return app_error_response(OperationTimeout(limit, request_id))


def code_for_status(status: int) -> ErrorCode:
    """The contract's code for a transport's own refusal (a 404, a 405, a 400 ...)."""
    if status >= 500:
        return ErrorCode.INTERNAL_SERVER_ERROR
    return {
        401: ErrorCode.UNAUTHENTICATED,
        403: ErrorCode.FORBIDDEN,
        404: ErrorCode.NOT_FOUND,
        429: ErrorCode.RATE_LIMITED,
    }.get(status, ErrorCode.BAD_USER_INPUT)


async def http_exception_response(request: Request, error: Exception) -> Response:
    """Starlette's 404 and 405 (and any HTTPException a route raises) in the contract's shape."""
    assert isinstance(error, HTTPException)
    code = code_for_status(error.status_code)
    ERRORS.labels(code.value).inc()
    body = {
        "errors": [
            {
                "message": error.detail,
                "extensions": {"code": code.value, "requestId": request_id_of(request)},
            }
        ]
    }
    return json_response(body, error.status_code, dict(error.headers or {}))


class FailureShaping:
    """Turns an exception that escapes a route or a middleware into a JSON answer.

    Installed inside Starlette's ``ServerErrorMiddleware``, so that nothing reaches its
    plain-text "Internal Server Error". An exception after the answer has begun cannot
    change it: it is logged and the connection closed, as before.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = False

        async def tracking_send(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, receive, tracking_send)
        except Exception as error:
            if started:
                raise
            request = Request(scope, receive)
            response = unexpected_error_response(error, request_id_of(request), scope["path"])
            await response(scope, receive, send)
