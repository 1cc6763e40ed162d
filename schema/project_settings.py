import strawberry

from models import ProjectSettings as ProjectSettingsRow
from resolvers.arguments import NANOS_PER_USD


@strawberry.type(
    name="ProjectSettings", description="A project's security and cost settings (PROJECT_ADMIN)."
)
class ProjectSettings:
    timezone: str = strawberry.field(description="IANA name; the default for dashboards.")
    monthly_budget: float | None = strawberry.field(description="USD; null = no budget.")
    budget_alert_thresholds: list[float] = strawberry.field(
        description="Percents of the budget that raise an alert, e.g. [50, 80, 100]."
    )
    enforce_budget: bool = strawberry.field(
        description="When true, admission refuses calls once the month's spend reaches the budget."
    )
    allowed_model_ids: list[strawberry.ID] | None = strawberry.field(
        description="Models the gateway may call; null = every model."
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

    @classmethod
    def from_model(cls, row: ProjectSettingsRow) -> "ProjectSettings":
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
        )
