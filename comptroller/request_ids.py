"""Request ids: what ties an error a client sees to the server's log line."""

import re
import uuid

from starlette.requests import Request

_SANE_REQUEST_ID = re.compile(r"[A-Za-z0-9._-]{1,64}")


def request_id_of(request: Request) -> str:
    """The id that ties a client's error to the server's log line: the caller's
    ``X-Request-Id`` when it sends a sane one, else a new one, fixed for the request."""
    known: str | None = getattr(request.state, "request_id", None)
    if known is None:
        given = request.headers.get("x-request-id", "")
        known = given if _SANE_REQUEST_ID.fullmatch(given) else uuid.uuid4().hex
        request.state.request_id = known
    return known
