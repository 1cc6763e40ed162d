"""Charges each operation to its caller's point budget before it runs (CONTRACT.md §6).

A query or mutation costs ``1 + cost // 1000`` points of the caller's GraphQL budget, where
cost is the document's (``schema.query_cost``): a small query costs 1 point, the largest
allowed one 26. ``recordRequests`` alone costs one point per record from the API token's
ingestion budget instead, which is far larger. Callers are people (by user, whatever their
token) and API clients (by token). Over budget, the operation answers ``RATE_LIMITED`` with
the reset time, and the HTTP view adds ``Retry-After`` and GitHub's ``X-RateLimit-*``
headers to every answer.
"""

from collections.abc import AsyncIterator
from dataclasses import dataclass

from graphql import (
    DocumentNode,
    FieldNode,
    GraphQLSchema,
    ListValueNode,
    OperationType,
    VariableNode,
)
from graphql.utilities import get_operation_ast
from strawberry.extensions import SchemaExtension
from strawberry.types import ExecutionResult

from kernel.principals import ApiClientPrincipal, Principal, UserPrincipal
from kernel.rate_limits import RateLimiter
from schema.query_cost import operation_cost

COST_PER_POINT = 1000
INGESTION_FIELD = "recordRequests"
_PLANS_KEPT = 1024


@dataclass(frozen=True)
class Charge:
    """How an operation is charged: points, or one point per record of a variable/literal."""

    ingestion: bool
    points: int
    records_variable: str | None = None


_plans: dict[tuple[int, str, str | None], Charge] = {}


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
            charge = _charge(
                execution.schema._schema, execution.query, document, execution.operation_name
            )
            points = charge.points
            if charge.records_variable is not None:
                records = (execution.variables or {}).get(charge.records_variable)
                points = max(1, len(records)) if isinstance(records, list) else 1
            budget = limiter.ingestion if charge.ingestion else limiter.graphql
            spending = await limiter.spend(budget, caller_of(principal), points)
            if spending is not None:
                if context.request is not None:
                    context.request.state.extra_headers = spending.headers()
                if not spending.allowed:
                    refusal = spending.refusal(context.request_id)
                    execution.result = ExecutionResult(data=None, errors=[refusal])
        yield


def caller_of(principal: Principal) -> str:
    if isinstance(principal, UserPrincipal):
        return f"user:{principal.id}"
    assert isinstance(principal, ApiClientPrincipal)
    return f"api-token:{principal.token_id}"


def _charge(
    schema: GraphQLSchema, query: str, document: DocumentNode, operation_name: str | None
) -> Charge:
    """The charge of a document, worked out once per text (a document is a function of it)."""
    key = (id(schema), query, operation_name)
    charge = _plans.get(key)
    if charge is None:
        if len(_plans) >= _PLANS_KEPT:
            _plans.clear()
        charge = _plans[key] = _charge_of(schema, document, operation_name)
    return charge


def _charge_of(schema: GraphQLSchema, document: DocumentNode, operation_name: str | None) -> Charge:
    operation = get_operation_ast(document, operation_name)
    if operation is not None and operation.operation is OperationType.MUTATION:
        selections = operation.selection_set.selections
        roots = [s for s in selections if isinstance(s, FieldNode)]
        if (
            roots
            and len(roots) == len(selections)
            and all(r.name.value == INGESTION_FIELD for r in roots)
        ):
            return _ingestion_charge(roots)
    cost = operation_cost(schema, document, operation_name)
    return Charge(ingestion=False, points=1 + cost // COST_PER_POINT)


def _ingestion_charge(roots: list[FieldNode]) -> Charge:
    literal = 0
    variable: str | None = None
    for root in roots:
        for argument in root.arguments or ():
            if argument.name.value != "records":
                continue
            if isinstance(argument.value, ListValueNode):
                literal += len(argument.value.values)
            elif isinstance(argument.value, VariableNode) and len(roots) == 1:
                variable = argument.value.name.value
    return Charge(ingestion=True, points=max(1, literal), records_variable=variable)
