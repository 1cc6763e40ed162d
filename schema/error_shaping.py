"""Shapes every error a client sees: a contract code on each, nothing internal in any.

- ``AppError``s (raised on purpose) pass as they are.
- Errors in the document or variables (parse, validation, coercion: they carry no path)
  become ``BAD_USER_INPUT``, or ``QUERY_TOO_COMPLEX`` when a limit refused the document.
- A database that cannot answer (down, restarting, not migrated) is ``SERVICE_UNAVAILABLE``
  with ``retryAfter`` and the request id, logged once per outage.
- Anything else is a bug: logged with the request id, shown as ``INTERNAL_SERVER_ERROR``
  with that id and no detail.
"""

import logging
import re
from collections.abc import Iterator

from graphql import GraphQLError
from strawberry.extensions import SchemaExtension

from kernel.errors import AppError, ErrorCode, ServiceUnavailable
from kernel.outages import DATABASE_OUTAGES, RETRY_AFTER_SECONDS, is_database_outage

logger = logging.getLogger("kernel.errors")

_TOO_COMPLEX = re.compile(
    r"exceeds maximum operation depth|aliases found\. Allowed|Document contains more than"
    r"|exceeds the maximum cost"
)
_SUGGESTION = re.compile(r"\s*Did you mean .*\?$")


class ErrorShaping(SchemaExtension):
    def on_operation(self) -> Iterator[None]:
        yield
        result = self.execution_context.result
        if result is None or not result.errors:
            return
        context = self.execution_context.context
        request_id = getattr(context, "request_id", "-")
        result.errors = shape_errors(result.errors, request_id)


def shape_errors(errors: list[GraphQLError], request_id: str) -> list[GraphQLError]:
    return [shape_error(error, request_id) for error in errors]


def shape_error(error: GraphQLError, request_id: str) -> GraphQLError:
    original = error.original_error
    if isinstance(original, AppError) or (error.extensions or {}).get("code"):
        return error
    if original is not None and is_database_outage(original):
        DATABASE_OUTAGES.failed(original, "requests answer SERVICE_UNAVAILABLE")
        unavailable = ServiceUnavailable(RETRY_AFTER_SECONDS, request_id)
        return GraphQLError(
            unavailable.message,
            nodes=error.nodes,
            source=error.source,
            positions=error.positions,
            path=error.path,
            extensions=unavailable.extensions,
        )
    if error.path is None and (original is None or not _is_bug(original)):
        message = _SUGGESTION.sub("", error.message)
        code = (
            ErrorCode.QUERY_TOO_COMPLEX
            if _TOO_COMPLEX.search(message)
            else ErrorCode.BAD_USER_INPUT
        )
        return GraphQLError(
            message,
            nodes=error.nodes,
            source=error.source,
            positions=error.positions,
            extensions={"code": code.value},
        )
    logger.error(
        "unexpected error in %s (request %s)",
        ".".join(str(p) for p in error.path or ()),
        request_id,
        exc_info=original or error,
    )
    return GraphQLError(
        "Internal server error.",
        nodes=error.nodes,
        source=error.source,
        positions=error.positions,
        path=error.path,
        extensions={"code": ErrorCode.INTERNAL_SERVER_ERROR.value, "requestId": request_id},
    )


def _is_bug(original: Exception) -> bool:
    """Parsing and coercing a client's document and variables raise GraphQLError, ValueError
    or TypeError before execution; any other exception there is ours."""
    return not isinstance(original, (GraphQLError, ValueError, TypeError))
