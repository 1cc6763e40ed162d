from datetime import datetime
from typing import cast

import strawberry

from models import AuditEvent as AuditEventRow
from schema.context import Info
from schema.instants import as_utc
from schema.scalars import JSON
from schema.user import User


@strawberry.type(
    name="AuditEvent",
    description="A change to a project's members, settings, assistants or tokens "
    "(PROJECT_ADMIN reads them).",
)
class AuditEvent:
    id: strawberry.ID = strawberry.field(description="The event's id.")
    at: datetime = strawberry.field(description="When it happened (UTC).")
    action: str = strawberry.field(description="What was done, e.g. member.add or settings.update.")
    target: str = strawberry.field(description="What it was done to, e.g. user:12.")
    details: JSON | None = strawberry.field(
        description="The change's particulars (before and after); null = none."
    )
    actor_id: strawberry.Private[int | None]

    @strawberry.field(description="Who did it; null = the system (e.g. retention).")
    async def actor(self, info: Info) -> User | None:
        if self.actor_id is None:
            return None
        row = await info.context.loaders.user_by_id.load(self.actor_id)
        return None if row is None else User.from_model(row)

    @classmethod
    def from_model(cls, row: AuditEventRow) -> "AuditEvent":
        return cls(
            id=strawberry.ID(str(row.id)),
            at=as_utc(row.at),
            action=row.action,
            target=row.target,
            details=cast("JSON | None", row.details),
            actor_id=row.actor_id,
        )
