import strawberry

from models import ProjectSettings as ProjectSettingsRow
from resolvers.arguments import NANOS_PER_USD


@strawberry.type(name="ProjectSettings")
class ProjectSettings:
    timezone: str = strawberry.field(description="IANA name; the default for dashboards.")
    monthly_budget: float | None = strawberry.field(description="USD; null = no budget.")
    budget_alert_thresholds: list[float]
    enforce_budget: bool
    allowed_model_ids: list[strawberry.ID] | None
    store_request_content: bool
    retention_days: int | None
    api_token_max_lifetime_days: int | None

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
