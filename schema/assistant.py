import strawberry

from models import Assistant as AssistantRow
from schema.ai_model import Model
from schema.context import Info
from schema.enums import AssistantStatus


@strawberry.type(name="Assistant")
class Assistant:
    id: strawberry.ID
    name: str
    description: str | None
    status: AssistantStatus
    model_id: strawberry.Private[int | None]

    @strawberry.field
    async def model(self, info: Info) -> Model | None:
        if self.model_id is None:
            return None
        row = await info.context.loaders.ai_model_by_id.load(self.model_id)
        return None if row is None else Model.from_model(row)

    @classmethod
    def from_model(cls, row: AssistantRow) -> "Assistant":
        return cls(
            id=strawberry.ID(str(row.id)),
            name=row.name,
            description=row.description,
            status=row.status,
            model_id=row.model_id,
        )
