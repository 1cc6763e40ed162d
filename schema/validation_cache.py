"""Validation results kept per query text.

Strawberry's ``ValidationCache`` keys its LRU on the parsed document, and hashing a document
walks its whole tree: ~0.1 ms a request, a tenth of a cached dashboard answer. A document is a
function of its text (``ParserCache`` parses each text once), so the text and the rules are
key enough.
"""

from collections.abc import Iterator

from graphql import GraphQLError
from strawberry.extensions import SchemaExtension
from strawberry.schema.schema import validate_document

_MAXSIZE = 1024
_validated: dict[tuple[object, ...], list[GraphQLError]] = {}


class ValidationCacheByText(SchemaExtension):
    def on_validate(self) -> Iterator[None]:
        execution = self.execution_context
        document = execution.graphql_document
        assert document is not None
        rules = tuple(execution.validation_rules)
        key = (id(execution.schema), execution.query, rules)
        errors = _validated.get(key)
        if errors is None:
            errors = validate_document(execution.schema._schema, document, rules)
            if len(_validated) >= _MAXSIZE:
                _validated.clear()  # a bounded cache; clients repeat a few documents
            _validated[key] = errors
        execution.pre_execution_errors = errors
        yield
