"""Deciding admission from the project's settings, its assistants and the month's spend.

Reasons, checked in this order (the first that applies is given):
``MODEL_NOT_FOUND`` (no model has the id), ``MODEL_NOT_ALLOWED`` (not in allowedModelIds),
``ASSISTANT_NOT_FOUND`` (no assistant of this project has the id), ``ASSISTANT_INACTIVE``,
``BUDGET_EXCEEDED`` (enforceBudget is on and the month's spend has reached the budget).
Recording never refuses a request for a setting: admission is where settings act.
"""

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from tortoise import connections

from models import AiModel, Assistant, AssistantStatus
from resolvers.budgets.months import month_of
from resolvers.budgets.spend import spent_nanos
from resolvers.governance.projects import project_settings


class Reason(StrEnum):
    MODEL_NOT_FOUND = "MODEL_NOT_FOUND"
    MODEL_NOT_ALLOWED = "MODEL_NOT_ALLOWED"
    ASSISTANT_NOT_FOUND = "ASSISTANT_NOT_FOUND"
    ASSISTANT_INACTIVE = "ASSISTANT_INACTIVE"
    BUDGET_EXCEEDED = "BUDGET_EXCEEDED"


@dataclass(frozen=True)
class Admission:
    allowed: bool
    reason: Reason | None
    month: str  # the budget month the answer holds for, YYYY-MM in the project's zone
    remaining_budget_nanos: int | None  # None: no budget
    valid_until: datetime  # the month's end: past it the spend starts again from zero

    def encoded(self) -> list[object]:
        return [self.allowed, self.reason, self.month, self.remaining_budget_nanos,
                self.valid_until.isoformat()]  # fmt: skip

    @classmethod
    def decoded(cls, value: list[object]) -> "Admission":
        allowed, reason, month, remaining, valid_until = value
        return cls(
            allowed=bool(allowed),
            reason=None if reason is None else Reason(str(reason)),
            month=str(month),
            remaining_budget_nanos=None if remaining is None else int(str(remaining)),
            valid_until=datetime.fromisoformat(str(valid_until)),
        )


async def decide_admission(
    project_id: int, model_id: int, assistant_id: int | None, now: datetime
) -> Admission:
    settings = await project_settings(project_id)
    month = month_of(now, settings.timezone)
    budget = settings.monthly_budget_nanos
    spent = 0
    if budget is not None:
        spent = await spent_nanos(connections.get("default"), project_id, month.start, month.end)
    remaining = None if budget is None else max(budget - spent, 0)

    def answer(reason: Reason | None) -> Admission:
        return Admission(reason is None, reason, month.label, remaining, month.end)

    if not await AiModel.exists(id=model_id):
        return answer(Reason.MODEL_NOT_FOUND)
    allowed = settings.allowed_model_ids
    if allowed is not None and model_id not in allowed:
        return answer(Reason.MODEL_NOT_ALLOWED)
    if assistant_id is not None:
        status = (
            await Assistant.filter(id=assistant_id, project_id=project_id)
            .first()
            .values_list("status", flat=True)
        )
        if status is None:
            return answer(Reason.ASSISTANT_NOT_FOUND)
        if AssistantStatus(str(status)) is not AssistantStatus.ACTIVE:
            return answer(Reason.ASSISTANT_INACTIVE)
    if settings.enforce_budget and budget is not None and spent >= budget:
        return answer(Reason.BUDGET_EXCEEDED)
    return answer(None)
