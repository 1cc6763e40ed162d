"""A project's assistants."""

from dataclasses import dataclass
from typing import cast

from tortoise.transactions import in_transaction

from kernel.errors import BadUserInput, NotFound
from models import AiModel, Assistant, AssistantStatus, ProjectSettings
from resolvers.governance.audit import record_event


@dataclass(frozen=True)
class AssistantChanges:
    """Validated fields of an ``AssistantInput``; ``None`` means "leave as it is"."""

    name: str | None = None
    description: str | None = None
    clear_description: bool = False
    model_id: int | None = None
    clear_model: bool = False
    status: AssistantStatus | None = None


async def list_assistants(
    project_id: int, status: AssistantStatus | None, active_only: bool
) -> list[Assistant]:
    queryset = Assistant.filter(project_id=project_id)
    if active_only:
        if status is AssistantStatus.INACTIVE:
            return []
        status = AssistantStatus.ACTIVE
    if status is not None:
        queryset = queryset.filter(status=status)
    return await queryset.order_by("name", "id")


async def assistant_project_id(assistant_id: int) -> int | None:
    project_id = (
        await Assistant.filter(id=assistant_id).first().values_list("project_id", flat=True)
    )
    return cast("int | None", project_id)


async def create_assistant(
    *, actor_id: int, project_id: int, changes: AssistantChanges
) -> Assistant:
    if changes.name is None:
        raise BadUserInput("input.name", "an assistant needs a name")
    await _check_model(project_id, changes.model_id)
    async with in_transaction():
        assistant = await Assistant.create(
            project_id=project_id,
            name=changes.name,
            description=changes.description,
            model_id=changes.model_id,
            status=changes.status or AssistantStatus.ACTIVE,
        )
        await record_event(
            actor_id=actor_id,
            project_id=project_id,
            action="assistant.create",
            target=f"assistant:{assistant.id}",
            details={"name": assistant.name},
        )
    return assistant


async def update_assistant(
    *, actor_id: int, assistant_id: int, changes: AssistantChanges
) -> Assistant:
    async with in_transaction():
        assistant = await Assistant.filter(id=assistant_id).select_for_update().first()
        if assistant is None:
            raise NotFound("Assistant not found.")
        await _check_model(assistant.project_id, changes.model_id)
        changed: dict[str, object] = {}
        if changes.name is not None:
            changed["name"] = changes.name
        if changes.description is not None or changes.clear_description:
            changed["description"] = changes.description
        if changes.model_id is not None or changes.clear_model:
            changed["model_id"] = changes.model_id
        if changes.status is not None:
            changed["status"] = changes.status
        # Only what differs from the stored value: an update that changes nothing writes
        # nothing and records nothing.
        before = {field: getattr(assistant, field) for field in changed}
        changed = {field: value for field, value in changed.items() if before[field] != value}
        for field, value in changed.items():
            setattr(assistant, field, value)
        if changed:
            await assistant.save(update_fields=[*changed, "updated_at"])
            await record_event(
                actor_id=actor_id,
                project_id=assistant.project_id,
                action="assistant.update",
                target=f"assistant:{assistant.id}",
                details={
                    "before": {_AUDIT_NAMES[f]: _plain(before[f]) for f in changed},
                    "after": {_AUDIT_NAMES[f]: _plain(v) for f, v in changed.items()},
                },
            )
    return assistant


async def _check_model(project_id: int, model_id: int | None) -> None:
    if model_id is None:
        return
    if not await AiModel.exists(id=model_id):
        raise BadUserInput("input.modelId", "no model with this id")
    settings = await ProjectSettings.get_or_none(project_id=project_id)
    allowed = settings.allowed_model_ids if settings else None
    if allowed is not None and model_id not in allowed:
        raise BadUserInput("input.modelId", "this model is not allowed in the project")


_AUDIT_NAMES = {
    "name": "name", "description": "description", "model_id": "modelId", "status": "status",
}  # fmt: skip


def _plain(value: object) -> object:
    """A value as JSON shows it: enums by their name."""
    return value.value if isinstance(value, AssistantStatus) else value
