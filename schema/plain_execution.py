"""Plain fields at the cost of an attribute read, with graphql-core as the judge of the rest.

graphql-core executes every field alike: a path, a ``GraphQLResolveInfo``, the resolver
(Strawberry's wrapper around ``getattr`` for a field without one), two awaitable checks and
a recursive completion: ~4 µs a field, so a page of 50 requests (~700 fields) costs ~3 ms
before anything is read. Most fields of a list are plain: an attribute of a Strawberry
object, a scalar or an enum, or an object or list of plain fields again.

``PlainSelectionExecutor`` compiles each selection whose fields are all plain (once per
operation, for the field nodes graphql-core collected) into a function that reads the
attributes and coerces the leaves with the types' own ``coerce_output_value``, and runs it
where graphql-core would execute the fields or complete a list. At the first value it is not
certain about (a null for a non-null field, a value a leaf refuses, anything that raises) it
gives up, and graphql-core executes that object or list again from the start as it always
does, and writes the errors. Reading an attribute twice changes nothing, so the fast path
never answers what graphql-core would answer differently
(``tests/test_plain_execution.py`` compares both on the same documents).

Not plain, and so left to graphql-core: a field with a resolver or a field extension
(permission checks), arguments, abstract types, ``@defer``/``@stream``, and every field
while a schema extension wraps resolvers (``resolve`` hooks).
"""

import math
from collections.abc import Callable
from typing import Any

from graphql import (
    GraphQLBoolean,
    GraphQLFloat,
    GraphQLID,
    GraphQLInt,
    GraphQLList,
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLOutputType,
    GraphQLString,
    Undefined,
    is_leaf_type,
)
from graphql.execution.collect_fields import FieldDetailsList, GroupedFieldSet
from graphql.pyutils import Path
from strawberry.schema.schema import StrawberryGraphQLCoreExecutionContext
from strawberry.schema.schema_converter import GraphQLCoreConverter

MIN_INT = -(2**31)
MAX_INT = 2**31 - 1

# Completes a present (non-null) value; raises when graphql-core is to decide.
Complete = Callable[[Any], Any]


class Declined(Exception):
    """A value the fast path leaves to graphql-core."""


def _checked(coerce: Callable[[Any], Any]) -> Complete:
    """What graphql-core's ``complete_leaf_value`` accepts, or ``Declined``."""

    def complete(value: Any) -> Any:
        if isinstance(value, Exception):  # graphql-core raises it as the field's error
            raise Declined
        coerced = coerce(value)
        if coerced is None or coerced is Undefined:
            raise Declined
        return coerced

    return complete


def _leaf(leaf: Any) -> Complete:
    """The type's coercion, with the common Python types of graphql-core's own scalars
    answered inline (the same values ``coerce_output_value`` returns for them)."""
    checked = _checked(leaf.coerce_output_value)
    if leaf is GraphQLString or leaf is GraphQLID:
        return lambda value: value if type(value) is str else checked(value)
    if leaf is GraphQLInt:
        return lambda value: (
            value if type(value) is int and MIN_INT <= value <= MAX_INT else checked(value)
        )
    if leaf is GraphQLFloat:
        return lambda value: (
            value if type(value) is float and math.isfinite(value) else checked(value)
        )
    if leaf is GraphQLBoolean:
        return lambda value: value if type(value) is bool else checked(value)
    return checked


def _list(item: Complete, item_non_null: bool) -> Complete:
    def complete(values: Any) -> list[Any]:
        if type(values) is not list and type(values) is not tuple:
            raise Declined  # other iterables, async ones: graphql-core's
        completed: list[Any] = []
        append = completed.append
        for value in values:
            if value is None:
                if item_non_null:
                    raise Declined
                append(None)
            else:
                append(item(value))
        return completed

    return complete


class _NoValue:
    """The type of no value: what passes unchanged where no type does."""


def _passing(value_type: Any) -> type:
    """The Python type whose values a leaf answers unchanged (checked inline, before calling
    the field's completion): ``str`` for String and ID, ``bool`` for Boolean."""
    if value_type is GraphQLString or value_type is GraphQLID:
        return str
    if value_type is GraphQLBoolean:
        return bool
    return _NoValue


# Per field of a compiled object: response key, attribute (None: __typename, whose value is
# the last item), whether it is non-null, the type passing unchanged, how a value completes.
FieldPlan = tuple[str, str | None, bool, type, Any]


def _object(fields: list[FieldPlan]) -> Complete:
    plan = tuple(fields)

    def complete(source: Any) -> dict[str, Any]:
        completed: dict[str, Any] = {}
        for key, attribute, non_null, passing, complete_value in plan:
            if attribute is None:
                completed[key] = complete_value
                continue
            value = getattr(source, attribute)
            if value is None:
                if non_null:
                    raise Declined
                completed[key] = None
            elif type(value) is passing:
                completed[key] = value
            else:
                completed[key] = complete_value(value)
        return completed

    return complete


