"""Changing a project's settings: every value checked before anything is written, one audit
event per effective change, and nothing written for a change that changes nothing.

``Unchanged`` (a field left out) and ``None`` (null: cleared, or back to its default) are
different: the input says which fields it names, and only those are touched.
"""

import math
import secrets
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from tortoise.transactions import in_transaction

from kernel.errors import BadUserInput
from kernel.webhook_destinations import refused_literal_host
from models import AiModel, ProjectSettings
from resolvers.arguments import NANOS_PER_USD, parse_id, timezone_name, usd_to_nanos
from resolvers.governance.audit import record_event

# A budget above a billion dollars a month is a typo; it also keeps nano-USD far from 2**63.
MAX_MONTHLY_BUDGET_USD = 1_000_000_000
THRESHOLD_RANGE = (1, 1000)  # percent of the budget
MAX_THRESHOLDS = 20
MAX_DAYS = 36_500  # retention and token lifetimes: a century is "forever" enough
MAX_URL_LENGTH = 2000
MAX_ALLOWED_MODELS = 1000

# What a field cleared with null becomes (the settings that cannot be null).
DEFAULTS: dict[str, Any] = {
    "timezone": "UTC",
    "budget_alert_thresholds": [],
    "enforce_budget": False,
    "store_request_content": True,
}
# Never copied into an audit event or an answer.
SECRET_FIELDS = frozenset({"alert_webhook_secret"})


@dataclass(frozen=True)
class SettingsChange:
    """The validated fields an input named, by model field name."""

    values: dict[str, Any]


@dataclass(frozen=True)
class SettingsOutcome:
    settings: ProjectSettings
    new_webhook_secret: str | None = None  # shown once, in the answer that made it


def settings_change(
    named: dict[str, Any], webhook_allowed_hosts: frozenset[str] = frozenset()
) -> SettingsChange:
    """Check every field an input names (GraphQL names, ``input.<field>`` in errors);
    a webhook URL naming an internal address is refused unless its host is allowed."""
    values: dict[str, Any] = {}
    for name, value in named.items():
        field, check = _CHECKS[name]
        values[field] = DEFAULTS.get(field) if value is None else check(value, f"input.{name}")
    url = values.get("alert_webhook_url")
    if url is not None:
        refusal = refused_literal_host(url, webhook_allowed_hosts)
        if refusal is not None:
            raise BadUserInput("input.alertWebhookUrl", refusal)
    return SettingsChange(values)


async def update_project_settings(
    *, actor_id: int, project_id: int, change: SettingsChange
) -> SettingsOutcome:
    values = dict(change.values)
    if values.get("allowed_model_ids"):
        await _check_models_exist(values["allowed_model_ids"])
    async with in_transaction():
        settings = await _locked_settings(project_id)
        before = {field: getattr(settings, field) for field in values}
        changed = [field for field in values if before[field] != values[field]]
        secret = None
        if "alert_webhook_url" in changed:
            # A new receiver gets a new key; clearing the URL drops the key with it.
            secret = None if values["alert_webhook_url"] is None else new_webhook_secret()
            settings.alert_webhook_secret = secret
            changed.append("alert_webhook_secret")
        if not changed:
            return SettingsOutcome(settings)
        for field in changed:
            if field in values:
                setattr(settings, field, values[field])
        await settings.save(update_fields=changed)
        await record_event(
            actor_id=actor_id,
            project_id=project_id,
            action="settings.update",
            target=f"project:{project_id}",
            details={
                "before": _shown({f: before[f] for f in changed if f not in SECRET_FIELDS}),
                "after": _shown({f: values[f] for f in changed if f not in SECRET_FIELDS}),
            },
        )
    return SettingsOutcome(settings, secret)


async def rotate_webhook_secret(*, actor_id: int, project_id: int) -> SettingsOutcome:
    """A new signing key for the project's alert webhook; the old one stops at once."""
    async with in_transaction():
        settings = await _locked_settings(project_id)
        if settings.alert_webhook_url is None:
            raise BadUserInput("projectId", "the project has no alert webhook to sign for")
        secret = new_webhook_secret()
        settings.alert_webhook_secret = secret
        await settings.save(update_fields=["alert_webhook_secret"])
        await record_event(
            actor_id=actor_id,
            project_id=project_id,
            action="settings.rotate_webhook_secret",
            target=f"project:{project_id}",
            details={"alertWebhookUrl": settings.alert_webhook_url},
        )
    return SettingsOutcome(settings, secret)


