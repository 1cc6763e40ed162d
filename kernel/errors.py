"""The errors a client may see, each carrying one of the contract's codes (CONTRACT.md §6)."""

from enum import StrEnum
from typing import Any

from graphql import GraphQLError


class ErrorCode(StrEnum):
    UNAUTHENTICATED = "UNAUTHENTICATED"
    FORBIDDEN = "FORBIDDEN"
    NOT_FOUND = "NOT_FOUND"
    BAD_USER_INPUT = "BAD_USER_INPUT"
    QUERY_TOO_COMPLEX = "QUERY_TOO_COMPLEX"
    RATE_LIMITED = "RATE_LIMITED"
    INTERNAL_SERVER_ERROR = "INTERNAL_SERVER_ERROR"


class AppError(GraphQLError):
    """An error meant for the client: its message and code are shown as they are."""

    code: ErrorCode = ErrorCode.INTERNAL_SERVER_ERROR

    def __init__(self, message: str, **extensions: Any) -> None:
        super().__init__(message, extensions={"code": self.code.value, **extensions})


class Unauthenticated(AppError):
    code = ErrorCode.UNAUTHENTICATED

    def __init__(self, message: str = "A valid bearer token is required.") -> None:
        super().__init__(message)


class Forbidden(AppError):
    code = ErrorCode.FORBIDDEN

    def __init__(self, message: str = "You do not have permission to do this.") -> None:
        super().__init__(message)


class NotFound(AppError):
    code = ErrorCode.NOT_FOUND

    def __init__(self, message: str = "Not found.") -> None:
        super().__init__(message)


class BadUserInput(AppError):
    """Names the argument at fault in the message and in ``extensions.argument``."""

    code = ErrorCode.BAD_USER_INPUT

    def __init__(self, argument: str, problem: str) -> None:
        super().__init__(f"Invalid argument {argument}: {problem}", argument=argument)
        self.argument = argument
        self.problem = problem


class QueryTooComplex(AppError):
    code = ErrorCode.QUERY_TOO_COMPLEX


class RateLimited(AppError):
    code = ErrorCode.RATE_LIMITED
