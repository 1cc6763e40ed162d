"""Realistic demo data for ``comptroller demo``: projects, people, assistants, 90 days of requests.

The few hundred small rows go through the ORM; the requests, which are the bulk, go in with raw
``executemany`` in one transaction (about 15x faster than ``bulk_create``, see PITFALLS.md).
A seed makes the data repeatable, apart from token secrets, which are always fresh.
"""

import math
import random
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from itertools import accumulate, islice
from typing import Any
from zoneinfo import ZoneInfo

from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from tortoise import Tortoise, connections
from tortoise.transactions import in_transaction

from comptroller.database import tortoise_config
from comptroller.tokens import TokenKind, issue_secret
from models import (
    AiModel,
    ApiToken,
    Assistant,
    AssistantStatus,
    AuditEvent,
    Membership,
    PersonalAccessToken,
    Project,
    ProjectRole,
    ProjectSettings,
    RequestStatus,
    User,
)
from resolvers.rollups import rebuild_rollups

DAY = 86_400.0
HOUR = 3_600.0
HISTORY_DAYS = 90
BATCH_SIZE = 10_000
BACKGROUND_ERROR_RATE = 0.015
WITHOUT_ASSISTANT_RATE = 0.06  # direct API calls, e.g. scripts and evaluations
WITHOUT_USER_RATE = 0.08  # batch jobs that act for nobody in particular
MAX_INPUT_TOKENS = 128_000  # the context window of most of the models
MAX_OUTPUT_TOKENS = 4_096  # the usual max_tokens cap
OFF_MODEL_RATE = 0.08  # the gateway sometimes routes an assistant to another model (A/B tests)
# Local hour -> relative traffic: a working day with a lunch dip and a quiet night.
HOUR_OF_DAY_WEIGHTS = (
    *(0.05, 0.04, 0.03, 0.03, 0.04, 0.08, 0.18, 0.4, 0.75, 1.0, 1.0, 0.95),
    *(0.7, 0.9, 1.0, 0.95, 0.85, 0.6, 0.4, 0.3, 0.25, 0.18, 0.12, 0.08),
)
WEEKEND_FACTOR = 0.22
ADMIN, MEMBER, USER = (
    ProjectRole.PROJECT_ADMIN.value,
    ProjectRole.PROJECT_MEMBER.value,
    ProjectRole.ASSISTANT_USER.value,
)
REQUEST_COLUMNS = (
    *("project_id", "external_id", "created_at", "recorded_at", "status", "duration_ms"),
    *("assistant_id", "model_id", "api_token_id", "user_id", "input_tokens", "output_tokens"),
    *("cost_nanos", "input_price_per_million_nanos", "output_price_per_million_nanos"),
    *("input", "output", "error_message"),
)
COST_COLUMN = REQUEST_COLUMNS.index("cost_nanos")
TOKEN_COLUMN = REQUEST_COLUMNS.index("api_token_id")
INSERT_REQUEST_SQL = (
    f"INSERT INTO requests ({', '.join(REQUEST_COLUMNS)})"  # noqa: S608 -- constants only
    f" VALUES ({', '.join('?' for _ in REQUEST_COLUMNS)})"
)


@dataclass(frozen=True)
class ModelSpec:
    name: str
    provider: str
    input_usd: str  # list price per million tokens, as text so that nanos convert exactly
    output_usd: str
    latency_ms: int  # time to first token
    ms_per_token: float  # output speed


@dataclass(frozen=True)
class AssistantSpec:
    name: str  # its description is in ASSISTANT_DESCRIPTIONS
    model: str | None
    weight: float  # share of the project's assistant traffic
    input_median: int
    output_median: int
    inactive_since_days: int | None = None  # deactivated that many days ago; None = ACTIVE


@dataclass(frozen=True)
class TokenSpec:
    name: str
    created_days_ago: int
    weight: float
    revoked_days_ago: int | None = None
    lifetime_days: int | None = None
    showcase: bool = False  # its secret is handed out as the project's gateway token


