"""Factories: build the data a test needs through the ORM, each name unique to the call."""

import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from kernel.tokens import TokenKind, issue_secret
from models import (
    AiModel,
    ApiToken,
    Assistant,
    AssistantStatus,
    Membership,
    PersonalAccessToken,
    Project,
    ProjectRole,
    ProjectSettings,
    Request,
    RequestStatus,
    User,
)
from resolvers.ingestion.record import RecordInput
from resolvers.ingestion.recording import record_requests


def unique(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:10]}"


async def make_user(*, superuser: bool = False, name: str | None = None) -> tuple[User, str]:
    """A user and a working personal access token for them."""
    label = name or unique("user")
    user = await User.create(email=f"{label}@example.com", name=label, is_superuser=superuser)
    return user, await make_personal_token(user)


async def make_personal_token(
    user: User, *, revoked: bool = False, expires_at: datetime | None = None
) -> str:
    issued = issue_secret(TokenKind.PERSONAL)
    await PersonalAccessToken.create(
        user=user,
        name="test",
        prefix=issued.prefix,
        secret_hash=issued.secret_hash,
        revoked_at=datetime.now(UTC) if revoked else None,
        expires_at=expires_at,
    )
    return issued.secret


async def make_project(**settings: Any) -> Project:
    project = await Project.create(name=unique("project"), description="A test project")
    await ProjectSettings.create(project=project, **settings)
    return project


async def grant(user: User, project: Project, *roles: ProjectRole) -> Membership:
    return await Membership.create(project=project, user=user, roles=[r.value for r in roles])


async def make_model(input_usd: float = 2.5, output_usd: float = 10.0) -> AiModel:
    return await AiModel.create(
        name=unique("model"),
        provider="openai",
        input_price_per_million_nanos=round(input_usd * 1e9),
        output_price_per_million_nanos=round(output_usd * 1e9),
    )


async def make_assistant(
    project: Project,
    *,
    status: AssistantStatus = AssistantStatus.ACTIVE,
    model: AiModel | None = None,
) -> Assistant:
    return await Assistant.create(
        project=project, name=unique("assistant"), status=status, model=model
    )


async def make_api_token(
    project: Project, *, revoked: bool = False, expires_at: datetime | None = None
) -> tuple[ApiToken, str]:
    issued = issue_secret(TokenKind.API)
    token = await ApiToken.create(
        project=project,
        name=unique("token"),
        prefix=issued.prefix,
        secret_hash=issued.secret_hash,
        revoked_at=datetime.now(UTC) if revoked else None,
        expires_at=expires_at,
    )
    return token, issued.secret


PRINCIPALS = (
    "anonymous",
    "unknown_token",
    "revoked_token",
    "expired_token",
    "non_member",
    "assistant_user",
    "project_member",
    "project_admin",
    "other_project_admin",
    "superuser",
    "api_token",
)


@dataclass
class World:
    """A project with one caller of every kind, and a few things to act on."""

    project: Project
    other_project: Project
    model: AiModel
    active_assistant: Assistant
    inactive_assistant: Assistant
    api_token: ApiToken
    request_id: int = 0
    tokens: dict[str, str | None] = field(default_factory=dict)
    users: dict[str, User] = field(default_factory=dict)


async def make_world() -> World:
    project = await make_project()
    other_project = await make_project()
    model = await make_model()
    world = World(
        project=project,
        other_project=other_project,
        model=model,
        active_assistant=await make_assistant(project, model=model),
        inactive_assistant=await make_assistant(project, status=AssistantStatus.INACTIVE),
        api_token=(await make_api_token(project))[0],
    )
    world.tokens["anonymous"] = None
    world.tokens["unknown_token"] = issue_secret(TokenKind.PERSONAL).secret
    revoked_user, _ = await make_user()
    world.tokens["revoked_token"] = await make_personal_token(revoked_user, revoked=True)
    await grant(revoked_user, project, ProjectRole.PROJECT_ADMIN)
    expired_user, _ = await make_user()
    world.tokens["expired_token"] = await make_personal_token(
        expired_user, expires_at=datetime.now(UTC) - timedelta(minutes=1)
    )
    await grant(expired_user, project, ProjectRole.PROJECT_ADMIN)
    roles = {
        "non_member": (),
        "assistant_user": (ProjectRole.ASSISTANT_USER,),
        "project_member": (ProjectRole.PROJECT_MEMBER,),
        "project_admin": (ProjectRole.PROJECT_ADMIN,),
    }
    for kind, held in roles.items():
        user, token = await make_user()
        if held:
            await grant(user, project, *held)
        world.users[kind] = user
        world.tokens[kind] = token
    other_admin, token = await make_user()
    await grant(other_admin, other_project, ProjectRole.PROJECT_ADMIN)
    world.users["other_project_admin"] = other_admin
    world.tokens["other_project_admin"] = token
    superuser, token = await make_user(superuser=True)
    world.users["superuser"] = superuser
    world.tokens["superuser"] = token
    world.tokens["api_token"] = (await make_api_token(project))[1]
    world.request_id = await make_request(project, model)
    return world


async def make_request(project: Project, model: AiModel, **fields: Any) -> int:
    """One request recorded the way the gateway records it (rollups included); its id."""
    external_id = unique("req")
    record = RecordInput(
        external_id=external_id,
        created_at=fields.pop("created_at", datetime.now(UTC) - timedelta(minutes=1)),
        status=fields.pop("status", RequestStatus.SUCCESS),
        duration_ms=fields.pop("duration_ms", 120),
        model_id=str(model.id),
        input_tokens=fields.pop("input_tokens", 100),
        output_tokens=fields.pop("output_tokens", 50),
        **fields,
    )
    await record_requests(project.id, None, [record])
    row = await Request.get(project_id=project.id, external_id=external_id)
    return int(row.id)
