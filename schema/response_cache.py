"""Whole responses to dashboard queries, cached: a repeated dashboard costs the
authentication, one version lookup and one cache read, not a GraphQL execution.

A document qualifies when its operation is a query whose only root field is ``project(id:)``
and which selects, of the project, only fields whose value is a function of the project's
requests, its catalog (names, settings, models, users) and the viewer's roles there: the
dashboards, the project's own plain fields, ``viewerRoles`` and ``viewerPermissions``. Its key
holds the document, the variables, the project, the viewer's roles and permissions there (as
decided by the policy, before the cache is read) and both versions of
``resolvers.data_versions``: nothing that names the viewer, and nothing that goes stale. Only
answers without errors are kept, so a denial is always decided afresh.

Answers are kept as JSON text: a few kilobytes each, where the decoded objects take fifty
times more, and nothing that a reader could mutate.
"""

import hashlib
import json
from collections.abc import AsyncIterator, Iterable
from dataclasses import dataclass

import orjson
from graphql import (
    DocumentNode,
    ExecutionResult,
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    InlineFragmentNode,
    OperationType,
    SelectionSetNode,
    StringValueNode,
    VariableNode,
)
from graphql.utilities import get_operation_ast
from strawberry.extensions import SchemaExtension

from kernel.errors import AppError
from kernel.principals import UserPrincipal
from resolvers.arguments import parse_id
from resolvers.data_versions import current_versions

# Fields of Project whose whole subtree depends only on what the key holds (ApiToken's
# lastUsedAt, say, changes on use: apiTokens and requests are left out).
PROJECT_FIELDS = frozenset(
    {
        "__typename", "id", "name", "description", "createdAt", "viewerRoles",
        "viewerPermissions", "usage", "tokenUsage", "userActivity",
    }
)  # fmt: skip
# Keys change with the versions, so entries never go stale: the TTL only frees memory.
TTL_SECONDS = 600
_PLANS_KEPT = 1024


class ResponseCaching(SchemaExtension):
    """Serves and keeps whole answers to dashboard documents."""

    async def on_execute(self) -> AsyncIterator[None]:
        execution = self.execution_context
        # An extension before this one has answered already (a limit refused the operation).
        key = None if execution.result is not None else await self._key()
        if key is None:
            yield
            return
        cache = execution.context.cache
        cached = await cache.get(key)
        if cached is not None:
            execution.result = ExecutionResult(data=orjson.loads(cached), errors=None)
            yield
            return
        yield
        result = execution.result
        if isinstance(result, ExecutionResult) and not result.errors and result.data:
            try:
                encoded = orjson.dumps(result.data).decode()
            except TypeError:  # an integer beyond 64 bits: served, not kept
                return
            await cache.set(key, encoded, TTL_SECONDS)

    async def _key(self) -> str | None:
        """The cache key of this execution, or None when its answer is not to be cached."""
        execution = self.execution_context
        document = execution.graphql_document
        if document is None or execution.query is None:
            return None
        plan = _plan(execution.query, execution.operation_name, document)
        if plan is None:
            return None
        # Only the variables the operation declares: others change nothing in the answer.
        given = execution.variables or {}
        variables = {name: given.get(name) for name in plan.variables}
        kind, name = plan.project
        raw_id = name if kind == "literal" else variables.get(name)
        if not isinstance(raw_id, str):
            return None
        try:
            project_id = parse_id(raw_id, "id")
        except AppError:
            return None
        authorizer = execution.context.authorizer
        principal = authorizer.principal
        if not isinstance(principal, UserPrincipal):
            return None
        actions = authorizer.project_actions(project_id)
        if "read" not in actions:
            return None  # the resolvers answer NOT_FOUND, and that is not kept
        versions = await current_versions(project_id)
        # On a miss the figures are computed under the same data version: no second read.
        execution.context.aggregator.know_version(project_id, versions.data)
        described = [
            execution.query,
            execution.operation_name,
            variables,
            sorted(principal.roles_in(project_id)),
            principal.is_superuser,
            sorted(actions),
        ]
        text = json.dumps(described, separators=(",", ":"), sort_keys=True, default=str)
        digest = hashlib.sha256(text.encode()).hexdigest()[:40]
        return f"response:{project_id}:{versions.catalog}:{versions.data}:{digest}"


# How a cacheable document names its project: ("variable", name) or ("literal", id).
ProjectArgument = tuple[str, str]


@dataclass(frozen=True)
class Plan:
    project: ProjectArgument
    variables: tuple[str, ...]  # the operation's, declared


_plans: dict[tuple[str, str | None], Plan | None] = {}


def _plan(query: str, operation_name: str | None, document: DocumentNode) -> Plan | None:
    """How to key a cacheable document's answers; None for any other document."""
    key = (query, operation_name)
    if key not in _plans:
        if len(_plans) >= _PLANS_KEPT:
            _plans.clear()
        project = cacheable_project(document, operation_name)
        operation = get_operation_ast(document, operation_name)
        declared = () if operation is None else operation.variable_definitions or ()
        _plans[key] = (
            None
            if project is None
            else Plan(project, tuple(v.variable.name.value for v in declared))
        )
    return _plans[key]


def cacheable_project(document: DocumentNode, operation_name: str | None) -> ProjectArgument | None:
    """How a cacheable document names its project; None when its answer is not cached."""
    operation = get_operation_ast(document, operation_name)
    if operation is None or operation.operation is not OperationType.QUERY:
        return None
    fragments = _fragments(document)
    roots = [f for f in _fields(operation.selection_set, fragments) if f.name.value != "__typename"]
    if len(roots) != 1 or roots[0].name.value != "project":
        return None
    (root,) = roots
    if root.selection_set is None:
        return None
    if any(f.name.value not in PROJECT_FIELDS for f in _fields(root.selection_set, fragments)):
        return None
    for argument in root.arguments or ():
        if argument.name.value != "id":
            continue
        if isinstance(argument.value, VariableNode):
            return ("variable", argument.value.name.value)
        if isinstance(argument.value, StringValueNode):
            return ("literal", argument.value.value)
    return None


def _fields(
    selections: SelectionSetNode, fragments: dict[str, FragmentDefinitionNode]
) -> Iterable[FieldNode]:
    """The fields of a selection set, through its fragments (cycles are invalid documents,
    refused by validation before execution)."""
    for selection in selections.selections:
        if isinstance(selection, FieldNode):
            yield selection
        elif isinstance(selection, InlineFragmentNode):
            yield from _fields(selection.selection_set, fragments)
        elif isinstance(selection, FragmentSpreadNode):
            fragment = fragments.get(selection.name.value)
            if fragment is not None:
                yield from _fields(fragment.selection_set, fragments)


def _fragments(document: DocumentNode) -> dict[str, FragmentDefinitionNode]:
    return {d.name.value: d for d in document.definitions if isinstance(d, FragmentDefinitionNode)}