@dataclass(frozen=True)
class ProjectSpec:
    name: str
    description: str
    timezone: str
    traffic_share: float
    created_days_ago: int
    role_counts: tuple[int, int, int]  # admins, members, assistant users drawn from the people
    assistants: tuple[AssistantSpec, ...]
    tokens: tuple[TokenSpec, ...]
    exchanges: tuple[tuple[str, str], ...]  # sample (input, output) texts
    budget_factor: float | None = None  # monthly budget as a multiple of the last 30 days' spend
    enforce_budget: bool = False
    budget_alert_thresholds: tuple[float, ...] = (50, 80, 100)
    allowed_models: tuple[str, ...] | None = None
    store_request_content: bool = True
    retention_days: int | None = None
    api_token_max_lifetime_days: int | None = None


@dataclass(frozen=True)
class ErrorKind:
    message: str
    billed_input: bool  # whether the provider had read the prompt before failing
    min_ms: int
    max_ms: int


MODELS = (
    ModelSpec("gpt-4o", "OpenAI", "2.50", "10.00", 450, 12.0),
    ModelSpec("gpt-4o-mini", "OpenAI", "0.15", "0.60", 300, 7.0),
    ModelSpec("claude-3-5-sonnet", "Anthropic", "3.00", "15.00", 600, 14.0),
    ModelSpec("claude-3-5-haiku", "Anthropic", "0.80", "4.00", 380, 8.0),
    ModelSpec("claude-3-opus", "Anthropic", "15.00", "75.00", 900, 30.0),
    ModelSpec("gemini-1.5-pro", "Google", "1.25", "5.00", 550, 11.0),
    ModelSpec("gemini-1.5-flash", "Google", "0.075", "0.30", 250, 5.0),
    ModelSpec("mistral-large", "Mistral AI", "2.00", "6.00", 500, 13.0),
    ModelSpec("llama-3.1-70b", "Meta", "0.88", "0.88", 350, 9.0),
)

