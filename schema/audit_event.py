from datetime import datetime
from typing import cast

import strawberry

from kernel.errors import BadUserInput
from resolvers.arguments import aware_instant, parse_ids
from resolvers.governance.audit import AuditFilter, ListedAuditEvent
from schema.instants import as_utc
from schema.scalars import JSON
from schema.user import User

MAX_FILTER_VALUES = 100
ACTION_MAX_LENGTH = 64


@strawberry.type(
    name="AuditEvent",
    description="One governance change: who (null for the system, e.g. a threshold reached), "
    "when, what (action, e.g. settings.update), on what (target, e.g. project:7) and details "
    "(before and after of what changed; never a secret).",
)
class AuditEvent:
    id: strawberry.ID = strawberry.field(description="The event's id.")
    at: datetime = strawberry.field(description="When it happened (UTC).")
    action: str = strawberry.field(description="What was done, e.g. member.add or settings.update.")
    target: str = strawberry.field(description="What it was done to, e.g. user:12.")
    details: JSON | None = strawberry.field(
        description="The change's particulars (before and after); null = none."
    )
    # Read with the event (one statement a page): a plain attribute, not a resolver a row.
    actor: User | None = strawberry.field(
        description="Who did it; null = the system (e.g. retention)."
    )

    @classmethod
    def from_model(cls, row: ListedAuditEvent) -> "AuditEvent":
        return cls(
            id=strawberry.ID(str(row.id)),
            at=as_utc(row.at),
            action=row.action,
            target=row.target,
            details=cast("JSON | None", row.details),
            actor=None if row.actor is None else User.from_model(row.actor),
        )


@strawberry.input(name="AuditLogFilter", description="Criteria left out match everything.")
class AuditLogFilter:
    actions: list[str] | None = strawberry.field(
        default=None, description="e.g. member.set_roles, settings.update"
    )
    actor_ids: list[strawberry.ID] | None = strawberry.field(
        default=None, description="Users who made the changes."
    )
    from_: datetime | None = strawberry.field(default=None, name="from", description="Inclusive.")
    to: datetime | None = strawberry.field(default=None, description="Exclusive.")

    def validated(self) -> AuditFilter:
        actions = None
        if self.actions is not None:
            if len(self.actions) > MAX_FILTER_VALUES:
                raise BadUserInput("filter.actions", f"at most {MAX_FILTER_VALUES} actions")
            if any(not 0 < len(a) <= ACTION_MAX_LENGTH for a in self.actions):
                raise BadUserInput("filter.actions", "each action is 1 to 64 characters")
            actions = tuple(sorted(set(self.actions)))
        actors = None
        if self.actor_ids is not None:
            if len(self.actor_ids) > MAX_FILTER_VALUES:
                raise BadUserInput("filter.actorIds", f"at most {MAX_FILTER_VALUES} actors")
            actors = tuple(parse_ids(self.actor_ids, "filter.actorIds"))
        start = None if self.from_ is None else aware_instant(self.from_, "filter.from")
        end = None if self.to is None else aware_instant(self.to, "filter.to")
        if start is not None and end is not None and start >= end:
            raise BadUserInput("filter.to", "must be after from")
        return AuditFilter(actions=actions, actor_ids=actors, start=start, end=end)
