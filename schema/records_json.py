"""Records sent as plain JSON rather than as a GraphQL variable: the body of ``POST
/v1/requests`` and each line of a JSON Lines file (``comptroller import-requests``).

Both are read as ``recordRequests`` reads its ``$records`` variable: by msgspec
(``records_reader``), else by ``RecordsCoercer``, else by graphql-core, which refuses in its
own words, naming the record and the field (``records[2].durationMs``). So every route
accepts the same records and refuses the others alike.
"""

from typing import Any

import orjson
from graphql import GraphQLError, GraphQLSchema, Undefined
from graphql.utilities import coerce_input_value, validate_input_value

from kernel.errors import BadUserInput
from resolvers.ingestion.record import RecordInput
from resolvers.ingestion.validation import check_batch_size
from schema.mutations.ingestion import records_from_coerced
from schema.records_coercion import RecordsCoercer
from schema.records_reader import decode_record_line, decode_records_body

# A line holds what a body holds at records[0]: its errors name that record.
LINE_RECORD = "records[0]"


class JsonRecordsReader:
    """Reads records from JSON as the schema's ``RequestRecordInput`` type says, or raises
    ``BadUserInput``."""

    def __init__(self, schema: GraphQLSchema) -> None:
        self.coercer = RecordsCoercer(schema)

    def read_body(self, body: bytes) -> list[RecordInput]:
        """The records of a body ``{"records": [...]}``."""
        decoded = decode_records_body(body)
        if decoded is not None:
            check_batch_size(len(decoded))
            return decoded
        try:
            document = orjson.loads(body)
        except orjson.JSONDecodeError as error:
            raise BadUserInput("body", f"is not valid JSON ({error})") from None
        if type(document) is not dict or document.keys() != {"records"}:
            raise BadUserInput("body", 'must be a JSON object with one key, "records"')
        raw = document["records"]
        if type(raw) is not list:
            raise BadUserInput("records", "must be an array of records")
        check_batch_size(len(raw))
        return self._records_of(raw)

    def read_line(self, line: bytes) -> RecordInput:
        """The record of one line of JSON Lines; its errors name ``records[0]``."""
        decoded = decode_record_line(line)
        if decoded is not None:
            return decoded
        try:
            value = orjson.loads(line)
        except orjson.JSONDecodeError as error:
            raise BadUserInput(LINE_RECORD, f"is not valid JSON ({error})") from None
        [record] = self._records_of([value])
        return record

    def _records_of(self, raw: list[Any]) -> list[RecordInput]:
        coerced = self.coercer.coerce(raw)
        if coerced is None:
            coerced = self._coerced_by_graphql_core(raw)
        return records_from_coerced(coerced)

    def _coerced_by_graphql_core(self, raw: list[Any]) -> list[dict[str, Any]]:
        """What the fast path declined, coerced, or refused naming the record and field, in
        graphql-core's words (the GraphQL route's)."""
        coerced = coerce_input_value(raw, self.coercer.list_type)
        if coerced is not Undefined:
            assert isinstance(coerced, list)
            return coerced
        problems: list[tuple[str, str]] = []

        def collect(error: GraphQLError, path: list[str | int]) -> None:
            where = "".join(f"[{key}]" if isinstance(key, int) else f".{key}" for key in path)
            problems.append((f"records{where}", error.message))

        validate_input_value(raw, self.coercer.list_type, collect, hide_suggestions=True)
        argument, problem = problems[0] if problems else ("records", "is not a list of records")
        raise BadUserInput(argument, problem)