PROJECTS = (
    ProjectSpec(
        name="Customer Support Copilot",
        description="Assistants for the support desk.",
        timezone="Europe/Berlin",
        traffic_share=0.42,
        created_days_ago=150,
        role_counts=(1, 3, 12),
        assistants=(
            AssistantSpec("Ticket Triage", "gpt-4o-mini", 5, 900, 120),
            AssistantSpec("Reply Drafter", "claude-3-5-sonnet", 4, 2200, 450),
            AssistantSpec("Knowledge Base", "gemini-1.5-flash", 3, 3500, 300),
            AssistantSpec("Call Summarizer", "gpt-4o", 2, 6000, 350),
            AssistantSpec("Legacy FAQ Bot", "gpt-4o", 1.5, 600, 200, 35),
        ),
        tokens=(
            TokenSpec("Production gateway (rotated out)", 150, 0.85, revoked_days_ago=60),
            TokenSpec("Production gateway", 61, 0.85, showcase=True),
            TokenSpec("Staging gateway", 140, 0.15),
        ),
        exchanges=(
            ("My order #48213 arrived damaged.", "Sorry! A replacement is on its way."),
            ("How do I reset my password?", "Use 'Forgot password' on the sign-in page."),
            ("Can I change my delivery address?", "Yes, until it ships: Orders > Edit."),
            ("Classify: app crashes on login", "category=bug queue=mobile priority=high"),
            ("Summarize ticket #10294", "Double charge in March; refund approved."),
        ),
        budget_factor=1.3,
        enforce_budget=True,
        retention_days=365,
    ),
    ProjectSpec(
        name="Sales Intelligence",
        description="Research and outreach for the sales team.",
        timezone="America/New_York",
        traffic_share=0.30,
        created_days_ago=130,
        role_counts=(2, 4, 10),
        assistants=(
            AssistantSpec("Lead Qualifier", "gpt-4o-mini", 4, 1200, 150),
            AssistantSpec("Account Researcher", "gemini-1.5-pro", 3, 5000, 700),
            AssistantSpec("Proposal Writer", "claude-3-opus", 1, 4000, 1500),
            AssistantSpec("Email Sequencer", "mistral-large", 2, 800, 300),
            AssistantSpec("Pipeline Forecaster", "gpt-4o", 1, 3000, 400, 20),
        ),
        tokens=(
            TokenSpec("CRM integration", 125, 0.6),
            TokenSpec("Gateway", 120, 0.4, showcase=True),
            TokenSpec("Notebook key (leaked)", 100, 0.1, revoked_days_ago=45),
        ),
        exchanges=(
            ("Qualify lead: ACME GmbH, 800 staff", "Score 82: budget confirmed, Q3 timeline."),
            ("Brief me on Globex Corp", "Revenue up 12%; new CFO; expanding in APAC."),
            ("Follow-up after demo with Initech", "Hi Peter, thanks for your time today..."),
            ("Draft a proposal intro for Umbrella", "Umbrella's goal of halving churn..."),
        ),
        budget_factor=0.85,
        budget_alert_thresholds=(50, 75, 90, 100),
    ),
    ProjectSpec(
        name="Engineering Productivity",
        description="Coding assistants; code is never kept in the request log.",
        timezone="UTC",
        traffic_share=0.18,
        created_days_ago=130,
        role_counts=(1, 3, 9),
        assistants=(
            AssistantSpec("Code Reviewer", "claude-3-5-sonnet", 3, 7000, 600),
            AssistantSpec("Commit Writer", "claude-3-5-haiku", 4, 1500, 60),
            AssistantSpec("Postmortem Helper", "claude-3-5-sonnet", 1, 4000, 900),
            AssistantSpec("SQL Helper", "gpt-4o-mini", 2, 1200, 250),
            AssistantSpec("Test Generator", "llama-3.1-70b", 2, 2500, 800, 10),
        ),
        tokens=(
            TokenSpec("CI pipeline (expired)", 128, 0.7, lifetime_days=90),
            TokenSpec("CI pipeline", 42, 0.7, lifetime_days=90, showcase=True),
            TokenSpec("IDE plugin", 85, 0.3, lifetime_days=90),
            TokenSpec("Notebook key", 70, 0.05, revoked_days_ago=65, lifetime_days=30),
        ),
        exchanges=(),
        allowed_models=("claude-3-5-sonnet", "claude-3-5-haiku", "gpt-4o-mini", "llama-3.1-70b"),
        store_request_content=False,
        retention_days=180,
        api_token_max_lifetime_days=90,
    ),
    ProjectSpec(
        name="Legal Document Review",
        description="Contract analysis for the legal team.",
        timezone="Asia/Kolkata",  # UTC+5:30: its days do not start on a UTC hour
        traffic_share=0.10,
        created_days_ago=100,
        role_counts=(1, 2, 6),
        assistants=(
            AssistantSpec("Contract Analyzer", "claude-3-5-sonnet", 3, 12000, 900),
            AssistantSpec("Clause Comparer", "gpt-4o", 2, 8000, 500),
            AssistantSpec("Redline Assistant", "gemini-1.5-pro", 1, 9000, 1200),
            # A draft never launched: no model, no traffic.
            AssistantSpec("NDA Generator", None, 0, 1000, 1000, 95),
        ),
        tokens=(TokenSpec("Document pipeline", 99, 1.0, showcase=True),),
        exchanges=(
            ("Review clause 7.2 (liability cap)", "Cap of 1x fees is below our 2x standard."),
            ("Compare NDA with playbook", "Term 5y (playbook: 3y); no carve-outs."),
        ),
        budget_factor=2.0,
    ),
)

