"""Permission classes: each protected field names the policy action it needs.

Every check goes through the request's ``Authorizer`` (and so through ``policy.polar``).
``tests/test_schema_guards.py`` walks the schema and fails for a field without one.
"""

from collections.abc import Awaitable, Callable
from typing import Any

from strawberry.extensions import FieldExtension
from strawberry.permission import BasePermission, PermissionExtension

from kernel.errors import NotFound
from resolvers.arguments import parse_id
from resolvers.governance.projects import project_exists
from schema.context import Info


class PlatformPermission(BasePermission):
    """Needs an action on the platform (console use, or an operator's catalogue work)."""

    def __init__(self, action: str) -> None:
        self.action = action

    def has_permission(self, source: Any, info: Info, **kwargs: Any) -> bool:
        info.context.authorizer.require_platform(self.action)
        return True


class ProjectPermission(BasePermission):
    """Needs an action on the project the field belongs to (its parent Project)."""

    def __init__(self, action: str) -> None:
        self.action = action

    def has_permission(self, source: Any, info: Info, **kwargs: Any) -> bool:
        authorizer = info.context.authorizer
        authorizer.require_platform("use_console")
        authorizer.require(source.row_id, self.action)
        return True


class ProjectArgumentPermission(BasePermission):
    """Needs an action on the project an id argument names.

    A role in a project proves it exists; a superuser, who holds none, is told NOT_FOUND for
    an id that names no project rather than reaching a resolver with it.
    """

    def __init__(self, action: str, argument: str) -> None:
        self.action = action
        self.argument = argument

    async def has_permission(self, source: Any, info: Info, **kwargs: Any) -> bool:
        authorizer = info.context.authorizer
        authorizer.require_platform("use_console")
        project_id = parse_id(kwargs[self.argument], _camel(self.argument))
        authorizer.require(project_id, self.action)
        if not authorizer.roles_in(project_id) and not await project_exists(project_id):
            raise NotFound("Project not found.")
        return True


class OwnedByProjectPermission(BasePermission):
    """Needs an action on the project that owns the object an id argument names.

    An object the viewer may not read the project of is ``NOT_FOUND``, as if absent.
    """

    def __init__(
        self,
        action: str,
        argument: str,
        project_of: Callable[[int], Awaitable[int | None]],
        what: str,
    ) -> None:
        self.action = action
        self.argument = argument
        self.project_of = project_of
        self.what = what

    async def has_permission(self, source: Any, info: Info, **kwargs: Any) -> bool:
        authorizer = info.context.authorizer
        authorizer.require_platform("use_console")
        object_id = parse_id(kwargs[self.argument], _camel(self.argument))
        project_id = await self.project_of(object_id)
        if project_id is None or not authorizer.can(project_id, "read"):
            raise NotFound(f"{self.what} not found.")
        authorizer.require(project_id, self.action)
        return True


class GatewayPermission(BasePermission):
    """Needs an action on the calling API client's own project."""

    def __init__(self, action: str) -> None:
        self.action = action

    def has_permission(self, source: Any, info: Info, **kwargs: Any) -> bool:
        info.context.authorizer.require_gateway(self.action)
        return True


def _camel(name: str) -> str:
    head, *rest = name.split("_")
    return head + "".join(part.title() for part in rest)


def platform(action: str) -> list[FieldExtension]:
    return [PermissionExtension([PlatformPermission(action)], use_directives=False)]


def project(action: str, argument: str | None = None) -> list[FieldExtension]:
    """Guards a Project field (``argument`` None) or a field naming a project by argument."""
    permission: BasePermission = (
        ProjectPermission(action)
        if argument is None
        else ProjectArgumentPermission(action, argument)
    )
    return [PermissionExtension([permission], use_directives=False)]


def owned_by_project(
    action: str, argument: str, project_of: Callable[[int], Awaitable[int | None]], what: str
) -> list[FieldExtension]:
    permission = OwnedByProjectPermission(action, argument, project_of, what)
    return [PermissionExtension([permission], use_directives=False)]


def gateway(action: str) -> list[FieldExtension]:
    return [PermissionExtension([GatewayPermission(action)], use_directives=False)]


def public() -> list[FieldExtension]:
    """Marks a field as deliberately unguarded (what reaches it was already authorized)."""
    return []
