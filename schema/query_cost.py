"""A ceiling on how many objects one document may ask for (CONTRACT.md §6, "cost").

Depth, alias and token limits do not stop ``projects(first: 100) { members(first: 100) {
auditLog(first: 100) … } }``. The cost of a document is the number of fields it may resolve:
each field counts once for every object its parent list may hold, and a field with a
``first`` argument multiplies what lies under it by that argument (its default when left
out, and the largest page when it comes from a variable, since validated documents are
cached without their variables).
"""

from typing import Any

from graphql import (
    DocumentNode,
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLError,
    GraphQLNamedType,
    GraphQLObjectType,
    GraphQLSchema,
    InlineFragmentNode,
    IntValueNode,
    OperationDefinitionNode,
    SelectionSetNode,
    TypeInfo,
    ValidationContext,
    ValidationRule,
    get_named_type,
)
from graphql.utilities import get_operation_ast

from resolvers.arguments import MAX_PAGE_SIZE


def cost_rule(max_cost: int) -> type[ValidationRule]:
    class QueryCost(ValidationRule):
        def enter_operation_definition(self, node: OperationDefinitionNode, *_: Any) -> None:
            schema = self.context.schema
            root = schema.get_root_type(node.operation)
            if root is None:
                return
            cost = _selection_cost(self.context, node.selection_set, root, set())
            if cost > max_cost:
                self.report_error(
                    GraphQLError(
                        f"The query exceeds the maximum cost of {max_cost} "
                        f"(it may resolve up to {cost} fields); ask for smaller pages.",
                        node,
                    )
                )

    return QueryCost


def operation_cost(
    schema: GraphQLSchema, document: DocumentNode, operation_name: str | None
) -> int:
    """The cost of the operation a request runs (what the rate limiter charges for)."""
    operation = get_operation_ast(document, operation_name)
    if operation is None:
        return 0
    root = schema.get_root_type(operation.operation)
    if root is None:
        return 0
    context = ValidationContext(schema, document, TypeInfo(schema), lambda _: None)
    return _selection_cost(context, operation.selection_set, root, set())


def _selection_cost(
    context: ValidationContext,
    selection_set: SelectionSetNode | None,
    parent: GraphQLNamedType,
    visiting: set[str],
) -> int:
    if selection_set is None or not isinstance(parent, GraphQLObjectType):
        return 0
    total = 0
    for selection in selection_set.selections:
        if isinstance(selection, FieldNode):
            total += _field_cost(context, selection, parent, visiting)
        elif isinstance(selection, InlineFragmentNode):
            condition = selection.type_condition
            target = parent if condition is None else context.schema.get_type(condition.name.value)
            if target is not None:
                total += _selection_cost(context, selection.selection_set, target, visiting)
        elif isinstance(selection, FragmentSpreadNode):
            name = selection.name.value
            fragment = context.get_fragment(name)
            if fragment is None or name in visiting:  # other rules report unknown and cycles
                continue
            total += _fragment_cost(context, fragment, visiting | {name})
    return total


def _fragment_cost(
    context: ValidationContext, fragment: FragmentDefinitionNode, visiting: set[str]
) -> int:
    target = context.schema.get_type(fragment.type_condition.name.value)
    if target is None:
        return 0
    return _selection_cost(context, fragment.selection_set, target, visiting)


def _field_cost(
    context: ValidationContext, node: FieldNode, parent: GraphQLObjectType, visiting: set[str]
) -> int:
    definition = parent.fields.get(node.name.value)
    if definition is None:  # introspection fields and unknown ones: other rules' business
        return 1
    inner = _selection_cost(context, node.selection_set, get_named_type(definition.type), visiting)
    return 1 + _page(node, definition.args) * inner


def _page(node: FieldNode, arguments: dict[str, Any]) -> int:
    if "first" not in arguments:
        return 1
    for argument in node.arguments or ():
        if argument.name.value == "first":
            if isinstance(argument.value, IntValueNode):
                return max(1, int(argument.value.value))
            return MAX_PAGE_SIZE  # a variable: validation is cached without variables
    default = arguments["first"].default_value
    return default if isinstance(default, int) else MAX_PAGE_SIZE