ASSISTANT_DESCRIPTIONS = {
    "Ticket Triage": "Classifies incoming tickets and routes them to the right queue.",
    "Reply Drafter": "Drafts answers to customer emails in the brand's voice.",
    "Knowledge Base": "Answers agents' questions from the help-center articles.",
    "Call Summarizer": "Turns recorded support calls into CRM notes.",
    "Legacy FAQ Bot": "The first FAQ bot, replaced by Knowledge Base.",
    "Lead Qualifier": "Scores inbound leads against the ideal customer profile.",
    "Account Researcher": "Builds account briefs from filings and news.",
    "Proposal Writer": "Writes first drafts of proposals.",
    "Email Sequencer": "Plans follow-up email sequences.",
    "Pipeline Forecaster": "Forecast pilot, ended after the quarter.",
    "Code Reviewer": "Reviews pull requests for bugs and style.",
    "Commit Writer": "Writes commit messages from staged diffs.",
    "Postmortem Helper": "Drafts incident postmortems from the timeline.",
    "SQL Helper": "Explains and writes SQL for the data warehouse.",
    "Test Generator": "Generates unit tests; paused while its output is flaky.",
    "Contract Analyzer": "Flags risky clauses in incoming contracts.",
    "Clause Comparer": "Compares clauses with the legal playbook.",
    "Redline Assistant": "Suggests redlines for counterparties' drafts.",
    "NDA Generator": "Drafts NDAs from the standard template (never launched).",
}

RATE_LIMITED = ErrorKind("429 Too Many Requests: rate limit exceeded", False, 40, 400)
TIMED_OUT = ErrorKind("Request timed out after 30000 ms", True, 30_000, 30_050)
TOO_LONG = ErrorKind("400 Bad Request: prompt exceeds the context window", False, 50, 300)
FILTERED = ErrorKind("Response blocked by the content filter", True, 300, 2_500)
PROVIDER_FAILED = ErrorKind("500 Internal Server Error from the provider", False, 200, 3_000)
BACKGROUND_ERRORS = (RATE_LIMITED, TIMED_OUT, TOO_LONG, FILTERED, PROVIDER_FAILED)
BACKGROUND_ERROR_WEIGHTS = (4, 2, 1, 1, 2)
OVERLOADED = ErrorKind("529 Overloaded: the API is temporarily overloaded", False, 100, 1_200)
UNAVAILABLE = ErrorKind("503 Service Unavailable: engine overloaded", False, 100, 1_500)
GATEWAY_TIMEOUT = ErrorKind("504 Gateway Timeout: no upstream answer in 60 s", True, 60_000, 60_050)
INTERNAL = ErrorKind("500 Internal: an internal error has occurred", False, 200, 4_000)
# Outages: when (a range of days ago), whose (None: the gateway itself), which error.
INCIDENTS = (
    ((2, 6), "Anthropic", OVERLOADED),
    ((12, 20), "OpenAI", UNAVAILABLE),
    ((27, 35), None, GATEWAY_TIMEOUT),
    ((41, 55), "Google", INTERNAL),
    ((60, 75), "OpenAI", UNAVAILABLE),
    ((80, 88), "Anthropic", OVERLOADED),
)
# Split when used: 40 first names and 40 last names, paired after a shuffle.
FIRST_NAMES = (
    "Olivia Liam Emma Noah Amelia Oliver Sophia Elijah Mia Lucas Aisha Mateo Chloe Hiroshi Priya "
    "Jonas Lena Kwame Sofia Arjun Ingrid Diego Fatima Tomasz Chen Nadia Pierre Yuki Omar Hannah "
    "Rafael Zoe Mikael Leila Samuel Anya Felix Grace Ibrahim Clara"
)
LAST_NAMES = (
    "Smith Mueller Garcia Nakamura Okafor Rossi Kowalski Dubois Andersson Patel Kim Silva Novak "
    "Jensen Cohen Nguyen Schmidt Moreau Ivanova Haddad Fischer Lopez Tanaka Mensah Costa Weber "
    "Larsen Sato Khan Bauer Martin Singh Becker Romano Walsh Hoffmann Reyes Berg Ortiz Keller"
)
SHOWCASE_ROLES = ((ADMIN,), (MEMBER,), (USER,))
SHOWCASE_LABELS = ("Project Administrator", "Project Member", "Access all Project Assistants")


