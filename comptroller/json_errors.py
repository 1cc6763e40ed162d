"""Errors of the plain-JSON routes: GraphQL's shape, the contract's codes, a matching status."""

import orjson
from starlette.responses import Response

from kernel.errors import AppError, ErrorCode

STATUS = {
    ErrorCode.UNAUTHENTICATED: 401,
    ErrorCode.FORBIDDEN: 403,
    ErrorCode.NOT_FOUND: 404,
    ErrorCode.BAD_USER_INPUT: 400,
    ErrorCode.RATE_LIMITED: 429,
}


def error_response(error: AppError) -> Response:
    response = json_response({"errors": [error.formatted]}, STATUS.get(error.code, 500))
    if response.status_code == 401:
        response.headers["www-authenticate"] = "Bearer"
    return response


def json_response(content: object, status: int) -> Response:
    return Response(orjson.dumps(content), status_code=status, media_type="application/json")
