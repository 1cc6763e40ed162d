from datetime import datetime

import strawberry

from models import Membership as MembershipRow
from resolvers.governance.members import ListedMember
from schema.enums import ProjectRole
from schema.instants import as_utc
from schema.user import User


@strawberry.type(
    name="Membership", description="A user's roles in one project (PROJECT_ADMIN reads them)."
)
class Membership:
    user: User = strawberry.field(description="The member.")
    roles: list[ProjectRole] = strawberry.field(
        description="The roles they hold here, at least one."
    )
    created_at: datetime = strawberry.field(description="When they joined the project (UTC).")

    @classmethod
    def from_model(cls, row: MembershipRow | ListedMember) -> "Membership":
        """``row.user`` must have been fetched with the membership."""
        return cls(
            user=User.from_model(row.user),
            roles=[ProjectRole(role) for role in row.roles],
            created_at=as_utc(row.created_at),
        )
