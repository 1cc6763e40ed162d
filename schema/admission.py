"""``Query.admission``: the gateway asks whether it may make a call now."""

from typing import Annotated

import strawberry

from resolvers.admission.cached import admission
from resolvers.admission.decision import Admission as AdmissionData
from resolvers.arguments import NANOS_PER_USD, parse_id
from schema.context import Info
from schema.permissions import gateway


@strawberry.type(
    name="Admission",
    description="reason (when not allowed): MODEL_NOT_FOUND, MODEL_NOT_ALLOWED, "
    "ASSISTANT_NOT_FOUND, ASSISTANT_INACTIVE or BUDGET_EXCEEDED, the first that applies.",
)
class Admission:
    allowed: bool = strawberry.field(description="Whether the gateway may make the call now.")
    reason: str | None = strawberry.field(
        description="Why not, when not allowed (see the type); null when allowed."
    )
    month: str = strawberry.field(description="The budget month, YYYY-MM, project time zone.")
    remaining_budget: float | None = strawberry.field(
        description="USD left of the month's budget (0 once reached); null without a budget."
    )

    @classmethod
    def from_data(cls, data: AdmissionData) -> "Admission":
        remaining = data.remaining_budget_nanos
        return cls(
            allowed=data.allowed,
            reason=None if data.reason is None else data.reason.value,
            month=data.month,
            remaining_budget=None if remaining is None else remaining / NANOS_PER_USD,
        )


async def admission_for(info: Info, model_id: str, assistant_id: str | None) -> AdmissionData:
    """The calling API client's admission (its own project), arguments checked first."""
    client = info.context.authorizer.require_gateway("check_admission")
    model = parse_id(model_id, "modelId")
    assistant = None if assistant_id is None else parse_id(assistant_id, "assistantId")
    return await admission(info.context.cache, client.project_id, model, assistant, client.versions)


@strawberry.type
class AdmissionQuery:
    @strawberry.field(
        extensions=gateway("check_admission"),
        description="Project API tokens: may the gateway make this call now?",
    )
    async def admission(
        self,
        info: Info,
        model_id: Annotated[
            strawberry.ID, strawberry.argument(description="The model the call would use.")
        ],
        assistant_id: Annotated[
            strawberry.ID | None,
            strawberry.argument(description="The assistant making the call, when there is one."),
        ] = None,
    ) -> Admission:
        return Admission.from_data(await admission_for(info, model_id, assistant_id))
