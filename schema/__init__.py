"""Builds the GraphQL schema: Query, Mutation, the limits and the error shaping."""

from typing import Any

import strawberry
from graphql import GraphQLError
from graphql.validation import NoSchemaIntrospectionCustomRule
from strawberry.extensions import (
    AddValidationRules,
    MaxAliasesLimiter,
    MaxTokensLimiter,
    ParserCache,
    QueryDepthLimiter,
)
from strawberry.schema.config import StrawberryConfig

from schema.argument_limits import ArgumentLimits
from schema.error_shaping import ErrorShaping
from schema.mutations import Mutation
from schema.operation_metrics import OperationMetrics
from schema.query import Query
from schema.query_cost import cost_rule
from schema.rate_limiting import RateLimiting
from schema.records_coercion import records_executor
from schema.response_cache import ResponseCaching
from schema.scalars import SCALAR_MAP
from schema.validation_cache import ValidationCacheByText


class Schema(strawberry.Schema):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # Read at every execution; it needs the GraphQL schema, which exists only now.
        self.execution_context_class = records_executor(self._schema)

    def process_errors(self, errors: list[GraphQLError], execution_context: Any = None) -> None:
        """Log nothing here: ``ErrorShaping`` logs the unexpected errors, with request ids,
        and an error the client caused (a denied field, a bad argument) is no incident."""


def build_schema(
    *,
    max_depth: int = 10,
    max_tokens: int = 5000,
    max_aliases: int = 30,
    max_cost: int = 25_000,
    max_list_length: int = 5000,
    introspection: bool = True,
) -> strawberry.Schema:
    # The rule classes are made once: the validation cache keys on them, and limiters made anew
    # for every request would make every document a cache miss (~2.5 ms each).
    rules = [
        *QueryDepthLimiter(max_depth=max_depth).validation_rules,
        *MaxAliasesLimiter(max_alias_count=max_aliases).validation_rules,
        cost_rule(max_cost),
        *(() if introspection else (NoSchemaIntrospectionCustomRule,)),
    ]
    return Schema(
        query=Query,
        mutation=Mutation,
        config=StrawberryConfig(disable_field_suggestions=True, scalar_map=SCALAR_MAP),
        extensions=[
            ErrorShaping,
            OperationMetrics,
            lambda: MaxTokensLimiter(max_token_count=max_tokens),
            lambda: AddValidationRules(rules),
            # Parsing and validating a document costs ~2.5 ms; clients repeat theirs.
            lambda: ParserCache(maxsize=1024),
            ValidationCacheByText,
            # Before the response cache: a refused operation is never served from it.
            lambda: ArgumentLimits(max_list_length=max_list_length),
            RateLimiting,
            ResponseCaching,
        ],
    )
