"""Records that gateways name rather than identify: OTLP spans and LiteLLM payloads say
``gpt-4o``, ``support-bot`` and ``ada@example.com`` where ``recordRequests`` takes ids.

A reader turns each call it understands into a ``NamedRecord``: a ``RecordInput`` (the one
definition of a record) whose model, assistant and user ids are filled in here from the
names, and the candidate names for each, first found wins. ``record_named`` looks every name
of the batch up in one query, together with what storing needs (the models' prices, the
project's settings: ``record_requests`` finds those by id, a second query this path skips),
refuses the records it cannot take (an unknown model, a value ``recordRequests`` would
refuse) one by one with a reason, and stores the rest as ``record_requests`` does. Gateways
answer per record (OTLP's partial success, LiteLLM drops a whole batch on any error), so one
bad call must not cost the others.
"""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from kernel.errors import BadUserInput
from kernel.raw_sql import Statement
from models import Request
from resolvers.ingestion.lookups import DEFAULT_SETTINGS, SETTINGS_FLAGS_SQL, Known
from resolvers.ingestion.record import RecordInput
from resolvers.ingestion.recording import store_resolved
from resolvers.ingestion.storage import rows_of
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
    """A record with its model (required), assistant and user still to be found by name
    (its ``api_token_id`` stays None: the recording token)."""

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
    """What a batch's names stand for in the project, each as the id a record holds (its
    text): model names and aliases, assistant names, members by id or email as sent (an
    email in any case);
    and what those ids are, as ``record_requests`` would have looked them up."""

    models: dict[str, str]
    assistants: dict[str, str]
    members: dict[str, str]
    known: Known


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
    names = await load_names(project_id, items)
    latest = datetime.now(UTC) + FUTURE_TOLERANCE
    refused: list[Refusal] = []
    ready: list[ParsedRecord] = []
    for index, item in enumerate(items):
        if type(item) is not NamedRecord:
            assert isinstance(item, Refusal)
            refused.append(item)
            continue
        record = item.record
        model_id = _first(item.models, names.models)
        if model_id is None:
            shown = " or ".join(repr(name) for name in item.models) or "no model"
            refused.append(Refusal(index, record.external_id, f"unknown model {shown}"))
            continue
        record.model_id = model_id
        record.assistant_id = _first(item.assistants, names.assistants)
        record.user_id = _first(item.users, names.members)
        if max(record.duration_ms, record.input_tokens, record.output_tokens) > INT32_MAX:
            refused.append(Refusal(index, record.external_id, _too_large(record)))
            continue
        try:
            ready.append(parse_record(index, record, latest))
        except BadUserInput as error:
            refused.append(Refusal(index, record.external_id, error.problem))
    accepted = duplicates = 0
    for start in range(0, len(ready), MAX_BATCH):
        rows = rows_of(project_id, token_id, ready[start : start + MAX_BATCH], names.known)
        outcome = await store_resolved(project_id, rows, names.known)
        accepted += outcome.accepted
        duplicates += outcome.duplicates
    refused.sort(key=lambda refusal: refusal.index)
    return NamedOutcome(accepted=accepted, duplicates=duplicates, refused=refused)


def _first(candidates: Sequence[str], found: dict[str, str]) -> str | None:
    for name in candidates:
        value = found.get(name)
        if value is not None:
            return value
    return None


def _too_large(record: RecordInput) -> str:
    fields = (
        ("duration", record.duration_ms),
        ("input tokens", record.input_tokens),
        ("output tokens", record.output_tokens),
    )
    too_large = [name for name, value in fields if value > INT32_MAX]
    return f"{', '.join(too_large)} must be at most {INT32_MAX}"


