"""Writing and reading the audit trail of governance changes."""

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from tortoise.backends.base.client import BaseDBAsyncClient

from models import AuditEvent
from resolvers.data_versions import bump_catalog_version
from resolvers.pagination import Ordering, Page, SortKey, keyset_page

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


async def audit_page(
    project_id: int, first: int, after: str | None, filters: AuditFilter | None = None
) -> Page[AuditEvent]:
    queryset = AuditEvent.filter(project_id=project_id)
    if filters is not None:
        if filters.actions is not None:
            queryset = queryset.filter(action__in=filters.actions)
        if filters.actor_ids is not None:
            queryset = queryset.filter(actor_id__in=filters.actor_ids)
        if filters.start is not None:
            queryset = queryset.filter(at__gte=filters.start)
        if filters.end is not None:
            queryset = queryset.filter(at__lt=filters.end)
    return await keyset_page(
        queryset, NEWEST_FIRST, lambda event: (event.at, event.id), first, after
    )
