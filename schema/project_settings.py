import strawberry

from models import ProjectSettings as ProjectSettingsRow
from resolvers.arguments import NANOS_PER_USD
from resolvers.governance.settings import SettingsChange, settings_change


@strawberry.type(
    name="ProjectSettings", description="A project's security and cost settings (PROJECT_ADMIN)."
)
class ProjectSettings:
    timezone: str = strawberry.field(
        description="IANA name; the default for dashboards and budget months."
    )
    monthly_budget: float | None = strawberry.field(description="USD; null = no budget.")
    budget_alert_thresholds: list[float] = strawberry.field(
        description="Percents of the budget, ascending; each crossing is audited once a month "
        "(budget.threshold_reached) and POSTed to alertWebhookUrl."
    )
    enforce_budget: bool = strawberry.field(
        description="When true, admission refuses calls once the month's spend reaches the budget."
    )
    allowed_model_ids: list[strawberry.ID] | None = strawberry.field(
        description="Models admission allows; null = every model. Recording never refuses."
    )
    store_request_content: bool = strawberry.field(
        description="When false, input and output are dropped when a request is recorded."
    )
    retention_days: int | None = strawberry.field(
        description="Requests older than this many days are purged; null = kept."
    )
    api_token_max_lifetime_days: int | None = strawberry.field(
        description="New API tokens must expire within this many days; null = no limit."
    )
    alert_webhook_url: str | None = strawberry.field(
        description="Where threshold crossings are POSTed (JSON, signed with HMAC-SHA256)."
    )
    alert_webhook_secret: str | None = strawberry.field(
        description="The webhook's signing key: only in the answer of the change that made it "
        "(setting a new alertWebhookUrl, or rotateAlertWebhookSecret); null everywhere else."
    )

    @classmethod
    def from_model(
        cls, row: ProjectSettingsRow, new_webhook_secret: str | None = None
    ) -> "ProjectSettings":
        budget = row.monthly_budget_nanos
        allowed = row.allowed_model_ids
        return cls(
            timezone=row.timezone,
            monthly_budget=None if budget is None else budget / NANOS_PER_USD,
            budget_alert_thresholds=[float(t) for t in row.budget_alert_thresholds],
            enforce_budget=row.enforce_budget,
            allowed_model_ids=None if allowed is None else [strawberry.ID(str(i)) for i in allowed],
            store_request_content=row.store_request_content,
            retention_days=row.retention_days,
            api_token_max_lifetime_days=row.api_token_max_lifetime_days,
            alert_webhook_url=row.alert_webhook_url,
            alert_webhook_secret=new_webhook_secret,
        )


@strawberry.input(
    name="ProjectSettingsInput",
    description="A partial update: a field left out stays as it is; null clears it (a budget, "
    "model list, retention, lifetime or webhook) or puts it back to its default (timezone UTC, "
    "no thresholds, enforceBudget false, storeRequestContent true).",
)
class ProjectSettingsInput:
    timezone: str | None = strawberry.field(
        default=strawberry.UNSET, description="An IANA zone name, e.g. Europe/Berlin."
    )
    monthly_budget: float | None = strawberry.field(
        default=strawberry.UNSET, description="USD per calendar month, >= 0; null = no budget."
    )
    budget_alert_thresholds: list[float] | None = strawberry.field(
        default=strawberry.UNSET, description="Percents from 1 to 1000, distinct; stored sorted."
    )
    enforce_budget: bool | None = strawberry.field(
        default=strawberry.UNSET,
        description="When true, admission refuses calls once the month's spend reaches the budget.",
    )
    allowed_model_ids: list[strawberry.ID] | None = strawberry.field(
        default=strawberry.UNSET, description="Existing model ids; null = every model."
    )
    store_request_content: bool | None = strawberry.field(
        default=strawberry.UNSET, description="When false, input and output are not stored."
    )
    retention_days: int | None = strawberry.field(default=strawberry.UNSET, description=">= 1")
    api_token_max_lifetime_days: int | None = strawberry.field(
        default=strawberry.UNSET, description=">= 1"
    )
    alert_webhook_url: str | None = strawberry.field(
        default=strawberry.UNSET,
        description="http(s) only. A new URL gets a new signing key, shown once in the answer.",
    )

    def change(self, webhook_allowed_hosts: frozenset[str]) -> SettingsChange:
        named = {
            _GRAPHQL_NAMES[name]: value
            for name, value in vars(self).items()
            if value is not strawberry.UNSET
        }
        return settings_change(named, webhook_allowed_hosts)


_GRAPHQL_NAMES = {
    "timezone": "timezone",
    "monthly_budget": "monthlyBudget",
    "budget_alert_thresholds": "budgetAlertThresholds",
    "enforce_budget": "enforceBudget",
    "allowed_model_ids": "allowedModelIds",
    "store_request_content": "storeRequestContent",
    "retention_days": "retentionDays",
    "api_token_max_lifetime_days": "apiTokenMaxLifetimeDays",
    "alert_webhook_url": "alertWebhookUrl",
}
