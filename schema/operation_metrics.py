"""Times every GraphQL operation, labelled by its type and root fields ("query project",
"mutation recordRequests"): a bounded set of labels, whatever names clients give.

The document is labelled before it is validated, so only names that are fields of the
operation's root type are used: any other is ``other``, an operation naming more than
``MAX_ROOTS_NAMED`` root fields is ``several``, and a document without the operation is
``invalid``.
"""

import time
from collections.abc import Iterator

from graphql import FieldNode, GraphQLSchema, OperationDefinitionNode
from graphql.utilities import get_operation_ast
from strawberry.extensions import SchemaExtension

from kernel.metrics import OPERATION_LATENCY

_LABELS_KEPT = 1024
MAX_ROOTS_NAMED = 3
META_FIELDS = frozenset({"__typename", "__schema", "__type"})
_labels: dict[tuple[str, str | None], str] = {}


class OperationMetrics(SchemaExtension):
    def on_operation(self) -> Iterator[None]:
        started = time.perf_counter()
        yield
        OPERATION_LATENCY.labels(self._label()).observe(time.perf_counter() - started)

    def _label(self) -> str:
        execution = self.execution_context
        document = execution.graphql_document
        if document is None or execution.query is None:
            return "invalid"
        key = (execution.query, execution.operation_name)
        label = _labels.get(key)
        if label is None:
            operation = get_operation_ast(document, execution.operation_name)
            label = (
                "invalid"
                if operation is None
                else operation_label(execution.schema._schema, operation)
            )
            if len(_labels) >= _LABELS_KEPT:
                _labels.clear()
            _labels[key] = label
        return label


def operation_label(schema: GraphQLSchema, operation: OperationDefinitionNode) -> str:
    """``"<type> <root fields>"``, naming only fields the schema's root type has."""
    root = schema.get_root_type(operation.operation)
    if root is None:
        return "invalid"
    known = root.fields.keys() | META_FIELDS
    names = {
        s.name.value if s.name.value in known else "other"
        for s in operation.selection_set.selections
        if isinstance(s, FieldNode)
    }
    if len(names) > MAX_ROOTS_NAMED:
        return f"{operation.operation.value} several"
    return f"{operation.operation.value} {','.join(sorted(names)) or '-'}"
