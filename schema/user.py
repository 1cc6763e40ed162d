import strawberry

from kernel.principals import UserPrincipal
from models import User as UserRow
from resolvers.listed_rows import ListedUser


@strawberry.type(
    name="User",
    description="A person who signs in with a personal access token. Any signed-in person "
    "reads themselves (viewer); project admins read their members.",
)
class User:
    id: strawberry.ID = strawberry.field(description="The user's id.")
    email: str = strawberry.field(description="Their email address, lower-cased; unique.")
    name: str = strawberry.field(description="Their display name.")
    is_superuser: bool = strawberry.field(
        description="Whether they operate the platform (every permission everywhere)."
    )

    @classmethod
    def from_model(cls, row: UserRow | ListedUser) -> "User":
        return cls(
            id=strawberry.ID(str(row.id)),
            email=row.email,
            name=row.name,
            is_superuser=row.is_superuser,
        )

    @classmethod
    def from_principal(cls, principal: UserPrincipal) -> "User":
        return cls(
            id=strawberry.ID(str(principal.id)),
            email=principal.email,
            name=principal.name,
            is_superuser=principal.is_superuser,
        )
