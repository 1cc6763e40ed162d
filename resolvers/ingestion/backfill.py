"""Backfills: JSON Lines of ``RequestRecordInput`` objects, imported with the API's own
validation and idempotency. A bad line is rejected with its number; the rest go in."""

import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from kernel.errors import BadUserInput
from models import RequestStatus
from resolvers.ingestion.recording import MAX_BATCH, RecordInput, record_requests

REQUIRED = (
    "externalId",
    "createdAt",
    "status",
    "durationMs",
    "modelId",
    "inputTokens",
    "outputTokens",
)
INTEGERS = ("durationMs", "inputTokens", "outputTokens")
IDS = ("modelId", "assistantId", "userId", "apiTokenId")
TEXTS = ("externalId", "input", "output", "errorMessage")


@dataclass
class ImportSummary:
    accepted: int = 0
    duplicates: int = 0
    rejected: list[tuple[int, str]] = field(default_factory=list)  # (line number, why)


def read_records(path: Path) -> Iterator[tuple[int, RecordInput | str]]:
    """Each non-blank line's number and its record, or why it is not one."""
    with path.open(encoding="utf-8") as lines:
        for number, line in enumerate(lines, start=1):
            if line.strip():
                try:
                    data = json.loads(line)
                except json.JSONDecodeError as error:
                    yield number, f"not valid JSON ({error.msg})"
                    continue
                try:
                    yield number, record_from_json(data)
                except (ValueError, TypeError) as error:
                    yield number, str(error)


def record_from_json(data: Any) -> RecordInput:
    if not isinstance(data, dict):
        raise ValueError("not a JSON object")
    unknown = set(data) - {*REQUIRED, *IDS, *TEXTS, "cost"}
    if unknown:
        raise ValueError(f"unknown field {sorted(unknown)[0]}")
    for name in REQUIRED:
        if data.get(name) is None:
            raise ValueError(f"{name} is required")
    for name in INTEGERS:
        if not isinstance(data[name], int) or isinstance(data[name], bool):
            raise ValueError(f"{name} must be an integer")
    for name in (*TEXTS, *IDS):
        value = data.get(name)
        if (value is not None and not isinstance(value, (str, int))) or isinstance(value, bool):
            raise ValueError(f"{name} must be a string")
    cost = data.get("cost")
    if cost is not None and (not isinstance(cost, (int, float)) or isinstance(cost, bool)):
        raise ValueError("cost must be a number")
    try:
        status = RequestStatus(data["status"])
    except ValueError as error:
        raise ValueError("status must be SUCCESS or ERROR") from error
    try:
        created_at = datetime.fromisoformat(str(data["createdAt"]))
    except ValueError as error:
        raise ValueError("createdAt must be an ISO-8601 date-time") from error

    def text(name: str) -> str | None:
        value = data.get(name)
        return None if value is None else str(value)

    return RecordInput(
        external_id=str(data["externalId"]),
        created_at=created_at,
        status=status,
        duration_ms=data["durationMs"],
        model_id=str(data["modelId"]),
        input_tokens=data["inputTokens"],
        output_tokens=data["outputTokens"],
        assistant_id=text("assistantId"),
        user_id=text("userId"),
        api_token_id=text("apiTokenId"),
        cost=None if cost is None else float(cost),
        input=text("input"),
        output=text("output"),
        error_message=text("errorMessage"),
    )


async def import_records(
    project_id: int,
    path: Path,
    *,
    batch_size: int = MAX_BATCH,
    on_progress: Callable[[int], None] | None = None,
) -> ImportSummary:
    """Import a JSON Lines file; ``on_progress(lines)`` after each stored batch."""
    summary = ImportSummary()
    batch: list[tuple[int, RecordInput]] = []
    for number, parsed in read_records(path):
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
            index, field_name = _culprit(error)
            number, _ = pending.pop(index)
            summary.rejected.append((number, f"{field_name}: {error.message.split(': ', 1)[-1]}"))
            continue
        summary.accepted += outcome.accepted
        summary.duplicates += outcome.duplicates
        break
    if on_progress is not None:
        on_progress(len(batch))


def _culprit(error: BadUserInput) -> tuple[int, str]:
    """``records[12].modelId`` -> (12, "modelId")."""
    argument = str((error.extensions or {}).get("argument", ""))
    head, _, field_name = argument.partition("].")
    return int(head.removeprefix("records[")), field_name
