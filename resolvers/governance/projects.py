"""Projects: finding them for a viewer, listing them, creating them."""

from tortoise.transactions import in_transaction

from kernel.authorization import Authorizer
from kernel.errors import NotFound
from models import Project, ProjectSettings
from resolvers.governance.audit import record_event
from resolvers.pagination import Ordering, Page, SortKey, keyset_page

BY_NAME = Ordering(name="projects", keys=(SortKey("name", str), SortKey("id", int)))


async def project_by_id(project_id: int) -> Project:
    """The project, once the caller has been allowed to read it."""
    project = await Project.get_or_none(id=project_id)
    if project is None:
        raise NotFound("Project not found.")
    return project


async def project_exists(project_id: int) -> bool:
    return await Project.exists(id=project_id)


async def projects_page(
    authorizer: Authorizer, first: int, after: str | None, include_all: bool
) -> Page[Project]:
    """Projects the viewer holds a role in; every project for an operator who asks for all."""
    user = authorizer.require_user()
    if include_all:
        authorizer.require_platform("list_all_projects")
        queryset = Project.all()
    else:
        queryset = Project.filter(id__in=list(user.project_roles))
    return await keyset_page(queryset, BY_NAME, lambda p: (p.name, p.id), first, after)


async def create_project(actor_id: int, name: str, description: str | None) -> Project:
    async with in_transaction():
        project = await Project.create(name=name, description=description)
        await ProjectSettings.create(project=project)
        await record_event(
            actor_id=actor_id,
            project_id=project.id,
            action="project.create",
            target=f"project:{project.id}",
            details={"name": name},
        )
    return project


async def project_settings(project_id: int) -> ProjectSettings:
    settings = await ProjectSettings.get_or_none(project_id=project_id)
    if settings is None:
        # Projects are created with their settings; this only heals rows made by hand.
        settings = await ProjectSettings.create(project_id=project_id)
    return settings
