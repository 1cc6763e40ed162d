"""Member mutations on a project's API tokens."""

from datetime import datetime
from typing import Annotated

import strawberry

from resolvers.arguments import aware_instant, clean_name, parse_id
from resolvers.governance.api_tokens import api_token_project_id, create_api_token, revoke_api_token
from schema.api_token import ApiToken, CreateApiTokenPayload
from schema.context import Info
from schema.permissions import owned_by_project, project


@strawberry.type
class ApiTokenMutation:
    @strawberry.mutation(
        extensions=project("create_api_token", argument="project_id"),
        description="PROJECT_MEMBER: a new API token for the project's gateway; its secret "
        "is shown once.",
    )
    async def create_api_token(
        self,
        info: Info,
        project_id: Annotated[
            strawberry.ID, strawberry.argument(description="The project the token belongs to.")
        ],
        name: Annotated[
            str, strawberry.argument(description="What the token is for, 1..200 characters.")
        ],
        expires_at: Annotated[
            datetime | None,
            strawberry.argument(
                description="When it stops working, with offset; within the project's "
                "apiTokenMaxLifetimeDays. Null: never (when no lifetime is set)."
            ),
        ] = None,
    ) -> CreateApiTokenPayload:
        actor = info.context.authorizer.require_user()
        created = await create_api_token(
            actor_id=actor.id,
            project_id=parse_id(project_id, "projectId"),
            name=clean_name(name, "name"),
            expires_at=None if expires_at is None else aware_instant(expires_at, "expiresAt"),
        )
        return CreateApiTokenPayload(
            api_token=ApiToken.from_model(created.token), secret=created.secret
        )

    @strawberry.mutation(
        extensions=owned_by_project("revoke_api_token", "id", api_token_project_id, "API token"),
        description="PROJECT_MEMBER: revokes the token at once; it is refused from then on.",
    )
    async def revoke_api_token(
        self,
        info: Info,
        id: Annotated[strawberry.ID, strawberry.argument(description="The API token's id.")],
    ) -> ApiToken:
        actor = info.context.authorizer.require_user()
        row = await revoke_api_token(actor_id=actor.id, token_id=parse_id(id, "id"))
        return ApiToken.from_model(row)
