"""Backfills: JSON Lines of ``RequestRecordInput`` objects, imported with the API's own
reading, validation and idempotency. A bad line is rejected with its number and the API's
words for what is wrong; the rest go in."""

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from kernel.errors import BadUserInput
from resolvers.ingestion.record import RecordInput
from resolvers.ingestion.recording import record_requests
from resolvers.ingestion.validation import MAX_BATCH

# Reads one line as the API reads the record at ``records[0]`` of a batch, or raises the
# API's BadUserInput: the API's own reader (``schema.records_json``), handed down by the
# caller, since reading a record the way the schema types it is the schema's business.
ReadLine = Callable[[bytes], RecordInput]

# records[12].modelId -> (12, "modelId"); records[12] -> (12, "")
_ARGUMENT = re.compile(r"records\[(\d+)\]\.?(.*)", re.DOTALL)


@dataclass
class ImportSummary:
    accepted: int = 0
    duplicates: int = 0
    rejected: list[tuple[int, str]] = field(default_factory=list)  # (line number, why)


def read_record_lines(path: Path, read_line: ReadLine) -> Iterator[tuple[int, RecordInput | str]]:
    """Each non-blank line's number and its record, or why it is not one."""
    with path.open("rb") as lines:
        for number, line in enumerate(lines, start=1):
            if line.strip():
                try:
                    yield number, read_line(line)
                except BadUserInput as error:
                    yield number, _reason(error)


async def import_records(
    project_id: int,
    path: Path,
    read_line: ReadLine,
    *,
    batch_size: int = MAX_BATCH,
    on_progress: Callable[[int], None] | None = None,
) -> ImportSummary:
    """Import a JSON Lines file; ``on_progress(lines)`` after each stored batch."""
    summary = ImportSummary()
    batch: list[tuple[int, RecordInput]] = []
    for number, parsed in read_record_lines(path, read_line):
        if isinstance(parsed, str):
            summary.rejected.append((number, parsed))
            if on_progress is not None:
                on_progress(1)
            continue
        batch.append((number, parsed))
        if len(batch) >= batch_size:
            await _store(project_id, batch, summary, on_progress)
            batch = []
    if batch:
        await _store(project_id, batch, summary, on_progress)
    summary.rejected.sort()
    return summary


async def _store(
    project_id: int,
    batch: list[tuple[int, RecordInput]],
    summary: ImportSummary,
    on_progress: Callable[[int], None] | None,
) -> None:
    """Store a batch; a record the API refuses is set aside with its line and the rest retried."""
    pending = list(batch)
    while pending:
        try:
            outcome = await record_requests(project_id, None, [record for _, record in pending])
        except BadUserInput as error:
            number, _ = pending.pop(_record_index(error))
            summary.rejected.append((number, _reason(error)))
            continue
        summary.accepted += outcome.accepted
        summary.duplicates += outcome.duplicates
        break
    if on_progress is not None:
        on_progress(len(batch))


def _record_index(error: BadUserInput) -> int:
    match = _ARGUMENT.fullmatch(error.argument)
    assert match is not None, error.argument  # a record's own error names records[i]
    return int(match.group(1))


def _reason(error: BadUserInput) -> str:
    """The API's words for a record, without its place in a batch: ``modelId: no model has
    id 7``, or the problem alone when it is the whole record's."""
    match = _ARGUMENT.fullmatch(error.argument)
    field_name = match.group(2) if match else error.argument
    return f"{field_name}: {error.problem}" if field_name else error.problem