class PlainSelectionExecutor(StrawberryGraphQLCoreExecutionContext):
    """Strawberry's executor, with plain selections compiled (see the module's doc)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._plain = not getattr(self.middleware_manager, "middlewares", None)
        # Keyed by the id of what graphql-core collected (alive as long as this execution,
        # and held here too, so that no id is reused meanwhile).
        self._objects: dict[int, tuple[GroupedFieldSet, Complete | None]] = {}
        self._lists: dict[int, tuple[FieldDetailsList, Complete | None]] = {}

    def execute_fields(
        self,
        parent_type: GraphQLObjectType,
        source_value: Any,
        path: Path | None,
        grouped_field_set: GroupedFieldSet,
        position_context: Any,
    ) -> Any:
        if self._plain and position_context is None:
            complete = self._object_plan(parent_type, grouped_field_set)
            if complete is not None:
                try:
                    return complete(source_value)
                except Exception:  # noqa: BLE001, S110 - graphql-core decides and explains
                    pass
        return super().execute_fields(
            parent_type, source_value, path, grouped_field_set, position_context
        )

    def complete_list_value(
        self,
        return_type: GraphQLList[GraphQLOutputType],
        field_details_list: FieldDetailsList,
        info: Any,
        path: Path,
        result: Any,
        position_context: Any,
    ) -> Any:
        if self._plain and position_context is None and type(result) in (list, tuple):
            complete = self._list_plan(return_type, field_details_list)
            if complete is not None:
                try:
                    return complete(result)
                except Exception:  # noqa: BLE001, S110 - graphql-core decides and explains
                    pass
        return super().complete_list_value(
            return_type, field_details_list, info, path, result, position_context
        )

    def _object_plan(
        self, object_type: GraphQLObjectType, grouped_field_set: GroupedFieldSet
    ) -> Complete | None:
        cached = self._objects.get(id(grouped_field_set))
        if cached is not None and cached[0] is grouped_field_set:
            return cached[1]
        fields: list[FieldPlan] | None = []
        for key, details in grouped_field_set.items():
            field = self._field_plan(object_type, key, details)
            if field is None:
                fields = None
                break
            fields.append(field)  # type: ignore[union-attr]
        complete = None if fields is None else _object(fields)
        self._objects[id(grouped_field_set)] = (grouped_field_set, complete)
        return complete

    def _list_plan(
        self, list_type: GraphQLList[GraphQLOutputType], details: FieldDetailsList
    ) -> Complete | None:
        cached = self._lists.get(id(details))
        if cached is not None and cached[0] is details:
            return cached[1]
        complete = self._value_plan(list_type, details)
        self._lists[id(details)] = (details, complete)
        return complete

    def _field_plan(
        self, object_type: GraphQLObjectType, key: str, details: FieldDetailsList
    ) -> FieldPlan | None:
        if any(d.defer_usage is not None or d.fragment_variable_values for d in details):
            return None
        node = details[0].node
        name = node.name.value
        if name == "__typename":
            return (key, None, True, _NoValue, object_type.name)
        field = object_type.fields.get(name)
        if field is None or node.arguments or not getattr(field.resolve, "_is_default", False):
            return None
        definition = field.extensions.get(GraphQLCoreConverter.DEFINITION_BACKREF)
        # A field with extensions (a guard, permission classes) and no resolver of its own is
        # not plain: Strawberry marks it default all the same.
        if (
            definition is None
            or definition.default_resolver is not getattr
            or not definition.is_basic_field
        ):
            return None
        non_null = isinstance(field.type, GraphQLNonNull)
        value_type = field.type.of_type if non_null else field.type
        complete = self._value_plan(value_type, details)
        if complete is None:
            return None
        return (key, definition.python_name, non_null, _passing(value_type), complete)

    def _value_plan(self, value_type: Any, details: FieldDetailsList) -> Complete | None:
        """How a present value of a nullable type completes, if plainly."""
        if is_leaf_type(value_type):
            return _leaf(value_type)
        if isinstance(value_type, GraphQLList):
            if any(d.name.value == "stream" for d in details[0].node.directives or ()):
                return None
            item_type = value_type.of_type
            item_non_null = isinstance(item_type, GraphQLNonNull)
            item = self._value_plan(item_type.of_type if item_non_null else item_type, details)
            return None if item is None else _list(item, item_non_null)
        if isinstance(value_type, GraphQLObjectType) and value_type.is_type_of is None:
            grouped, new_defer_usages, _ = self.collect_subfields(value_type, details)
            if new_defer_usages:
                return None
            return self._object_plan(value_type, grouped)
        return None  # interfaces and unions
