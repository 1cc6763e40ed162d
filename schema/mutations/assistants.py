"""Member mutations on a project's assistants."""

from typing import Annotated

import strawberry

from kernel.errors import BadUserInput
from resolvers.arguments import clean_description, clean_name, parse_id
from resolvers.governance.assistants import (
    AssistantChanges,
    assistant_project_id,
    create_assistant,
    update_assistant,
)
from schema.assistant import Assistant
from schema.context import Info
from schema.enums import AssistantStatus
from schema.permissions import owned_by_project, project


@strawberry.input(description="Fields left out stay as they are; null clears description or model.")
class AssistantInput:
    name: str | None = strawberry.field(
        default=strawberry.UNSET,
        description="1..200 characters; required to create, cannot be cleared.",
    )
    description: str | None = strawberry.field(
        default=strawberry.UNSET, description="Up to 5,000 characters; null or blank clears it."
    )
    model_id: (
        Annotated[strawberry.ID, strawberry.argument(description="The assistant's id.")] | None
    ) = strawberry.field(
        default=strawberry.UNSET, description="The model it calls; null clears it."
    )
    status: AssistantStatus | None = strawberry.field(
        default=strawberry.UNSET, description="ACTIVE or INACTIVE; a new assistant is ACTIVE."
    )

    def changes(self) -> AssistantChanges:
        if self.name is None:
            raise BadUserInput("input.name", "an assistant's name cannot be cleared")
        name = None if self.name is strawberry.UNSET else clean_name(str(self.name), "input.name")
        description = (
            None
            if self.description is strawberry.UNSET
            else clean_description(self.description, "input.description")
        )
        model_given = self.model_id is not strawberry.UNSET
        model_id = (
            parse_id(self.model_id, "input.modelId")
            if model_given and self.model_id is not None
            else None
        )
        status = None if self.status is strawberry.UNSET else self.status
        return AssistantChanges(
            name=name,
            description=description,
            # Null, or a description that is only blanks, clears it.
            clear_description=self.description is not strawberry.UNSET and description is None,
            model_id=model_id,
            clear_model=model_given and self.model_id is None,
            status=status,
        )


@strawberry.type
class AssistantMutation:
    @strawberry.mutation(
        extensions=project("create_assistant", argument="project_id"),
        description="PROJECT_MEMBER: a new assistant in the project.",
    )
    async def create_assistant(
        self,
        info: Info,
        project_id: Annotated[
            strawberry.ID, strawberry.argument(description="The project to add it to.")
        ],
        input: Annotated[
            AssistantInput, strawberry.argument(description="Its fields; name is required.")
        ],
    ) -> Assistant:
        actor = info.context.authorizer.require_user()
        row = await create_assistant(
            actor_id=actor.id,
            project_id=parse_id(project_id, "projectId"),
            changes=input.changes(),
        )
        return Assistant.from_model(row)

    @strawberry.mutation(
        extensions=owned_by_project("update_assistant", "id", assistant_project_id, "Assistant"),
        description="PROJECT_MEMBER: changes the fields given, leaves the others.",
    )
    async def update_assistant(
        self,
        info: Info,
        id: Annotated[strawberry.ID, strawberry.argument(description="The assistant's id.")],
        input: Annotated[
            AssistantInput, strawberry.argument(description="Its fields; name is required.")
        ],
    ) -> Assistant:
        actor = info.context.authorizer.require_user()
        row = await update_assistant(
            actor_id=actor.id, assistant_id=parse_id(id, "id"), changes=input.changes()
        )
        return Assistant.from_model(row)
