"""The model catalog."""

from tortoise.exceptions import IntegrityError
from tortoise.transactions import in_transaction

from kernel.errors import BadUserInput
from models import AiModel
from resolvers.governance.audit import record_event


async def list_models() -> list[AiModel]:
    return await AiModel.all().order_by("name")


async def create_model(
    *, actor_id: int, name: str, provider: str, input_nanos: int, output_nanos: int
) -> AiModel:
    if await AiModel.exists(name=name):
        raise BadUserInput("input.name", "a model with this name already exists")
    try:
        async with in_transaction():
            model = await AiModel.create(
                name=name,
                provider=provider,
                input_price_per_million_nanos=input_nanos,
                output_price_per_million_nanos=output_nanos,
            )
            await record_event(
                actor_id=actor_id,
                project_id=None,
                action="model.create",
                target=f"model:{model.id}",
                details={"name": name, "provider": provider},
            )
    except IntegrityError as error:
        raise BadUserInput("input.name", "a model with this name already exists") from error
    return model
