"""Creating one project: its settings, members, API tokens and assistants, with their history."""

import math
import random
from datetime import datetime, timedelta
from itertools import accumulate

from comptroller.demo.audit import record_audit_event
from comptroller.demo.catalog import (
    ADMIN,
    ASSISTANT_DESCRIPTIONS,
    MEMBER,
    SHOWCASE_LABELS,
    SHOWCASE_ROLES,
    USER,
    AssistantSpec,
    ProjectSpec,
)
from comptroller.demo.people import issue_personal_token
from comptroller.demo.world import LiveAssistant, LiveProject, LiveToken, World
from kernel.tokens import TokenKind, issue_secret
from models import (
    ApiToken,
    Assistant,
    AssistantStatus,
    Membership,
    Project,
    ProjectSettings,
    User,
)


async def create_project(
    rng: random.Random, world: World, spec: ProjectSpec, showcase: list[User]
) -> LiveProject:
    created = world.now - timedelta(days=spec.created_days_ago)
    project = await Project.create(name=spec.name, description=spec.description, created_at=created)
    allowed = [world.models[name] for name in spec.allowed_models or ()]
    await ProjectSettings.create(
        project=project,
        timezone=spec.timezone,
        budget_alert_thresholds=list(spec.budget_alert_thresholds),
        enforce_budget=spec.enforce_budget,
        allowed_model_ids=[model.id for model in allowed] if allowed else None,
        store_request_content=spec.store_request_content,
        retention_days=spec.retention_days,
        api_token_max_lifetime_days=spec.api_token_max_lifetime_days,
    )
    target = f"project:{project.id}"
    details = {"name": spec.name}
    await record_audit_event(
        world.people[0].id, project.id, "project.create", target, details, created
    )
    roles = list(zip(showcase, SHOWCASE_ROLES, strict=False)) + draw_roles(rng, spec, world)
    user_ids, user_weights = await create_memberships(rng, project, created, roles)
    for user, label in zip(showcase, SHOWCASE_LABELS, strict=False):
        world.secrets[f"{label} ({spec.name})"] = await issue_personal_token(user)
    admin_id = next(user.id for user, held in roles if ADMIN in held)
    tokens = await create_api_tokens(world, project, spec, admin_id)
    assistants = [
        await create_assistant(world, project, assistant, admin_id) for assistant in spec.assistants
    ]
    active = [
        (assistant, spec_.weight)
        for assistant, spec_ in zip(assistants, spec.assistants, strict=True)
        if assistant.inactive_from is None
    ]
    return LiveProject(
        id=project.id,
        spec=spec,
        admin_id=admin_id,
        assistants=assistants,
        assistant_weights=list(accumulate(a.weight for a in spec.assistants)),
        active_assistants=[assistant for assistant, _ in active],
        active_assistant_weights=list(accumulate(weight for _, weight in active)),
        models=allowed or list(world.models.values()),
        user_ids=user_ids,
        user_weights=list(accumulate(user_weights)),
        tokens=tokens,
    )


def draw_roles(
    rng: random.Random, spec: ProjectSpec, world: World
) -> list[tuple[User, tuple[str, ...]]]:
    """Sample the project's people from everyone but the operator and the showcase people.

    One pool for every project puts many people in several projects; some admins and
    members also use the assistants themselves.
    """
    admins, members, users = spec.role_counts
    roles: list[tuple[User, tuple[str, ...]]] = []
    for position, user in enumerate(rng.sample(world.people[4:], admins + members + users)):
        if position < admins:
            held = (ADMIN, USER) if rng.random() < 0.5 else (ADMIN,)
        elif position < admins + members:
            held = (MEMBER, USER) if rng.random() < 0.6 else (MEMBER,)
        else:
            held = (USER,)
        roles.append((user, held))
    return roles


async def create_memberships(
    rng: random.Random,
    project: Project,
    created: datetime,
    roles: list[tuple[User, tuple[str, ...]]],
) -> tuple[list[int], list[float]]:
    """Memberships, and each member's weight in traffic: Pareto, so a few people dominate."""
    weights = []
    for user, held in roles:
        # Within days of the project's creation, so nobody has traffic before joining.
        joined = created + timedelta(days=rng.uniform(0, 8))
        await Membership.create(project=project, user=user, roles=list(held), created_at=joined)
        heavy = min(rng.paretovariate(1.2), 30.0)
        weights.append(heavy if USER in held else heavy * 0.25)
    return [user.id for user, _ in roles], weights


async def create_api_tokens(
    world: World, project: Project, spec: ProjectSpec, admin_id: int
) -> list[LiveToken]:
    tokens = []
    for token_spec in spec.tokens:
        issued = issue_secret(TokenKind.API)
        created = world.now - timedelta(days=token_spec.created_days_ago)
        expires = None
        if token_spec.lifetime_days is not None:
            expires = created + timedelta(days=token_spec.lifetime_days)
        revoked = None
        if token_spec.revoked_days_ago is not None:
            revoked = world.now - timedelta(days=token_spec.revoked_days_ago)
        token = await ApiToken.create(
            project=project,
            name=token_spec.name,
            prefix=issued.prefix,
            secret_hash=issued.secret_hash,
            created_by_id=admin_id,
            created_at=created,
            expires_at=expires,
            revoked_at=revoked,
        )
        target = f"api_token:{token.id}"
        details = {"name": token_spec.name, "prefix": issued.prefix}
        await record_audit_event(admin_id, project.id, "api_token.create", target, details, created)
        if revoked is not None:
            await record_audit_event(
                admin_id, project.id, "api_token.revoke", target, details, revoked
            )
        if token_spec.showcase:
            world.secrets[f"Gateway API token ({spec.name})"] = issued.secret
        ends = min((end.timestamp() for end in (expires, revoked) if end), default=None)
        tokens.append(LiveToken(token.id, created.timestamp(), ends, token_spec.weight))
    return tokens


async def create_assistant(
    world: World, project: Project, spec: AssistantSpec, admin_id: int
) -> LiveAssistant:
    model = world.models[spec.model] if spec.model else None
    created = project.created_at + timedelta(days=1)
    assistant = await Assistant.create(
        project=project,
        name=spec.name,
        description=ASSISTANT_DESCRIPTIONS[spec.name],
        model_id=model.id if model else None,
        status=AssistantStatus.ACTIVE,
        created_at=created,
    )
    inactive_from = None
    if spec.inactive_since_days is not None:
        deactivated = max(world.now - timedelta(days=spec.inactive_since_days), created)
        assistant.status = AssistantStatus.INACTIVE
        await assistant.save(update_fields=["status", "updated_at"])
        details = {"status": AssistantStatus.INACTIVE.value}
        target = f"assistant:{assistant.id}"
        await record_audit_event(
            admin_id, project.id, "assistant.update", target, details, deactivated
        )
        inactive_from = deactivated.timestamp()
    return LiveAssistant(
        id=assistant.id,
        model=model,
        log_input_median=math.log(spec.input_median),
        log_output_median=math.log(spec.output_median),
        inactive_from=inactive_from,
    )
