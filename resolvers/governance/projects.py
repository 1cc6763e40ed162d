"""Projects: finding them for a viewer, listing them, creating them."""

from tortoise.transactions import in_transaction

from kernel.authorization import Authorizer
from kernel.errors import NotFound
from kernel.raw_sql import Statement
from models import Project, ProjectSettings
from resolvers.governance.audit import record_event
from resolvers.listed_rows import ListedProject, row_reader
from resolvers.pagination import Ordering, Page, SortKey, keyset_page

BY_NAME = Ordering(name="projects", keys=(SortKey("name", str), SortKey("id", int)))


async def project_by_id(project_id: int) -> ListedProject:
    """The project, once the caller has been allowed to read it (every project-scoped query
    starts here: one plain statement)."""
    connection = Project._meta.db
    reader = row_reader(ListedProject, "p", connection)
    sql = Statement(connection)
    query = f"SELECT {reader.select} FROM projects p WHERE p.id = {sql.bind(project_id)}"
    _, found = await connection.execute_query(query, sql.params)
    if not found:
        raise NotFound("Project not found.")
    return reader(found[0])


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
