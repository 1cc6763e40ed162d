"""Tortoise models, one aggregate per module; ``MODEL_MODULES`` is what Tortoise loads."""

from models.ai_model import AiModel, AiModelAlias
from models.api_token import ApiToken
from models.assistant import Assistant
from models.audit import AuditEvent
from models.budget import BudgetThresholdCrossing
from models.enums import AssistantStatus, ProjectRole, RequestStatus
from models.project import Membership, Project, ProjectSettings
from models.request import Request
from models.rollup import (
    DataVersion,
    UsageDailyRollup,
    UsageHourlyRollup,
    UsageRollup,
    UserDailyRollup,
    UserHourlyRollup,
    UserUsageDailyRollup,
    UserUsageRollup,
)
from models.user import PersonalAccessToken, User
from models.webhook import WebhookAttempt, WebhookDelivery

MODEL_MODULES = [
    "models.user",
    "models.project",
    "models.ai_model",
    "models.assistant",
    "models.api_token",
    "models.request",
    "models.audit",
    "models.rollup",
    "models.budget",
    "models.webhook",
]

__all__ = [
    "MODEL_MODULES",
    "AiModel",
    "AiModelAlias",
    "ApiToken",
    "Assistant",
    "AssistantStatus",
    "AuditEvent",
    "BudgetThresholdCrossing",
    "DataVersion",
    "Membership",
    "PersonalAccessToken",
    "Project",
    "ProjectRole",
    "ProjectSettings",
    "Request",
    "RequestStatus",
    "UsageDailyRollup",
    "UsageHourlyRollup",
    "UsageRollup",
    "User",
    "UserDailyRollup",
    "UserHourlyRollup",
    "UserUsageDailyRollup",
    "UserUsageRollup",
    "WebhookAttempt",
    "WebhookDelivery",
]
