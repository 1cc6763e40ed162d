"""Who is calling: the plain facts handed to the policy, never ORM objects."""

from collections.abc import Mapping
from dataclasses import dataclass, field


@dataclass(frozen=True)
class UserPrincipal:
    """A person, with their roles per project as loaded for this request."""

    id: int
    email: str
    name: str
    is_superuser: bool
    project_roles: Mapping[int, frozenset[str]] = field(default_factory=dict)

    def roles_in(self, project_id: int) -> list[str]:
        """Called by the policy: the role names this user holds in one project."""
        return sorted(self.project_roles.get(project_id, ()))


@dataclass(frozen=True)
class ApiClientPrincipal:
    """A project API client such as the gateway, identified by its token.

    ``versions`` (catalog, project data) were read in the token's own statement, so that a
    cached answer to the client (admission) needs no other read; the policy never sees them.
    """

    token_id: int
    project_id: int
    versions: tuple[int, int] | None = field(default=None, compare=False)


Principal = UserPrincipal | ApiClientPrincipal
