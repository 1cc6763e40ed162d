"""Times every GraphQL operation, labelled by its type and root fields ("query project",
"mutation recordRequests"): a bounded set of labels, whatever names clients give."""

import time
from collections.abc import Iterator

from graphql import FieldNode
from graphql.utilities import get_operation_ast
from strawberry.extensions import SchemaExtension

from kernel.metrics import OPERATION_LATENCY

_LABELS_KEPT = 1024
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
            if operation is None:
                label = "invalid"
            else:
                roots = sorted(
                    {
                        s.name.value
                        for s in operation.selection_set.selections
                        if isinstance(s, FieldNode)
                    }
                )
                label = f"{operation.operation.value} {','.join(roots) or '-'}"
            if len(_labels) >= _LABELS_KEPT:
                _labels.clear()
            _labels[key] = label
        return label
