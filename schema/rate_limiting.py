"""Charges each operation to its caller's point budget before it runs (CONTRACT.md §6).

A query or mutation costs ``1 + cost // 1000`` points of the caller's GraphQL budget, where
cost is the document's (``schema.query_cost``): a small query costs 1 point, the largest
allowed one 26. ``recordRequests`` also spends one point per record of each batch from the
API token's ingestion budget, which is far larger: its resolver charges that, per root field,
so aliases and fragments cannot dodge it. Callers are people (by user, whatever their
token) and API clients (by token). Over budget, the operation answers ``RATE_LIMITED`` with
the reset time, and the HTTP view adds ``Retry-After`` and GitHub's ``X-RateLimit-*``
headers to every answer.
"""

from collections.abc import AsyncIterator

from graphql import DocumentNode, GraphQLSchema
from strawberry.extensions import SchemaExtension
from strawberry.types import ExecutionResult

from kernel.errors import RateLimited
from kernel.principals import ApiClientPrincipal, Principal, UserPrincipal
from kernel.rate_limits import RateLimiter
from schema.context import Context
from schema.query_cost import operation_cost

COST_PER_POINT = 1000
_PLANS_KEPT = 1024


_plans: dict[tuple[int, str, str | None], int] = {}


class RateLimiting(SchemaExtension):
    async def on_execute(self) -> AsyncIterator[None]:
        execution = self.execution_context
        context = execution.context
        limiter: RateLimiter | None = getattr(context, "rate_limiter", None)
        principal = context.authorizer.principal if limiter is not None else None
        document = execution.graphql_document
        if (
            execution.result is None
            and limiter is not None
            and principal is not None
            and document is not None
            and execution.query is not None
        ):
            points = _points(
                execution.schema._schema, execution.query, document, execution.operation_name
            )
            try:
                await spend_points(context, points)
            except RateLimited as refusal:
                execution.result = ExecutionResult(data=None, errors=[refusal])
        yield


async def spend_points(context: Context, points: int = 1) -> None:
    """Charge ``points`` to the caller's budget (an operation, or a route's call such as an
    export or GET /v1/admission): a person's GraphQL budget, an API client's gateway budget.
    The ``X-RateLimit-*`` headers are left for the answer; raises ``RateLimited`` over budget.
    Anonymous calls and a context without a limiter are not counted."""
    limiter = context.rate_limiter
    principal = context.authorizer.principal
    if limiter is None or principal is None:
        return
    # A gateway asks admission before every call it makes: its operations count against the
    # gateway budget (records and calls, 1,000,000 an hour by default), not the 5,000 points
    # sized for people's dashboards.
    budget = limiter.graphql if isinstance(principal, UserPrincipal) else limiter.ingestion
    spending = await limiter.spend(budget, caller_of(principal), points)
    if spending is None:
        return
    if context.request is not None:
        context.request.state.extra_headers = spending.headers()
    if not spending.allowed:
        raise spending.refusal(context.request_id)


def caller_of(principal: Principal) -> str:
    if isinstance(principal, UserPrincipal):
        return f"user:{principal.id}"
    assert isinstance(principal, ApiClientPrincipal)
    return f"api-token:{principal.token_id}"


def _points(
    schema: GraphQLSchema, query: str, document: DocumentNode, operation_name: str | None
) -> int:
    """The points of a document, worked out once per text (a document is a function of it)."""
    key = (id(schema), query, operation_name)
    points = _plans.get(key)
    if points is None:
        if len(_plans) >= _PLANS_KEPT:
            _plans.clear()
        cost = operation_cost(schema, document, operation_name)
        points = _plans[key] = 1 + cost // COST_PER_POINT
    return points
