"""Writing and reading the audit trail of governance changes."""

from datetime import datetime
from typing import Any

from models import AuditEvent
from resolvers.data_versions import bump_catalog_version
from resolvers.pagination import Ordering, Page, SortKey, keyset_page

NEWEST_FIRST = Ordering(
    name="audit", keys=(SortKey("at", datetime, True), SortKey("id", int, True))
)


async def record_event(
    *,
    actor_id: int | None,
    project_id: int | None,
    action: str,
    target: str,
    details: dict[str, Any] | None = None,
) -> AuditEvent:
    """Call inside the transaction of the change it records, so both land or neither.

    Every governance change is recorded here, so this is also where the catalog version
    moves: cached answers that show names, roles or settings are keyed by it."""
    event = await AuditEvent.create(
        actor_id=actor_id, project_id=project_id, action=action, target=target, details=details
    )
    # The ORM's connection, whatever its name: inside a transaction, the transaction's.
    await bump_catalog_version(AuditEvent._meta.db)
    return event


async def audit_page(project_id: int, first: int, after: str | None) -> Page[AuditEvent]:
    return await keyset_page(
        AuditEvent.filter(project_id=project_id),
        NEWEST_FIRST,
        lambda event: (event.at, event.id),
        first,
        after,
    )
