"""What a denied mutation must leave untouched: row counts everywhere, and the project's
members, assistants, tokens and settings as they were."""

from typing import Any

from models import (
    AiModel,
    ApiToken,
    Assistant,
    AuditEvent,
    Membership,
    PersonalAccessToken,
    Project,
    ProjectSettings,
    Request,
    UsageRollup,
    User,
    UserUsageRollup,
)

COUNTED = (
    User,
    PersonalAccessToken,
    Project,
    ProjectSettings,
    Membership,
    AiModel,
    Assistant,
    ApiToken,
    AuditEvent,
    Request,
    UsageRollup,
    UserUsageRollup,
)


async def snapshot(project: Project) -> dict[str, Any]:
    counts = {model.__name__: await model.all().count() for model in COUNTED}
    return {
        "counts": counts,
        "members": sorted(
            (m["user_id"], tuple(m["roles"]))
            for m in await Membership.filter(project_id=project.id).values("user_id", "roles")
        ),
        "assistants": sorted(
            tuple(a.values())
            for a in await Assistant.filter(project_id=project.id).values(
                "id", "name", "description", "status", "model_id"
            )
        ),
        "api_tokens": sorted(
            (t["id"], str(t["revoked_at"]))
            for t in await ApiToken.filter(project_id=project.id).values("id", "revoked_at")
        ),
        "settings": await ProjectSettings.filter(project_id=project.id).values(),
    }