@dataclass
class LiveModel:
    id: int
    provider: str
    input_price: int
    output_price: int
    latency_ms: int
    ms_per_token: float


@dataclass
class LiveAssistant:
    id: int
    model: LiveModel | None
    log_input_median: float
    log_output_median: float
    inactive_from: float | None  # epoch seconds


@dataclass
class LiveToken:
    id: int
    created: float  # epoch seconds
    ends: float | None  # revoked or expired, whichever comes first
    weight: float


@dataclass
class LiveProject:
    """One project's rows, as the request generator needs them."""

    id: int
    spec: ProjectSpec
    admin_id: int
    assistants: list[LiveAssistant]
    assistant_weights: list[float]  # cumulative
    active_assistants: list[LiveAssistant]
    active_assistant_weights: list[float]  # cumulative
    models: list[LiveModel]  # those it may use
    user_ids: list[int]
    user_weights: list[float]  # cumulative
    tokens: list[LiveToken]


@dataclass
class Incident:
    provider: str | None
    start: float
    end: float
    error_rate: float
    error: ErrorKind


@dataclass
class World:
    """What exists before the requests, and the secrets to hand out."""

    now: datetime
    models: dict[str, LiveModel]
    people: list[User]  # the first is the platform operator
    projects: list[LiveProject] = field(default_factory=list)
    secrets: dict[str, str] = field(default_factory=dict)


@dataclass
class Tally:
    """What the requests add up to, for budgets and ``last_used_at``."""

    recent_spend: Counter[int] = field(default_factory=Counter)  # nanos in the last 30 days
    token_last_used: dict[int, float] = field(default_factory=dict)


