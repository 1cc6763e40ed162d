"""The only door to Oso: loads ``policy.polar`` and turns its decisions into errors.

Oso is synchronous and costs milliseconds per question, blocking the event loop. The rules
see nothing but plain facts (the actor's kind, its roles in the project, whether it is a
superuser, whether a client belongs to the project), so an answer is a pure function of
those facts: ``Policy`` remembers one answer per distinct set of facts, and a process asks
Oso a handful of times in its life rather than once per request.
"""

from collections.abc import Callable, Hashable
from dataclasses import dataclass
from pathlib import Path

from oso import Oso

from kernel.errors import Forbidden, NotFound, Unauthenticated
from kernel.principals import ApiClientPrincipal, Principal, UserPrincipal
from models.enums import ProjectRole


@dataclass(frozen=True)
class Platform:
    """The resource for what is not scoped to a project."""


@dataclass(frozen=True)
class ProjectResource:
    id: int


PLATFORM = Platform()


class Policy:
    """The loaded rules; one per process, shared by every request."""

    def __init__(self, path: Path) -> None:
        self._oso = Oso()
        register: Callable[..., None] = self._oso.register_class  # Oso is untyped
        register(UserPrincipal, name="User")
        register(ApiClientPrincipal, name="ApiClient")
        register(Platform, name="Platform")
        register(ProjectResource, name="Project")
        self._oso.load_files([str(path)])
        self._answers: dict[Hashable, frozenset[str]] = {}

    def actions(self, actor: Principal, resource: Platform | ProjectResource) -> frozenset[str]:
        facts = _facts(actor, resource)
        answer = self._answers.get(facts)
        if answer is None:
            answer = frozenset(self._oso.authorized_actions(actor, resource))
            self._answers[facts] = answer
        return answer


def _facts(actor: Principal, resource: Platform | ProjectResource) -> Hashable:
    """Everything ``policy.polar`` can see of this actor and resource, and nothing more."""
    if isinstance(actor, UserPrincipal):
        if isinstance(resource, Platform):
            return ("user", actor.is_superuser, "platform")
        return ("user", actor.is_superuser, "project", tuple(actor.roles_in(resource.id)))
    if isinstance(resource, Platform):
        return ("client", "platform")
    return ("client", "project", actor.project_id == resource.id)


class Authorizer:
    """One request's view of the policy: who is asking, and the answers given so far."""

    def __init__(
        self,
        policy: Policy,
        principal: Principal | None,
        failure: Unauthenticated | None = None,
    ) -> None:
        self._policy = policy
        self.principal = principal
        self._failure = failure
        self._platform_actions: frozenset[str] | None = None
        self._project_actions: dict[int, frozenset[str]] = {}

    def require_principal(self) -> Principal:
        if self.principal is None:
            raise self._failure or Unauthenticated()
        return self.principal

    def require_user(self) -> UserPrincipal:
        """The calling person; API clients are refused every console operation."""
        self.require_platform("use_console")
        assert isinstance(self.principal, UserPrincipal)
        return self.principal

    def require_client(self) -> ApiClientPrincipal:
        """The calling API client; people are refused every gateway operation."""
        self.require_platform("use_gateway")
        assert isinstance(self.principal, ApiClientPrincipal)
        return self.principal

    def require_gateway(self, action: str) -> ApiClientPrincipal:
        """The calling API client, allowed ``action`` on its own project (GraphQL's
        ``GatewayPermission`` and the plain-JSON ingestion route both ask here)."""
        client = self.require_client()
        self.require(client.project_id, action)
        return client

    def platform_actions(self) -> frozenset[str]:
        if self._platform_actions is None:
            self._platform_actions = self._policy.actions(self.require_principal(), PLATFORM)
        return self._platform_actions

    def project_actions(self, project_id: int) -> frozenset[str]:
        actions = self._project_actions.get(project_id)
        if actions is None:
            actions = self._policy.actions(self.require_principal(), ProjectResource(project_id))
            self._project_actions[project_id] = actions
        return actions

    def require_platform(self, action: str) -> None:
        if action not in self.platform_actions():
            raise Forbidden()

    def can(self, project_id: int, action: str) -> bool:
        return action in self.project_actions(project_id)

    def require(self, project_id: int, action: str) -> None:
        """Allow, or refuse: NOT_FOUND to whoever may not know the project exists."""
        actions = self.project_actions(project_id)
        if action in actions:
            return
        if "read" in actions:
            raise Forbidden()
        raise NotFound("Project not found.")

    def roles_in(self, project_id: int) -> list[ProjectRole]:
        """The viewer's own roles in a project (what they hold, not what they may do)."""
        if not isinstance(self.principal, UserPrincipal):
            return []
        return [ProjectRole(role) for role in self.principal.roles_in(project_id)]
