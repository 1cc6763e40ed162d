import strawberry

from models import AiModel
from resolvers.arguments import NANOS_PER_USD


@strawberry.type(name="Model", description="An AI model and its list prices in USD.")
class Model:
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

    @classmethod
    def from_model(cls, row: AiModel) -> "Model":
        return cls(
            id=strawberry.ID(str(row.id)),
            name=row.name,
            provider=row.provider,
            input_price_per_million=row.input_price_per_million_nanos / NANOS_PER_USD,
            output_price_per_million=row.output_price_per_million_nanos / NANOS_PER_USD,
        )
