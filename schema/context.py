"""The typed context every resolver receives, and the ``Info`` that carries it."""

from dataclasses import dataclass, field

import strawberry
from starlette.requests import Request

from kernel.authorization import Authorizer, Policy
from kernel.cache import ResultCache
from kernel.errors import Unauthenticated
from kernel.principals import Principal
from kernel.rate_limits import RateLimiter
from resolvers.authentication import authenticate
from resolvers.dashboards.figure_cache import Aggregator
from resolvers.loaders import Loaders


@dataclass
class Context:
    request: Request | None
    authorizer: Authorizer
    cache: ResultCache
    request_id: str
    loaders: Loaders = field(default_factory=Loaders)
    rate_limiter: RateLimiter | None = None  # None: nothing is rate limited
    # Hosts an alert webhook may name although internal (COMPTROLLER_WEBHOOK_ALLOWED_HOSTS).
    webhook_allowed_hosts: frozenset[str] = frozenset()
    aggregator: Aggregator = field(init=False)

    def __post_init__(self) -> None:
        self.aggregator = Aggregator(self.cache)


Info = strawberry.Info[Context, None]


async def build_context(
    *,
    token: str | None,
    policy: Policy,
    cache: ResultCache,
    request_id: str,
    request: Request | None = None,
    rate_limiter: RateLimiter | None = None,
    webhook_allowed_hosts: frozenset[str] = frozenset(),
) -> Context:
    """Authenticate the bearer token (if any) and give the request its own context.

    A bad token does not fail the request here: every guarded field answers
    UNAUTHENTICATED, while introspection (for GraphiQL) still works.
    """
    principal: Principal | None = None
    failure: Unauthenticated | None = None
    if token is not None:
        try:
            principal = await authenticate(token)
        except Unauthenticated as error:
            failure = error
    return Context(
        request=request,
        authorizer=Authorizer(policy, principal, failure),
        cache=cache,
        request_id=request_id,
        rate_limiter=rate_limiter,
        webhook_allowed_hosts=webhook_allowed_hosts,
    )
