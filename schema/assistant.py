import strawberry

from models import Assistant as AssistantRow
from resolvers.listed_rows import ListedAssistant
from schema.ai_model import Model
from schema.context import Info
from schema.enums import AssistantStatus


@strawberry.type(
    name="Assistant",
    description="An assistant of a project. Members see every one; ASSISTANT_USER sees "
    "the active ones.",
)
class Assistant:
    id: strawberry.ID = strawberry.field(description="The assistant's id.")
    name: str = strawberry.field(description="Its name, 1..200 characters.")
    description: str | None = strawberry.field(
        description="What it does, up to 5,000 characters; null = none."
    )
    status: AssistantStatus = strawberry.field(
        description="ACTIVE: offered to users; INACTIVE: withdrawn."
    )
    model_id: strawberry.Private[int | None]

    @strawberry.field(description="The model it calls; null = none chosen yet.")
    async def model(self, info: Info) -> Model | None:
        if self.model_id is None:
            return None
        row = await info.context.loaders.ai_model_by_id.load(self.model_id)
        return None if row is None else Model.from_model(row)

    @classmethod
    def from_model(cls, row: AssistantRow | ListedAssistant) -> "Assistant":
        return cls(
            id=strawberry.ID(str(row.id)),
            name=row.name,
            description=row.description,
            status=row.status,
            model_id=row.model_id,
        )
