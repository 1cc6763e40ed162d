"""Records that gateways name rather than identify: OTLP spans and LiteLLM payloads say
``gpt-4o``, ``support-bot`` and ``ada@example.com`` where ``recordRequests`` takes ids.

A reader turns each call it understands into a ``NamedRecord``: a ``RecordInput`` (the one
definition of a record) whose model, assistant and user ids are filled in here from the
names, and the candidate names for each, first found wins. ``record_named`` looks every name
of the batch up in one query, refuses the records it cannot take (an unknown model, a value
``recordRequests`` would refuse) one by one with a reason, and stores the rest through
``record_requests``. Gateways answer per record (OTLP's partial success, LiteLLM drops a
whole batch on any error), so one bad call must not cost the others.
"""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from kernel.errors import BadUserInput
from kernel.raw_sql import Statement
from models import Request
from resolvers.ingestion.record import RecordInput
from resolvers.ingestion.recording import record_parsed
from resolvers.ingestion.validation import (
    CONTENT_MAX_LENGTH,
    ERROR_MESSAGE_MAX_LENGTH,
    FUTURE_TOLERANCE,
    MAX_BATCH,
    NUL,
    ParsedRecord,
    parse_record,
)

# A record's model id before its names are resolved.
UNRESOLVED = ""
# What the request columns (and GraphQL's Int) hold.
INT32_MAX = 2**31 - 1


@dataclass(slots=True)
class NamedRecord:
    """A record with its model (required), assistant and user still to be found by name."""

    record: RecordInput
    models: tuple[str, ...]
    assistants: tuple[str, ...] = ()
    users: tuple[str, ...] = ()  # a member's id or email


@dataclass(frozen=True)
class Refusal:
    """A call that was not recorded: where it was in what the gateway sent, and why."""

    index: int
    external_id: str | None
    reason: str


@dataclass(frozen=True)
class NamedOutcome:
    accepted: int
    duplicates: int
    refused: list[Refusal]


@dataclass(frozen=True)
class Names:
    """What a batch's names stand for in the project: model names (and aliases), assistant
    names, and members by id and by lower-case email."""

    models: dict[str, int]
    assistants: dict[str, int]
    members: dict[str, int]


def clipped(text: str | None, limit: int = CONTENT_MAX_LENGTH) -> str | None:
    """Content as a request may store it: without U+0000, at most ``limit`` characters.
    A span's prompt is shown, not checked: it is shortened rather than refused."""
    if text is None:
        return None
    return text.replace(NUL, "")[:limit]


def clipped_error(text: str | None) -> str | None:
    return clipped(text, ERROR_MESSAGE_MAX_LENGTH)


async def record_named(
    project_id: int, token_id: int, items: Sequence[NamedRecord | Refusal]
) -> NamedOutcome:
    """Store what can be stored of ``items`` (refusals pass through with their reasons)."""
    refused = [item for item in items if isinstance(item, Refusal)]
    named = [(index, item) for index, item in enumerate(items) if isinstance(item, NamedRecord)]
    names = await load_names(project_id, [item for _, item in named])
    latest = datetime.now(UTC) + FUTURE_TOLERANCE
    ready: list[ParsedRecord] = []
    for index, item in named:
        record = item.record
        model_id = _first(item.models, names.models)
        if model_id is None:
            shown = " or ".join(repr(name) for name in item.models) or "no model"
            refused.append(Refusal(index, record.external_id, f"unknown model {shown}"))
            continue
        record.model_id = str(model_id)
        assistant_id = _first(item.assistants, names.assistants)
        record.assistant_id = None if assistant_id is None else str(assistant_id)
        user_id = _first([user.lower() for user in item.users], names.members)
        record.user_id = None if user_id is None else str(user_id)
        too_large = [
            name
            for name, value in (
                ("duration", record.duration_ms),
                ("input tokens", record.input_tokens),
                ("output tokens", record.output_tokens),
            )
            if value > INT32_MAX
        ]
        if too_large:
            reason = f"{', '.join(too_large)} must be at most {INT32_MAX}"
            refused.append(Refusal(index, record.external_id, reason))
            continue
        try:
            ready.append(parse_record(index, record, latest))
        except BadUserInput as error:
            refused.append(Refusal(index, record.external_id, error.problem))
    accepted = duplicates = 0
    for start in range(0, len(ready), MAX_BATCH):
        outcome = await record_parsed(project_id, token_id, ready[start : start + MAX_BATCH])
        accepted += outcome.accepted
        duplicates += outcome.duplicates
    refused.sort(key=lambda refusal: refusal.index)
    return NamedOutcome(accepted=accepted, duplicates=duplicates, refused=refused)


def _first(candidates: Sequence[str], found: dict[str, int]) -> int | None:
    for name in candidates:
        value = found.get(name)
        if value is not None:
            return value
    return None


async def load_names(project_id: int, named: Sequence[NamedRecord]) -> Names:
    """Every name the batch uses, looked up in one query."""
    models = {name for item in named for name in item.models}
    assistants = {name for item in named for name in item.assistants}
    users = {user.lower() for item in named for user in item.users}
    user_ids = [int(user) for user in users if user.isascii() and user.isdigit() and len(user) < 10]
    if not named:
        return Names({}, {}, {})
    connection = Request._meta.db  # the ORM's connection, whatever its name
    statement = Statement(connection)

    def among(column: str, wanted: Sequence[object], kind: str) -> str:
        if statement.postgres:
            return f"{column} = ANY({statement.bind(list(wanted))}::{kind}[])"
        return f"{column} IN ({', '.join(statement.bind(value) for value in wanted)})"

    parts = [
        f"SELECT 'm', id, name FROM ai_models WHERE {among('name', sorted(models), 'text')}",
        f"SELECT 'm', model_id, alias FROM ai_model_aliases "
        f"WHERE {among('alias', sorted(models), 'text')}",
    ]
    if assistants:
        parts.append(
            f"SELECT 'a', id, name FROM assistants WHERE project_id = {statement.bind(project_id)} "
            f"AND {among('name', sorted(assistants), 'text')}"
        )
    if users:
        # Bound in the order they appear: SQLite's placeholders are positional.
        member = f"WHERE m.project_id = {statement.bind(project_id)} AND "
        member += f"({among('LOWER(u.email)', sorted(users), 'text')}"
        member += f" OR {among('u.id', user_ids, 'bigint')})" if user_ids else ")"
        parts.append(
            "SELECT 'u', u.id, u.email FROM memberships m JOIN users u ON u.id = m.user_id "
            + member
        )
    sql = " UNION ALL ".join(parts) + " ORDER BY 1, 2"
    _, rows = await connection.execute_query(sql, statement.params)
    found = Names({}, {}, {})
    for kind, row_id, name in (tuple(row) for row in rows):
        if kind == "m":
            found.models.setdefault(name, int(row_id))
        elif kind == "a":  # two assistants of one name: the older one
            found.assistants.setdefault(name, int(row_id))
        else:
            found.members[str(row_id)] = int(row_id)
            found.members[name.lower()] = int(row_id)
    return found
