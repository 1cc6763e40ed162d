import strawberry

from models import AiModel
from resolvers.arguments import NANOS_PER_USD
from resolvers.listed_rows import ListedModel
from schema.context import Info


@strawberry.type(name="Model", description="An AI model and its list prices in USD.")
class Model:
    row_id: strawberry.Private[int]
    id: strawberry.ID = strawberry.field(
        description="The model's id (recordRequests and filters name it)."
    )
    name: str = strawberry.field(description="The model's name, e.g. gpt-4o; unique.")
    provider: str = strawberry.field(description="Who serves it, e.g. openai.")
    input_price_per_million: float = strawberry.field(
        description="USD per million input tokens, at most 100,000."
    )
    output_price_per_million: float = strawberry.field(
        description="USD per million output tokens, at most 100,000."
    )

    @strawberry.field(
        description="Other names gateways report this model by (OTLP spans, LiteLLM), such "
        "as provider-qualified or dated ones: openai/gpt-4o-2024-08-06."
    )
    async def aliases(self, info: Info) -> list[str]:
        return await info.context.loaders.aliases_by_model_id.load(self.row_id)

    @classmethod
    def from_model(cls, row: AiModel | ListedModel) -> "Model":
        return cls(
            row_id=row.id,
            id=strawberry.ID(str(row.id)),
            name=row.name,
            provider=row.provider,
            input_price_per_million=row.input_price_per_million_nanos / NANOS_PER_USD,
            output_price_per_million=row.output_price_per_million_nanos / NANOS_PER_USD,
        )
