"""Administrator mutations on a project's settings."""

from typing import Annotated

import strawberry

from resolvers.arguments import parse_id
from resolvers.governance.settings import rotate_webhook_secret, update_project_settings
from schema.context import Info
from schema.permissions import project
from schema.project_settings import ProjectSettings, ProjectSettingsInput


@strawberry.type
class SettingsMutation:
    @strawberry.mutation(
        extensions=project("update_settings", argument="project_id"),
        description="A partial update of the project's settings, audited as settings.update "
        "with what changed (before and after); a change that changes nothing records nothing.",
    )
    async def update_project_settings(
        self,
        info: Info,
        project_id: Annotated[strawberry.ID, strawberry.argument(description="The project.")],
        input: Annotated[
            ProjectSettingsInput,
            strawberry.argument(description="The fields to change; those left out stay."),
        ],
    ) -> ProjectSettings:
        actor = info.context.authorizer.require_user()
        change = input.change(info.context.webhook_allowed_hosts)
        outcome = await update_project_settings(
            actor_id=actor.id, project_id=parse_id(project_id, "projectId"), change=change
        )
        return ProjectSettings.from_model(outcome.settings, outcome.new_webhook_secret)

    @strawberry.mutation(
        extensions=project("update_settings", argument="project_id"),
        description="A new signing key for the alert webhook, shown once in alertWebhookSecret.",
    )
    async def rotate_alert_webhook_secret(
        self,
        info: Info,
        project_id: Annotated[strawberry.ID, strawberry.argument(description="The project.")],
    ) -> ProjectSettings:
        actor = info.context.authorizer.require_user()
        outcome = await rotate_webhook_secret(
            actor_id=actor.id, project_id=parse_id(project_id, "projectId")
        )
        return ProjectSettings.from_model(outcome.settings, outcome.new_webhook_secret)
