"""The root Query."""

from typing import Annotated

import strawberry

from resolvers.arguments import page_size, parse_id
from resolvers.governance.ai_models import list_models
from resolvers.governance.projects import project_by_id, projects_page
from schema.admission import AdmissionQuery
from schema.ai_model import Model
from schema.connections import Connection, PageAfter, PageSize
from schema.context import Info
from schema.permissions import platform, project
from schema.project import Project
from schema.user import User


@strawberry.type(
    description="What people (personal access tokens) may read, and what a gateway asks "
    "before a call (admission)."
)
class Query(AdmissionQuery):
    @strawberry.field(extensions=platform("use_console"), description="Who is calling.")
    def viewer(self, info: Info) -> User:
        return User.from_principal(info.context.authorizer.require_user())

    @strawberry.field(
        extensions=project("read", argument="id"),
        description="A project the viewer holds a role in (superusers: any); else NOT_FOUND.",
    )
    async def project(
        self, id: Annotated[strawberry.ID, strawberry.argument(description="The project's id.")]
    ) -> Project | None:
        return Project.from_model(await project_by_id(parse_id(id, "id")))

    @strawberry.field(
        extensions=platform("use_console"),
        description="Projects the viewer holds a role in, by name. "
        "includeAll (superusers only) lists every project.",
    )
    async def projects(
        self,
        info: Info,
        first: PageSize = 50,
        after: PageAfter = None,
        include_all: Annotated[
            bool,
            strawberry.argument(
                description="Superusers only: every project, not just those with a role."
            ),
        ] = False,
    ) -> Connection[Project]:
        page = await projects_page(info.context.authorizer, page_size(first), after, include_all)
        return Connection.from_page(page, Project.from_model)

    @strawberry.field(extensions=platform("use_console"), description="The model catalog.")
    async def models(self) -> list[Model]:
        return [Model.from_model(row) for row in await list_models()]
