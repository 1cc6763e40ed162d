"""Administrator mutations on a project's members."""

from typing import Annotated

import strawberry

from resolvers.arguments import clean_email, clean_roles, parse_id
from resolvers.governance.members import add_member, remove_member, set_member_roles
from schema.context import Info
from schema.enums import ProjectRole
from schema.membership import Membership
from schema.permissions import project


@strawberry.type
class MemberMutation:
    @strawberry.mutation(
        extensions=project("manage_members", argument="project_id"),
        description="PROJECT_ADMIN: gives an existing user roles in the project.",
    )
    async def add_member(
        self,
        info: Info,
        project_id: Annotated[strawberry.ID, strawberry.argument(description="The project.")],
        email: Annotated[
            str, strawberry.argument(description="The user's email address (the user must exist).")
        ],
        roles: Annotated[
            list[ProjectRole], strawberry.argument(description="The roles to hold, at least one.")
        ],
    ) -> Membership:
        actor = info.context.authorizer.require_user()
        row = await add_member(
            actor_id=actor.id,
            project_id=parse_id(project_id, "projectId"),
            email=clean_email(email),
            roles=clean_roles(roles),
        )
        return Membership.from_model(row)

    @strawberry.mutation(
        extensions=project("manage_members", argument="project_id"),
        description="PROJECT_ADMIN: replaces a member's roles (at least one).",
    )
    async def set_member_roles(
        self,
        info: Info,
        project_id: Annotated[strawberry.ID, strawberry.argument(description="The project.")],
        user_id: Annotated[strawberry.ID, strawberry.argument(description="The member's user id.")],
        roles: Annotated[
            list[ProjectRole], strawberry.argument(description="The roles to hold, at least one.")
        ],
    ) -> Membership:
        actor = info.context.authorizer.require_user()
        row = await set_member_roles(
            actor_id=actor.id,
            project_id=parse_id(project_id, "projectId"),
            user_id=parse_id(user_id, "userId"),
            roles=clean_roles(roles),
        )
        return Membership.from_model(row)

    @strawberry.mutation(
        extensions=project("manage_members", argument="project_id"),
        description="PROJECT_ADMIN: revokes all of a member's roles; true when they had any.",
    )
    async def remove_member(
        self,
        info: Info,
        project_id: Annotated[strawberry.ID, strawberry.argument(description="The project.")],
        user_id: Annotated[strawberry.ID, strawberry.argument(description="The member's user id.")],
    ) -> bool:
        actor = info.context.authorizer.require_user()
        return await remove_member(
            actor_id=actor.id,
            project_id=parse_id(project_id, "projectId"),
            user_id=parse_id(user_id, "userId"),
        )
