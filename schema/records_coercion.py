"""A fast path for coercing a batch of ``RequestRecordInput`` values, with graphql-core as
the judge of everything else.

graphql-core coerces a 1,000-record ``$records`` variable generically, field by field with
path bookkeeping and a nesting check first: ~15-35 ms a batch, a quarter of the request.
``RecordsCoercer`` does the same work for the shapes gateways send (a list of flat dicts of
strings, ints and ISO-8601 timestamps) in a few ms, and gives up (returns None) at the first
value it is not certain about; graphql-core then coerces the whole batch as before and writes
the errors. So the fast path never accepts what graphql-core would refuse, produces the
values graphql-core would produce, and never writes an error message of its own
(``tests/test_records_coercion.py`` compares both on generated batches).
"""

import math
from collections.abc import Callable
from typing import Any, ClassVar

from graphql import (
    DocumentNode,
    GraphQLEnumType,
    GraphQLError,
    GraphQLInputObjectType,
    GraphQLInputType,
    GraphQLList,
    GraphQLNonNull,
    GraphQLScalarType,
    GraphQLSchema,
    OperationDefinitionNode,
    Undefined,
    print_ast,
)
from graphql.execution import Executor
from graphql.utilities.coerce_input_value import coerce_default_value

from schema.plain_execution import PlainSelectionExecutor
from schema.records_reader import convert_records_variable
from schema.scalar_reading import MAX_INT, MIN_INT, plain_timestamp

RECORD_TYPE = "RequestRecordInput"


class _Refused(Exception):
    """A value the fast path leaves to graphql-core."""


# Coerces one present, non-null value, or raises _Refused.
_Leaf = Callable[[Any], Any]


def _leaf_coercer(leaf: GraphQLScalarType | GraphQLEnumType) -> _Leaf:
    """The common Python types inline, every other value through the type's own parser."""
    parse = leaf.coerce_input_value

    def by_parser(value: Any) -> Any:
        try:
            return parse(value)
        except Exception as error:  # any refusal is graphql-core's to explain
            raise _Refused from error

    if not isinstance(leaf, GraphQLScalarType):
        return by_parser
    if leaf.name == "String":
        return lambda value: value if type(value) is str else by_parser(value)
    if leaf.name == "ID":
        return lambda value: value if type(value) is str else by_parser(value)
    if leaf.name == "Int":
        return lambda value: (
            value if type(value) is int and MIN_INT <= value <= MAX_INT else by_parser(value)
        )
    if leaf.name == "Float":
        return lambda value: (
            value if type(value) is float and math.isfinite(value) else by_parser(value)
        )
    if leaf.name == "DateTime":

        def timestamp(value: Any) -> Any:
            if type(value) is str:
                read = plain_timestamp(value)
                if read is not None:
                    return read
            return by_parser(value)

        return timestamp
    return by_parser


class RecordsCoercer:
    """Coerces a list of ``RequestRecordInput`` values as graphql-core would, or declines."""

    def __init__(self, schema: GraphQLSchema) -> None:
        record_type = schema.type_map.get(RECORD_TYPE)
        assert isinstance(record_type, GraphQLInputObjectType)
        self.record_type = record_type
        self.list_type: GraphQLInputType = GraphQLNonNull(GraphQLList(GraphQLNonNull(record_type)))
        self._names = frozenset(record_type.fields)
        # (name, required, default or Undefined, coercer) per field, in the type's order.
        self._fields: list[tuple[str, bool, Any, _Leaf]] = []
        for name, field in record_type.fields.items():
            required = isinstance(field.type, GraphQLNonNull)
            leaf = field.type.of_type if required else field.type
            assert isinstance(leaf, (GraphQLScalarType, GraphQLEnumType)), "flat records only"
            assert field.out_name is None
            default = Undefined if required else coerce_default_value(field)
            self._fields.append((name, required, default, _leaf_coercer(leaf)))

    def coerce(self, value: object) -> list[dict[str, Any]] | None:
        """The coerced records, or None: then graphql-core must coerce (and explain) them."""
        if type(value) is not list:
            return None
        try:
            return [self._record(record) for record in value]
        except _Refused:
            return None

    def _record(self, record: object) -> dict[str, Any]:
        if type(record) is not dict or not record.keys() <= self._names:
            raise _Refused
        coerced: dict[str, Any] = {}
        get = record.get
        for name, required, default, leaf in self._fields:
            value = get(name, Undefined)
            if value is None or value is Undefined:
                if required:
                    raise _Refused
                if value is None:
                    coerced[name] = None
                elif default is not Undefined:
                    coerced[name] = default
                continue
            coerced[name] = leaf(value)
        return self.record_type.out_type(coerced)  # type: ignore[no-any-return]


def _records_variables(document: DocumentNode, operation_name: str | None) -> list[str]:
    """The variables of the operation to run declared as ``[RequestRecordInput!]!``."""
    for definition in document.definitions:
        if not isinstance(definition, OperationDefinitionNode):
            continue
        if operation_name is not None and (
            definition.name is None or definition.name.value != operation_name
        ):
            continue
        return [
            variable.variable.name.value
            for variable in definition.variable_definitions or ()
            if print_ast(variable.type) == f"[{RECORD_TYPE}!]!"
        ]
    return []


class RecordsExecutor(PlainSelectionExecutor):
    """The plain-selection executor, with ``$records`` variables coerced by ``RecordsCoercer`` and
    coercion errors written without suggestions.

    A variable the fast path coerced reaches graphql-core as an empty list (a valid value that
    costs nothing to coerce), and its coerced value is put in place afterwards. Anything the
    fast path declines, graphql-core coerces itself.
    """

    coercer: ClassVar[RecordsCoercer]

    @classmethod
    def build(
        cls,
        schema: GraphQLSchema,
        document: DocumentNode,
        root_value: Any = None,
        context_value: Any = None,
        raw_variable_values: dict[str, Any] | None = None,
        operation_name: str | None = None,
        *args: Any,
        **kwargs: Any,
    ) -> list[GraphQLError] | Executor[Any]:
        # The schema hides field suggestions (StrawberryConfig); graphql-core's coercion of
        # variables would still write "Did you mean 'modelId'?" mid-message, unlike the
        # plain-JSON route's reading of the same record.
        kwargs["hide_suggestions"] = True
        fast: dict[str, tuple[Any, list[Any]]] = {}
        raw_values = raw_variable_values or {}
        for name in _records_variables(document, operation_name) if raw_values else ():
            raw = raw_values.get(name)
            # msgspec first (the resolver's RecordInputs), then the coercer (graphql-core's
            # shape, a dict a record), then graphql-core itself.
            coerced = convert_records_variable(raw) or cls.coercer.coerce(raw)
            if coerced is not None:
                fast[name] = (raw, coerced)
        if fast:
            raw_variable_values = {**raw_values, **{name: [] for name in fast}}
        built = super().build(
            schema, document, root_value, context_value, raw_variable_values, operation_name,
            *args, **kwargs,
        )  # fmt: skip
        if fast and not isinstance(built, list):
            variables = built.variable_values
            for name, (raw, coerced) in fast.items():
                variables.coerced[name] = coerced
                variables.sources[name] = variables.sources[name]._replace(value=raw)
        return built


def records_executor(schema: GraphQLSchema) -> type[RecordsExecutor]:
    """The executor class for one schema (its coercer knows that schema's types)."""
    return type("RecordsExecutor", (RecordsExecutor,), {"coercer": RecordsCoercer(schema)})