def new_webhook_secret() -> str:
    return "whsec_" + secrets.token_urlsafe(32)


async def _locked_settings(project_id: int) -> ProjectSettings:
    settings = await ProjectSettings.filter(project_id=project_id).select_for_update().first()
    if settings is None:  # projects are made with their settings; this heals hand-made rows
        settings = await ProjectSettings.create(project_id=project_id)
    return settings


async def _check_models_exist(model_ids: list[int]) -> None:
    found: set[int] = {
        int(str(i)) for i in await AiModel.filter(id__in=model_ids).values_list("id", flat=True)
    }
    missing = [model_id for model_id in model_ids if model_id not in found]
    if missing:
        raise BadUserInput("input.allowedModelIds", f"no model has id {missing[0]}")


# How each setting appears in an audit event: GraphQL names, USD rather than nano-USD.
_SHOWN_NAMES = {
    "timezone": "timezone",
    "monthly_budget_nanos": "monthlyBudget",
    "budget_alert_thresholds": "budgetAlertThresholds",
    "enforce_budget": "enforceBudget",
    "allowed_model_ids": "allowedModelIds",
    "store_request_content": "storeRequestContent",
    "retention_days": "retentionDays",
    "api_token_max_lifetime_days": "apiTokenMaxLifetimeDays",
    "alert_webhook_url": "alertWebhookUrl",
}


def _shown(values: dict[str, Any]) -> dict[str, Any]:
    shown = {}
    for field, value in values.items():
        if field == "monthly_budget_nanos" and value is not None:
            value = value / NANOS_PER_USD
        shown[_SHOWN_NAMES[field]] = value
    return shown


def _budget(value: Any, argument: str) -> int:
    return usd_to_nanos(float(value), argument, MAX_MONTHLY_BUDGET_USD)


def _thresholds(value: Any, argument: str) -> list[float]:
    low, high = THRESHOLD_RANGE
    thresholds = [float(t) for t in value]
    if len(thresholds) > MAX_THRESHOLDS:
        raise BadUserInput(argument, f"at most {MAX_THRESHOLDS} thresholds")
    for threshold in thresholds:
        if not math.isfinite(threshold) or not low <= threshold <= high:
            raise BadUserInput(argument, f"each threshold must be a percent from {low} to {high}")
    if len(set(thresholds)) != len(thresholds):
        raise BadUserInput(argument, "thresholds must be distinct")
    return sorted(thresholds)


def _flag(value: Any, argument: str) -> bool:
    return bool(value)


def _model_ids(value: Any, argument: str) -> list[int]:
    ids = [parse_id(v, argument) for v in value]
    if len(ids) > MAX_ALLOWED_MODELS:
        raise BadUserInput(argument, f"at most {MAX_ALLOWED_MODELS} models")
    return sorted(set(ids))


def _days(value: Any, argument: str) -> int:
    days = int(value)
    if not 1 <= days <= MAX_DAYS:
        raise BadUserInput(argument, f"must be from 1 to {MAX_DAYS} days")
    return days


def _webhook_url(value: Any, argument: str) -> str:
    """http(s) only, with a host; where it may point is checked again at every delivery."""
    url = str(value).strip()
    if len(url) > MAX_URL_LENGTH:
        raise BadUserInput(argument, f"must be at most {MAX_URL_LENGTH} characters")
    try:
        parts = urlsplit(url)
        _ = parts.port  # raises for a port that is not a number
    except ValueError as error:
        raise BadUserInput(argument, "is not a URL") from error
    if parts.scheme not in {"http", "https"} or not parts.hostname:
        raise BadUserInput(argument, "must be an http:// or https:// URL with a host")
    if parts.username or parts.password:
        raise BadUserInput(argument, "must not carry credentials; requests are signed instead")
    return url


_CHECKS = {
    "timezone": ("timezone", timezone_name),
    "monthlyBudget": ("monthly_budget_nanos", _budget),
    "budgetAlertThresholds": ("budget_alert_thresholds", _thresholds),
    "enforceBudget": ("enforce_budget", _flag),
    "allowedModelIds": ("allowed_model_ids", _model_ids),
    "storeRequestContent": ("store_request_content", _flag),
    "retentionDays": ("retention_days", _days),
    "apiTokenMaxLifetimeDays": ("api_token_max_lifetime_days", _days),
    "alertWebhookUrl": ("alert_webhook_url", _webhook_url),
}
