"""The GraphQL context of an HTTP request, built one way for every route that reads it."""

from starlette.requests import Request

from comptroller.request_ids import request_id_of
from resolvers.authentication import bearer_token
from schema.context import Context, build_context


async def context_from_request(request: Request) -> Context:
    """The request's context: its bearer token authenticated, with the app's policy, cache,
    rate limiter and webhook allowances (``open_services``)."""
    state = request.app.state
    return await build_context(
        token=bearer_token(request.headers.get("authorization")),
        policy=state.policy,
        cache=state.cache,
        request_id=request_id_of(request),
        request=request,
        rate_limiter=state.rate_limiter,
        webhook_allowed_hosts=state.webhook_allowed_hosts,
    )
