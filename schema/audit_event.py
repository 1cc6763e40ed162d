from datetime import datetime
from typing import cast

import strawberry

from models import AuditEvent as AuditEventRow
from schema.context import Info
from schema.instants import as_utc
from schema.scalars import JSON
from schema.user import User


@strawberry.type(name="AuditEvent")
class AuditEvent:
    id: strawberry.ID
    at: datetime
    action: str
    target: str
    details: JSON | None
    actor_id: strawberry.Private[int | None]

    @strawberry.field
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
