"""Recording the requests a gateway reports: validate the whole batch, then store it in one
transaction with the rollups, idempotent on ``externalId`` per project.

The steps, each in its module: ``validation`` (what needs no database), ``lookups`` (what the
records name, in one query), ``storage`` (the rows, COPY or INSERT, rollups). ``bench/`` times
them one by one through ``parse_records``, ``resolve_rows`` and ``store_rows``.
"""

from collections.abc import Sequence
from dataclasses import dataclass

from tortoise.transactions import in_transaction

from resolvers.budgets.thresholds import record_crossings
from resolvers.ingestion.lookups import Known, check_known, load_known
from resolvers.ingestion.record import RecordInput
from resolvers.ingestion.storage import Row, first_of_each, rows_of, store_rows
from resolvers.ingestion.validation import ParsedRecord, check_batch_size, parse_records


@dataclass(frozen=True)
class RecordOutcome:
    accepted: int
    duplicates: int


async def record_requests(
    project_id: int, token_id: int | None, records: Sequence[RecordInput]
) -> RecordOutcome:
    """Store every record of the batch or none of them; duplicates are counted, not stored.

    ``token_id`` is the recording API token (the default ``apiTokenId``); None for imports.
    """
    check_batch_size(len(records))
    return await record_parsed(project_id, token_id, parse_records(records))


async def record_parsed(
    project_id: int, token_id: int | None, parsed: Sequence[ParsedRecord]
) -> RecordOutcome:
    """``record_requests`` for records already checked one by one (``parse_record``)."""
    check_batch_size(len(parsed))
    rows, known = await resolve_rows(project_id, token_id, parsed)
    return await store_resolved(project_id, rows, known)


async def store_resolved(project_id: int, rows: list[Row], known: Known) -> RecordOutcome:
    """Store the rows of records whose lookups are done (``known`` is what they found: the
    gateways' readers find it with their names, in the same query), the first of each
    externalId, in one transaction with the rollups."""
    unique = first_of_each(rows)
    if not unique:
        return RecordOutcome(accepted=0, duplicates=len(rows))
    # Sorted: batches that share ids lock them in one order and cannot deadlock.
    unique.sort(key=lambda row: row.external_id)
    async with in_transaction() as connection:
        stored = await store_rows(connection, project_id, unique)
        # Threshold crossings are decided here, once, with the spend this batch adds. A
        # budget set after the look-up is first checked by the next batch.
        if known.has_budget:
            await record_crossings(connection, project_id, (row.created_at for row in stored))
    return RecordOutcome(accepted=len(stored), duplicates=len(rows) - len(stored))


async def resolve_rows(
    project_id: int, token_id: int | None, parsed: Sequence[ParsedRecord]
) -> tuple[list[Row], Known]:
    """The checks against the project's data, in one query, then the rows to store, and
    what the query found."""
    known = await load_known(project_id, parsed)
    check_known(parsed, known)
    return rows_of(project_id, token_id, parsed, known), known
