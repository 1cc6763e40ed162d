"""A request record as a gateway sends it (GraphQL names), the ``recordRequests`` document
that sends a batch of them, and the same record as the resolver receives it: one definition
for every test and benchmark."""

from datetime import UTC, datetime, timedelta
from typing import Any

from models import AiModel, Project, Request
from resolvers.ingestion.record import RecordInput
from schema.records_reader import convert_records_variable

RECORD_REQUESTS = """
mutation($records: [RequestRecordInput!]!) {
  recordRequests(records: $records) { accepted duplicates }
}"""

# A whole hour a day ago: every record lies in the past, on known 15-minute buckets.
HOUR = datetime.now(UTC).replace(minute=0, second=0, microsecond=0) - timedelta(days=1)


def at(minutes: float) -> str:
    """``HOUR`` plus ``minutes``, as a record's ``createdAt``."""
    return (HOUR + timedelta(minutes=minutes)).isoformat()


def record(external_id: str, model: AiModel | int, **fields: Any) -> dict[str, Any]:
    """A valid record of ``model`` (or of a model id that may not exist); ``fields``
    (GraphQL names) override or add to it."""
    model_id = model if isinstance(model, int) else model.id
    return {
        "externalId": external_id,
        "createdAt": at(5),
        "status": "SUCCESS",
        "durationMs": 250,
        "modelId": str(model_id),
        "inputTokens": 100,
        "outputTokens": 40,
        **fields,
    }


def record_input(sent: dict[str, Any]) -> RecordInput:
    """What the mutation hands the resolver for ``sent``, read by the API's own reader."""
    records = convert_records_variable([sent])
    if records is None:
        raise ValueError(f"not a record the API's fast reader takes: {sent!r}")
    return records[0]


async def stored_external_ids(project: Project) -> list[str]:
    """The external ids of a project's stored requests, sorted."""
    rows = await Request.filter(project_id=project.id).values("external_id")
    return sorted(row["external_id"] for row in rows)
