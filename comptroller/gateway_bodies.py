"""Reading what gateways' exporters post: bounded bodies, gzip included, and the caller as a
project API client allowed to record (the policy's ``record_requests``)."""

import zlib

from starlette.requests import Request

from comptroller.request_context import context_from_request
from comptroller.request_ids import request_id_of
from kernel.principals import ApiClientPrincipal
from kernel.rate_limits import spend_records

# What one export may hold once inflated: a batch of 1,000 calls with long prompts.
MAX_BODY_BYTES = 64 * 1024 * 1024
READ_CHUNK = 256 * 1024


class BodyTooLarge(Exception):
    def __init__(self) -> None:
        super().__init__(f"the body must be at most {MAX_BODY_BYTES} bytes, inflated")


class UndecodableBody(Exception):
    """A body that cannot be read at all: the protocol's 400."""


class UnsupportedEncoding(Exception):
    def __init__(self, encoding: str) -> None:
        super().__init__(f"Content-Encoding {encoding!r} is not supported; use gzip or none")


async def recording_client(request: Request) -> ApiClientPrincipal:
    """The calling API client, allowed to record into its own project; raises
    ``Unauthenticated`` or ``Forbidden`` (``AppError``s) otherwise."""
    context = await context_from_request(request)
    return context.authorizer.require_gateway("record_requests")


async def spend_on_records(request: Request, client: ApiClientPrincipal, records: int) -> None:
    """Charge ``records`` to the client's gateway budget, as ``POST /v1/requests`` does;
    raises ``RateLimited`` (an ``AppError``) over budget."""
    spending = await spend_records(request.app.state.rate_limiter, client.token_id, records)
    if spending is not None and not spending.allowed:
        raise spending.refusal(request_id_of(request))


async def read_body(request: Request) -> bytes:
    """The body, inflated when gzip, refused once it passes ``MAX_BODY_BYTES``."""
    encoding = request.headers.get("content-encoding", "identity").strip().lower()
    if encoding not in ("identity", "gzip", ""):
        raise UnsupportedEncoding(encoding)
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > MAX_BODY_BYTES:
        raise BodyTooLarge()
    chunks = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > MAX_BODY_BYTES:
            raise BodyTooLarge()
        chunks.append(chunk)
    body = b"".join(chunks)
    return inflated(body) if encoding == "gzip" else body


def inflated(body: bytes) -> bytes:
    """A gzip body inflated, at most ``MAX_BODY_BYTES`` of it (a small bomb stays small)."""
    inflater = zlib.decompressobj(wbits=zlib.MAX_WBITS | 16)
    try:
        data = inflater.decompress(body, MAX_BODY_BYTES + 1)
    except zlib.error as error:
        raise UndecodableBody(f"the gzip body cannot be inflated ({error})") from None
    if len(data) > MAX_BODY_BYTES:
        raise BodyTooLarge()
    if not inflater.eof:
        raise UndecodableBody("the gzip body is truncated")
    return data
