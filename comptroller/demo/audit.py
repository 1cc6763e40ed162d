"""Audit events for the demo's history, dated when the change would have happened."""

from datetime import datetime
from typing import Any

from models import AuditEvent


async def record_audit_event(
    actor_id: int,
    project_id: int,
    action: str,
    target: str,
    details: dict[str, Any],
    at: datetime,
) -> None:
    """Like ``resolvers.governance.audit.record_event``, but back-dated."""
    await AuditEvent.create(
        actor_id=actor_id,
        project_id=project_id,
        action=action,
        target=target,
        details=details,
        at=at,
    )