async def load_names(project_id: int, items: Sequence[NamedRecord | Refusal]) -> Names:
    """Every name the batch uses, and the project's settings and the models' prices that
    storing its records needs, looked up in one query."""
    models: set[str] = set()
    assistants: set[str] = set()
    sent_users: set[str] = set()
    for item in items:
        if type(item) is NamedRecord:
            models.update(item.models)
            assistants.update(item.assistants)
            sent_users.update(item.users)
    # Each distinct name lowered once, not once a record.
    lowered = {user: user.lower() for user in sent_users}
    users = set(lowered.values())
    models_by_name: dict[str, str] = {}
    assistants_by_name: dict[str, str] = {}
    member_by_name: dict[str, str] = {}  # by id and lower-case email
    prices: dict[int, tuple[int, int]] = {}
    assistant_ids: set[int] = set()
    member_ids: set[int] = set()
    keep_content, has_budget = DEFAULT_SETTINGS

    def names() -> Names:
        known = Known(
            models=prices,
            assistants=assistant_ids,
            members=member_ids,
            tokens=set(),  # names name no token: the recording one is the default
            keep_content=keep_content,
            has_budget=has_budget,
        )
        members = {
            user: member_by_name[lower]
            for user, lower in lowered.items()
            if lower in member_by_name
        }
        return Names(models_by_name, assistants_by_name, members, known)

    if not models:  # nothing named, nothing to store: no query
        return names()
    user_ids = [int(user) for user in users if user.isascii() and user.isdigit() and len(user) < 10]
    connection = Request._meta.db  # the ORM's connection, whatever its name
    statement = Statement(connection)

    def among(column: str, wanted: Sequence[object], kind: str) -> str:
        if statement.postgres:
            return f"{column} = ANY({statement.bind(list(wanted))}::{kind}[])"
        return f"{column} IN ({', '.join(statement.bind(value) for value in wanted)})"

    # (kind, id, name, input price or keeps content, output price or has a budget)
    parts = [
        f"SELECT 's', 0, '', {SETTINGS_FLAGS_SQL} "
        f"FROM project_settings WHERE project_id = {statement.bind(project_id)}",
        "SELECT 'm', id, name, input_price_per_million_nanos, output_price_per_million_nanos "
        f"FROM ai_models WHERE {among('name', sorted(models), 'text')}",
        "SELECT 'm', m.id, a.alias, m.input_price_per_million_nanos, "
        "m.output_price_per_million_nanos "
        "FROM ai_model_aliases a JOIN ai_models m ON m.id = a.model_id "
        f"WHERE {among('a.alias', sorted(models), 'text')}",
    ]
    if assistants:
        parts.append(
            f"SELECT 'a', id, name, 0, 0 FROM assistants "
            f"WHERE project_id = {statement.bind(project_id)} "
            f"AND {among('name', sorted(assistants), 'text')}"
        )
    if users:
        # Bound in the order they appear: SQLite's placeholders are positional.
        member = f"WHERE m.project_id = {statement.bind(project_id)} AND "
        member += f"({among('LOWER(u.email)', sorted(users), 'text')}"
        member += f" OR {among('u.id', user_ids, 'bigint')})" if user_ids else ")"
        parts.append(
            "SELECT 'u', u.id, u.email, 0, 0 FROM memberships m JOIN users u ON u.id = m.user_id "
            + member
        )
    sql = " UNION ALL ".join(parts) + " ORDER BY 1, 2"
    _, rows = await connection.execute_query(sql, statement.params)
    for kind, row_id, name, first, second in (tuple(row) for row in rows):
        if kind == "m":
            models_by_name.setdefault(name, str(row_id))
            prices[int(row_id)] = (int(first), int(second))
        elif kind == "a":  # two assistants of one name: the older one
            assistants_by_name.setdefault(name, str(row_id))
            assistant_ids.add(int(row_id))
        elif kind == "u":
            member_by_name[str(row_id)] = member_by_name[name.lower()] = str(row_id)
            member_ids.add(int(row_id))
        else:
            keep_content, has_budget = bool(first), bool(second)
    return names()
