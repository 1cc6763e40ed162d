"""What the demo holds: its models, projects with their assistants and tokens, and people."""

from dataclasses import dataclass

from models import ProjectRole

DAY = 86_400.0  # seconds: the traffic is drawn in epoch seconds
HOUR = 3_600.0
HISTORY_DAYS = 90
ADMIN, MEMBER, USER = (
    ProjectRole.PROJECT_ADMIN.value,
    ProjectRole.PROJECT_MEMBER.value,
    ProjectRole.ASSISTANT_USER.value,
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
