"""Writing and reading the audit trail of governance changes."""

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from tortoise.backends.base.client import BaseDBAsyncClient

from kernel.raw_sql import Statement
from models import AuditEvent
from resolvers.data_versions import bump_catalog_version
from resolvers.listed_rows import ListedUser, row_reader
from resolvers.pagination import ListQuery, Ordering, Page, SortKey, sql_keyset_page

NEWEST_FIRST = Ordering(
    name="audit", keys=(SortKey("at", datetime, True), SortKey("id", int, True))
)


@dataclass(frozen=True)
class AuditFilter:
    """A validated ``AuditLogFilter``: None leaves a criterion open; ``to`` is exclusive."""

    actions: tuple[str, ...] | None = None
    actor_ids: tuple[int, ...] | None = None
    start: datetime | None = None
    end: datetime | None = None


async def record_event(
    *,
    actor_id: int | None,
    project_id: int | None,
    action: str,
    target: str,
    details: dict[str, Any] | None = None,
    connection: BaseDBAsyncClient | None = None,
) -> AuditEvent:
    """Call inside the transaction of the change it records, so both land or neither
    (``connection``: that transaction's, when the caller holds it). Never put a secret in
    ``details``; record nothing for a change that changes nothing.

    Every governance change is recorded here, so this is also where the catalog version
    moves: cached answers that show names, roles or settings are keyed by it."""
    event = await AuditEvent.create(
        actor_id=actor_id,
        project_id=project_id,
        action=action,
        target=target,
        details=details,
        using_db=connection,
    )
    # The ORM's connection, whatever its name: inside a transaction, the transaction's.
    await bump_catalog_version(connection or AuditEvent._meta.db)
    return event


@dataclass(frozen=True, slots=True)
class _EventColumns:
    id: int
    at: datetime
    action: str
    target: str
    details: dict[str, Any] | None


@dataclass(frozen=True, slots=True)
class ListedAuditEvent:
    """An audit event as the log shows it, its actor read in the same statement."""

    id: int
    at: datetime
    action: str
    target: str
    details: dict[str, Any] | None
    actor: ListedUser | None


async def audit_page(
    project_id: int, first: int, after: str | None, filters: AuditFilter | None = None
) -> Page[ListedAuditEvent]:
    connection = AuditEvent._meta.db
    event = row_reader(_EventColumns, "e", connection, 1)  # after the total
    actor = row_reader(ListedUser, "u", connection, event.end)
    chosen = filters or AuditFilter()

    def read(records: list[Any]) -> list[ListedAuditEvent]:
        actors: dict[Any, ListedUser] = {}
        events = []
        for record in records:
            c = event(record)
            actor_row = actor.shared(record, actors)
            events.append(ListedAuditEvent(c.id, c.at, c.action, c.target, c.details, actor_row))
        return events

    def constrain(sql: Statement) -> None:
        sql.where.append(f"e.project_id = {sql.bind(project_id)}")
        listed = {"action": chosen.actions, "actor_id": chosen.actor_ids}
        sql.constrain(
            {name: f"e.{name}" for name in listed},
            {name: values for name, values in listed.items() if values is not None},
        )
        if chosen.start is not None:
            sql.where.append(f"e.at >= {sql.bind(chosen.start)}")
        if chosen.end is not None:
            sql.where.append(f"e.at < {sql.bind(chosen.end)}")

    query = ListQuery(
        connection=connection,
        source="audit_events e LEFT JOIN users u ON u.id = e.actor_id",
        select=f"{event.select}, {actor.select}",
        constrain=constrain,
        ordering=NEWEST_FIRST,
        key_columns=("e.at", "e.id"),
        read=read,
        key_of=lambda row: (row.at, row.id),
    )
    return await sql_keyset_page(query, first, after)
