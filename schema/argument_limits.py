"""Limits on argument values, checked before anything executes (CONTRACT.md §6).

Depth, aliases, tokens and cost bound a document's shape; they do not bound what its
arguments carry: ``usage(filter: {assistantIds: [...100,000 ids]})`` is one field. Every list
in an argument (literal or from a variable, at any depth of an input object) may hold at most
``max_list_length`` items, and every page argument (``first``, ``limit``) lies in 1..100.
Over a limit, the operation answers ``BAD_USER_INPUT`` naming the argument, the limit and the
value, and nothing runs. ``recordRequests.records`` keeps its own batch limit.

Which arguments to look at is worked out once per document text; each request then reads only
those arguments' values.
"""

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from graphql import (
    ArgumentNode,
    DocumentNode,
    FieldNode,
    GraphQLArgument,
    GraphQLInputObjectType,
    GraphQLInputType,
    GraphQLList,
    GraphQLSchema,
    IntValueNode,
    ListValueNode,
    ObjectValueNode,
    TypeInfo,
    TypeInfoVisitor,
    ValueNode,
    VariableNode,
    Visitor,
    get_named_type,
    get_nullable_type,
    visit,
)
from graphql.type import GraphQLInt
from strawberry.extensions import SchemaExtension
from strawberry.types import ExecutionResult

from kernel.errors import BadUserInput
from resolvers.arguments import MAX_PAGE_SIZE

PAGE_ARGUMENTS = frozenset({"first", "limit"})
# Arguments with a limit of their own: a batch of records (resolvers.ingestion).
EXEMPT = frozenset({("Mutation", "recordRequests", "records")})
_PLANS_KEPT = 1024


class ArgumentTooLarge(BadUserInput):
    def __init__(self, argument: str, problem: str, limit: str, maximum: int) -> None:
        super().__init__(argument, problem)
        assert self.extensions is not None
        self.extensions.update(limit=limit, maximum=maximum)


@dataclass(frozen=True)
class Checked:
    """One argument of one field in the document whose value is checked."""

    name: str
    definition: GraphQLArgument
    value: ValueNode


class ArgumentLimits(SchemaExtension):
    def __init__(self, *, max_list_length: int) -> None:
        self.max_list_length = max_list_length

    def on_execute(self) -> Iterator[None]:
        execution = self.execution_context
        document = execution.graphql_document
        if document is not None and execution.query is not None:
            checked = _plan(execution.schema._schema, execution.query, document)
            variables = execution.variables or {}
            for argument in checked:
                problem = _problem(argument, variables, self.max_list_length)
                if problem is not None:
                    execution.result = ExecutionResult(data=None, errors=[problem])
                    break
        yield


_plans: dict[tuple[int, str], tuple[Checked, ...]] = {}


def _plan(schema: GraphQLSchema, query: str, document: DocumentNode) -> tuple[Checked, ...]:
    key = (id(schema), query)
    plan = _plans.get(key)
    if plan is None:
        if len(_plans) >= _PLANS_KEPT:
            _plans.clear()
        plan = _plans[key] = tuple(_arguments_to_check(schema, document))
    return plan


def _arguments_to_check(schema: GraphQLSchema, document: DocumentNode) -> Iterator[Checked]:
    type_info = TypeInfo(schema)
    found: list[Checked] = []

    fields: list[str] = []

    class Collect(Visitor):
        def enter_field(self, node: FieldNode, *_: Any) -> None:
            fields.append(node.name.value)

        def leave_field(self, *_: Any) -> None:
            fields.pop()

        def enter_argument(self, node: ArgumentNode, *_: Any) -> None:
            definition = type_info.get_argument()
            parent = type_info.get_parent_type()
            if definition is None or parent is None or not fields:
                return  # unknown: validation has refused the document already
            name = node.name.value
            if (parent.name, fields[-1], name) in EXEMPT:
                return
            if name in PAGE_ARGUMENTS or _may_hold_a_list(definition.type):
                found.append(Checked(name, definition, node.value))

    visit(document, TypeInfoVisitor(type_info, Collect()))
    yield from found


def _may_hold_a_list(type_: GraphQLInputType, seen: frozenset[str] = frozenset()) -> bool:
    nullable = get_nullable_type(type_)
    if isinstance(nullable, GraphQLList):
        return True
    if isinstance(nullable, GraphQLInputObjectType) and nullable.name not in seen:
        inner = seen | {nullable.name}
        return any(_may_hold_a_list(f.type, inner) for f in nullable.fields.values())
    return False


def _problem(
    argument: Checked, variables: Mapping[str, Any], max_list_length: int
) -> BadUserInput | None:
    name = argument.name
    if name in PAGE_ARGUMENTS and get_named_type(argument.definition.type) is (GraphQLInt):
        page = _int_of(argument.value, variables)
        if page is not None and not 1 <= page <= MAX_PAGE_SIZE:
            return ArgumentTooLarge(
                name,
                f"must be between 1 and {MAX_PAGE_SIZE} (got {page})",
                "page size",
                MAX_PAGE_SIZE,
            )
        return None
    return _list_problem(argument.value, argument.definition.type, variables, name, max_list_length)


def _int_of(node: ValueNode, variables: Mapping[str, Any]) -> int | None:
    if isinstance(node, IntValueNode):
        return int(node.value)
    if isinstance(node, VariableNode):
        value = variables.get(node.name.value)
        if isinstance(value, int) and not isinstance(value, bool):
            return value
    return None


def _too_long(path: str, length: int, maximum: int) -> BadUserInput:
    return ArgumentTooLarge(
        path,
        f"holds {length} items; at most {maximum} are allowed (max_list_length)",
        "max_list_length",
        maximum,
    )


def _list_problem(
    node: ValueNode,
    type_: GraphQLInputType,
    variables: Mapping[str, Any],
    path: str,
    maximum: int,
) -> BadUserInput | None:
    if isinstance(node, VariableNode):
        return _raw_problem(variables.get(node.name.value), type_, path, maximum)
    nullable = get_nullable_type(type_)
    if isinstance(nullable, GraphQLList):
        items = node.values if isinstance(node, ListValueNode) else (node,)
        if len(items) > maximum:
            return _too_long(path, len(items), maximum)
        for item in items:
            problem = _list_problem(item, nullable.of_type, variables, path, maximum)
            if problem is not None:
                return problem
    elif isinstance(nullable, GraphQLInputObjectType) and isinstance(node, ObjectValueNode):
        for field in node.fields:
            definition = nullable.fields.get(field.name.value)
            if definition is not None:
                inner = f"{path}.{field.name.value}"
                problem = _list_problem(field.value, definition.type, variables, inner, maximum)
                if problem is not None:
                    return problem
    return None


def _raw_problem(
    value: Any, type_: GraphQLInputType, path: str, maximum: int
) -> BadUserInput | None:
    nullable = get_nullable_type(type_)
    if isinstance(nullable, GraphQLList) and isinstance(value, list):
        if len(value) > maximum:
            return _too_long(path, len(value), maximum)
        for item in value:
            problem = _raw_problem(item, nullable.of_type, path, maximum)
            if problem is not None:
                return problem
    elif isinstance(nullable, GraphQLInputObjectType) and isinstance(value, dict):
        for name, inner in value.items():
            definition = nullable.fields.get(name)
            if definition is not None:
                problem = _raw_problem(inner, definition.type, f"{path}.{name}", maximum)
                if problem is not None:
                    return problem
    return None
