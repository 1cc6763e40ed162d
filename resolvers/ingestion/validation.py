"""The checks of a batch that need no database: its size, and each record's values, naming
``records[i].field`` on failure. A record that passes is a ``ParsedRecord``: its instant in
UTC, its ids as integers, its cost in nano-USD."""

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import ROUND_HALF_EVEN, Decimal

from kernel.errors import BadUserInput
from resolvers.arguments import NANOS_PER_USD
from resolvers.ingestion.record import RecordInput

MAX_BATCH = 1000
EXTERNAL_ID_MAX_LENGTH = 200
CONTENT_MAX_LENGTH = 100_000
ERROR_MESSAGE_MAX_LENGTH = 10_000
MAX_COST_USD = 1_000_000
# Gateways' clocks drift; a request further in the future than this is a bug, not drift.
FUTURE_TOLERANCE = timedelta(minutes=5)
EARLIEST = datetime(2000, 1, 1, tzinfo=UTC)
# PostgreSQL's text cannot hold U+0000: refused here rather than failing in the database.
NUL = "\x00"
NO_NUL = "must not contain the character U+0000"

# Makes the error for one field of the record at hand: (field, problem) -> error.
Bad = Callable[[str, str], BadUserInput]


def check_batch_size(count: int) -> None:
    if count > MAX_BATCH:
        raise BadUserInput("records", f"at most {MAX_BATCH} records per call")


# Built 1,000 times a batch: slotted.
@dataclass(slots=True)
class ParsedRecord:
    index: int
    record: RecordInput
    created_at: datetime
    model_id: int
    assistant_id: int | None
    user_id: int | None
    api_token_id: int | None
    cost_nanos: int | None


def parse_records(records: Sequence[RecordInput]) -> list[ParsedRecord]:
    """Every record of the batch checked, in order; the first that fails raises."""
    latest = datetime.now(UTC) + FUTURE_TOLERANCE
    return [parse_record(index, record, latest) for index, record in enumerate(records)]


def parse_record(index: int, record: RecordInput, latest: datetime) -> ParsedRecord:
    """The checks of one record; ``latest`` is the last acceptable ``createdAt`` (now, plus
    the clock drift tolerated)."""

    def bad(field: str, problem: str) -> BadUserInput:
        return BadUserInput(f"records[{index}].{field}", problem)

    if not 1 <= len(record.external_id) <= EXTERNAL_ID_MAX_LENGTH:
        raise bad("externalId", f"must be 1 to {EXTERNAL_ID_MAX_LENGTH} characters")
    if NUL in record.external_id:
        raise bad("externalId", NO_NUL)
    created_at = record.created_at
    if created_at.tzinfo is None or created_at.utcoffset() is None:
        raise bad("createdAt", "must carry a UTC offset")
    created_at = created_at.astimezone(UTC)
    if created_at > latest:
        raise bad("createdAt", "is more than 5 minutes in the future")
    if created_at < EARLIEST:
        raise bad("createdAt", "is before 2000-01-01")
    for field, value in (
        ("durationMs", record.duration_ms),
        ("inputTokens", record.input_tokens),
        ("outputTokens", record.output_tokens),
    ):
        if value < 0:
            raise bad(field, "must not be negative")
    for field, text, limit in (
        ("input", record.input, CONTENT_MAX_LENGTH),
        ("output", record.output, CONTENT_MAX_LENGTH),
        ("errorMessage", record.error_message, ERROR_MESSAGE_MAX_LENGTH),
    ):
        if text is not None:
            if len(text) > limit:
                raise bad(field, f"must be at most {limit} characters")
            if NUL in text:
                raise bad(field, NO_NUL)
    return ParsedRecord(
        index=index,
        record=record,
        created_at=created_at,
        model_id=_id(record.model_id, bad, "modelId"),
        assistant_id=None
        if record.assistant_id is None
        else _id(record.assistant_id, bad, "assistantId"),
        user_id=None if record.user_id is None else _id(record.user_id, bad, "userId"),
        api_token_id=None
        if record.api_token_id is None
        else _id(record.api_token_id, bad, "apiTokenId"),
        cost_nanos=None if record.cost is None else cost_nanos(record.cost, bad),
    )


def _id(value: str, bad: Bad, field: str) -> int:
    text = value.strip()
    if not (text.isascii() and text.isdigit()) or len(text) > 18 or int(text) == 0:
        raise bad(field, f"{value!r} is not a valid id")
    return int(text)


def cost_nanos(cost: float, bad: Bad) -> int:
    """A cost in USD as integer nano-USD, or ``bad("cost", ...)`` raised."""
    # Through the decimal the client wrote (repr), so $0.000001 is exactly 1,000 nano-USD.
    if not Decimal(repr(cost)).is_finite() or cost < 0 or cost > MAX_COST_USD:
        raise bad("cost", f"must be a number from 0 to {MAX_COST_USD}")
    nanos = (Decimal(repr(cost)) * NANOS_PER_USD).to_integral_value(ROUND_HALF_EVEN)
    return int(nanos)
