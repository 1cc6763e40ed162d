import strawberry

from models import AiModel
from resolvers.arguments import NANOS_PER_USD


@strawberry.type(name="Model", description="An AI model and its list prices in USD.")
class Model:
    id: strawberry.ID
    name: str
    provider: str
    input_price_per_million: float
    output_price_per_million: float

    @classmethod
    def from_model(cls, row: AiModel) -> "Model":
        return cls(
            id=strawberry.ID(str(row.id)),
            name=row.name,
            provider=row.provider,
            input_price_per_million=row.input_price_per_million_nanos / NANOS_PER_USD,
            output_price_per_million=row.output_price_per_million_nanos / NANOS_PER_USD,
        )