async def load_demo(
    database_url: str,
    *,
    request_count: int,
    seed: int,
    progress: bool = True,
    now: datetime | None = None,
) -> dict[str, str]:
    """Fill an empty, migrated SQLite database with demo data; return bearer tokens by label.

    ``now`` (aware) ends the 90 days of history; it defaults to the current time.
    """
    if request_count < 0:
        raise ValueError("request_count must not be negative")
    rng = random.Random(seed)
    await Tortoise.init(config=tortoise_config(database_url))
    try:
        await check_empty_sqlite()
        with Progress(
            TextColumn("{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
            disable=not progress,
        ) as display:
            setup = display.add_task("Projects, people, assistants", total=1)
            async with in_transaction():
                world = await create_world(rng, (now or datetime.now(UTC)).astimezone(UTC))
            display.advance(setup)
            tally = await insert_requests(world, rng, request_count, display)
            async with in_transaction():
                await record_outcomes(world, tally)
            # Fresh statistics let SQLite choose well among the requests table's indexes.
            await connections.get("default").execute_script("ANALYZE")
    finally:
        await Tortoise.close_connections()
    return world.secrets


async def check_empty_sqlite() -> None:
    if connections.get("default").capabilities.dialect != "sqlite":
        raise ValueError("demo data is loaded into SQLite only")
    if await Project.exists() or await User.exists():
        raise ValueError("demo data needs an empty database")


async def create_world(rng: random.Random, now: datetime) -> World:
    world = World(now=now, models=await create_models(now), people=await create_people(rng, now))
    operator = world.people[0]
    world.secrets["Superuser (platform operator)"] = await issue_personal_token(operator)
    for index, spec in enumerate(PROJECTS):
        # The first project has one person per role who holds nothing else, for trying roles.
        showcase = world.people[1:4] if index == 0 else []
        world.projects.append(await create_project(rng, world, spec, showcase))
    return world


async def create_models(now: datetime) -> dict[str, LiveModel]:
    created: dict[str, LiveModel] = {}
    for spec in MODELS:
        row = await AiModel.create(
            name=spec.name,
            provider=spec.provider,
            input_price_per_million_nanos=usd_to_nanos(spec.input_usd),
            output_price_per_million_nanos=usd_to_nanos(spec.output_usd),
            created_at=now - timedelta(days=200),
        )
        created[spec.name] = LiveModel(
            id=row.id,
            provider=spec.provider,
            input_price=row.input_price_per_million_nanos,
            output_price=row.output_price_per_million_nanos,
            latency_ms=spec.latency_ms,
            ms_per_token=spec.ms_per_token,
        )
    return created


async def create_people(rng: random.Random, now: datetime) -> list[User]:
    """Forty people with unique names (no first name repeats); the first is the operator."""
    firsts, lasts = FIRST_NAMES.split(), LAST_NAMES.split()
    rng.shuffle(firsts)
    rng.shuffle(lasts)
    people = []
    for index, (first, last) in enumerate(zip(firsts, lasts, strict=True)):
        people.append(
            await User.create(
                email=f"{first}.{last}@example.com".lower(),
                name=f"{first} {last}",
                is_superuser=index == 0,
                created_at=now - timedelta(days=rng.uniform(155, 200)),
            )
        )
    return people


async def issue_personal_token(user: User) -> str:
    issued = issue_secret(TokenKind.PERSONAL)
    await PersonalAccessToken.create(
        user=user, name="demo token", prefix=issued.prefix, secret_hash=issued.secret_hash
    )
    return issued.secret


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


async def record_audit_event(
    actor_id: int,
    project_id: int,
    action: str,
    target: str,
    details: dict[str, Any],
    at: datetime,
) -> None:
    """Like ``resolvers.audit.record_event``, but back-dated."""
    await AuditEvent.create(
        actor_id=actor_id,
        project_id=project_id,
        action=action,
        target=target,
        details=details,
        at=at,
    )


async def insert_requests(
    world: World, rng: random.Random, request_count: int, display: Progress
) -> Tally:
    """Insert the requests, and their rollups, in one transaction: all of them or none."""
    tally = Tally()
    rows = generate_requests(world, rng, request_count, tally)
    loading = display.add_task("Requests", total=request_count)
    async with in_transaction() as connection:
        while batch := list(islice(rows, BATCH_SIZE)):
            await connection.execute_many(INSERT_REQUEST_SQL, batch)
            display.advance(loading, len(batch))
        # The dashboards read the rollups that recording keeps; built here in one pass each.
        rolling_up = display.add_task("Rollups", total=len(world.projects))
        for project in world.projects:
            await rebuild_rollups(connection, project.id)
            display.advance(rolling_up)
    return tally


def generate_requests(
    world: World, rng: random.Random, request_count: int, tally: Tally
) -> Iterator[list[Any]]:
    """Rows in time order, so that ids grow with ``created_at`` as they would in production."""
    now = world.now.timestamp()
    start = now - HISTORY_DAYS * DAY
    hours = HISTORY_DAYS * 24
    counts = count_per_project_hour(world, rng, start, hours, request_count)
    incidents = plan_incidents(rng, now)
    number = 0
    for hour in range(hours):
        moments = sorted(
            (start + (hour + rng.random()) * HOUR, index)
            for index in range(len(world.projects))
            for _ in range(counts[index * hours + hour])
        )
        for moment, index in moments:
            number += 1
            project = world.projects[index]
            row = make_request(rng, project, moment, incidents, now, number)
            if moment >= now - 30 * DAY:
                tally.recent_spend[project.id] += row[COST_COLUMN]
            tally.token_last_used[row[TOKEN_COLUMN]] = moment
            yield row


def count_per_project_hour(
    world: World, rng: random.Random, start: float, hours: int, request_count: int
) -> list[int]:
    """How many requests fall in each (project, hour), project-major.

    Each project gets its share, shaped by its local working hours and weekdays, a slow
    growth and day-to-day noise.
    """
    weights: list[float] = []
    for project in world.projects:
        zone = ZoneInfo(project.spec.timezone)
        day_noise: dict[int, float] = {}
        shape = []
        for hour in range(hours):
            local = datetime.fromtimestamp(start + (hour + 0.5) * HOUR, zone)
            if local.toordinal() not in day_noise:
                day_noise[local.toordinal()] = rng.lognormvariate(0, 0.15)
            noise = day_noise[local.toordinal()]
            weekend = WEEKEND_FACTOR if local.weekday() >= 5 else 1.0
            growth = 0.7 + 0.3 * hour / hours
            shape.append(HOUR_OF_DAY_WEIGHTS[local.hour] * weekend * growth * noise)
        total = sum(shape)
        weights.extend(project.spec.traffic_share * weight / total for weight in shape)
    counts = [0] * len(weights)
    cumulative = list(accumulate(weights))
    # In chunks, so that millions of draws never sit in memory at once.
    for done in range(0, request_count, 100_000):
        size = min(100_000, request_count - done)
        for bucket in rng.choices(range(len(weights)), cum_weights=cumulative, k=size):
            counts[bucket] += 1
    return counts


def plan_incidents(rng: random.Random, now: float) -> list[Incident]:
    """Outages of an hour or two in the (UTC) working day, weeks apart."""
    incidents = []
    for (least, most), provider, error in INCIDENTS:
        day = math.floor(now / DAY - rng.uniform(least, most)) * DAY
        start = day + rng.uniform(7, 17) * HOUR
        length = rng.uniform(0.5, 1.0) if provider is None else rng.uniform(0.75, 2.5)
        rate = rng.uniform(0.35, 0.8)
        incidents.append(Incident(provider, start, start + length * HOUR, rate, error))
    return incidents


def make_request(
    rng: random.Random,
    project: LiveProject,
    moment: float,
    incidents: list[Incident],
    now: float,
    number: int,
) -> list[Any]:
    """One row, in ``REQUEST_COLUMNS`` order."""
    assistant = pick_assistant(rng, project, moment)
    model = pick_model(rng, project, assistant)
    error = pick_error(rng, model, moment, incidents)
    input_tokens, output_tokens = draw_token_counts(rng, assistant)
    if error is None:
        duration = model.latency_ms * rng.lognormvariate(0, 0.35)
        duration += output_tokens * model.ms_per_token * rng.lognormvariate(0, 0.2)
    else:
        output_tokens = 0
        input_tokens = input_tokens if error.billed_input else 0
        duration = rng.uniform(error.min_ms, error.max_ms)
    # Integer nano-USD, rounded half up, as recording a request computes it.
    cost = (
        input_tokens * model.input_price + output_tokens * model.output_price + 500_000
    ) // 1_000_000
    text_in, text_out = pick_texts(rng, project, error is None)
    return [
        project.id,
        f"demo-{number}",
        as_stored_datetime(moment),
        # The gateway reports in batches, seconds later.
        as_stored_datetime(min(moment + rng.uniform(0.2, 20.0), now)),
        RequestStatus.SUCCESS.value if error is None else RequestStatus.ERROR.value,
        int(duration),
        assistant.id if assistant else None,
        model.id,
        pick_token(rng, project, moment),
        None if rng.random() < WITHOUT_USER_RATE else pick_user(rng, project),
        input_tokens,
        output_tokens,
        cost,
        model.input_price,
        model.output_price,
        text_in,
        text_out,
        error.message if error else None,
    ]


def pick_assistant(rng: random.Random, project: LiveProject, moment: float) -> LiveAssistant | None:
    if rng.random() < WITHOUT_ASSISTANT_RATE:
        return None
    [assistant] = rng.choices(project.assistants, cum_weights=project.assistant_weights)
    if assistant.inactive_from is not None and moment >= assistant.inactive_from:
        # Once it was switched off, its traffic went to the assistants still running.
        [assistant] = rng.choices(
            project.active_assistants, cum_weights=project.active_assistant_weights
        )
    return assistant


def pick_model(
    rng: random.Random, project: LiveProject, assistant: LiveAssistant | None
) -> LiveModel:
    if assistant is not None and assistant.model is not None and rng.random() >= OFF_MODEL_RATE:
        return assistant.model
    return rng.choice(project.models)


def pick_error(
    rng: random.Random, model: LiveModel, moment: float, incidents: list[Incident]
) -> ErrorKind | None:
    for incident in incidents:
        if incident.start <= moment < incident.end and incident.provider in (None, model.provider):
            return incident.error if rng.random() < incident.error_rate else None
    if rng.random() < BACKGROUND_ERROR_RATE:
        [error] = rng.choices(BACKGROUND_ERRORS, weights=BACKGROUND_ERROR_WEIGHTS)
        return error
    return None


def draw_token_counts(rng: random.Random, assistant: LiveAssistant | None) -> tuple[int, int]:
    """Log-normal around the assistant's typical sizes: most requests small, a long tail."""
    if assistant is None:  # ad-hoc calls, of every size
        log_input, log_output, spread = 7.0, 5.5, 0.9
    else:
        log_input, log_output, spread = assistant.log_input_median, assistant.log_output_median, 0.6
    return (
        min(max(1, int(rng.lognormvariate(log_input, spread))), MAX_INPUT_TOKENS),
        min(max(1, int(rng.lognormvariate(log_output, spread + 0.1))), MAX_OUTPUT_TOKENS),
    )


def pick_texts(
    rng: random.Random, project: LiveProject, succeeded: bool
) -> tuple[str | None, str | None]:
    # A project that does not store content has none, exactly as recording would drop it.
    if not project.spec.store_request_content or not project.spec.exchanges:
        return None, None
    text_in, text_out = rng.choice(project.spec.exchanges)
    return text_in, text_out if succeeded else None


def pick_user(rng: random.Random, project: LiveProject) -> int:
    [user_id] = rng.choices(project.user_ids, cum_weights=project.user_weights)
    return user_id


def pick_token(rng: random.Random, project: LiveProject, moment: float) -> int:
    """One of the project's tokens that was valid at ``moment``."""
    valid = [
        token
        for token in project.tokens
        if token.created <= moment and (token.ends is None or moment < token.ends)
    ]
    if not valid:  # the specs leave no gap; this only guards against editing them
        return project.tokens[0].id
    [token] = rng.choices(valid, weights=[token.weight for token in valid])
    return token.id


def as_stored_datetime(moment: float) -> str:
    """The text Tortoise stores for an aware DatetimeField on SQLite (``isoformat(" ")``)."""
    return datetime.fromtimestamp(moment, UTC).isoformat(" ")


async def record_outcomes(world: World, tally: Tally) -> None:
    """What depends on the traffic: tokens' last use, and budgets sized to the spend."""
    for token_id, moment in tally.token_last_used.items():
        last_used = datetime.fromtimestamp(moment, UTC)
        await ApiToken.filter(id=token_id).update(last_used_at=last_used)
    for project in world.projects:
        if project.spec.budget_factor is None:
            continue
        budget = round_budget(tally.recent_spend[project.id] * project.spec.budget_factor)
        await ProjectSettings.filter(project_id=project.id).update(monthly_budget_nanos=budget)
        details = {"monthlyBudget": budget / 1_000_000_000}
        await record_audit_event(
            project.admin_id,
            project.id,
            "settings.update",
            f"project:{project.id}",
            details,
            world.now - timedelta(days=29),
        )


def round_budget(nanos: float) -> int:
    """Two significant digits of dollars, as a person would set it; at least $10."""
    dollars = max(nanos / 1e9, 10.0)
    step = 10 ** (math.floor(math.log10(dollars)) - 1)  # dollars >= 10, so step >= 1
    return int(round(dollars / step) * step * 1_000_000_000)


def usd_to_nanos(usd: str) -> int:
    return int(Decimal(usd) * 1_000_000_000)
