import strawberry

from kernel.principals import UserPrincipal
from models import User as UserRow


@strawberry.type(name="User")
class User:
    id: strawberry.ID
    email: str
    name: str
    is_superuser: bool

    @classmethod
    def from_model(cls, row: UserRow) -> "User":
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
