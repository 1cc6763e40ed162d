"""Member mutations on a project's API tokens."""

from datetime import datetime

import strawberry

from resolvers.arguments import aware_instant, clean_name, parse_id
from resolvers.governance.api_tokens import api_token_project_id, create_api_token, revoke_api_token
from schema.api_token import ApiToken, CreateApiTokenPayload
from schema.context import Info
from schema.permissions import owned_by_project, project


@strawberry.type
class ApiTokenMutation:
    @strawberry.mutation(extensions=project("create_api_token", argument="project_id"))
    async def create_api_token(
        self,
        info: Info,
        project_id: strawberry.ID,
        name: str,
        expires_at: datetime | None = None,
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
        extensions=owned_by_project("revoke_api_token", "id", api_token_project_id, "API token")
    )
    async def revoke_api_token(self, info: Info, id: strawberry.ID) -> ApiToken:
        actor = info.context.authorizer.require_user()
        row = await revoke_api_token(actor_id=actor.id, token_id=parse_id(id, "id"))
        return ApiToken.from_model(row)
