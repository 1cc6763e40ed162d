"""The model catalog."""

from collections.abc import Sequence

from tortoise.exceptions import IntegrityError
from tortoise.transactions import in_transaction

from kernel.errors import BadUserInput, NotFound
from models import AiModel, AiModelAlias
from resolvers.governance.audit import record_event


async def list_models() -> list[AiModel]:
    return await AiModel.all().order_by("name")


async def create_model(
    *,
    actor_id: int,
    name: str,
    provider: str,
    input_nanos: int,
    output_nanos: int,
    aliases: Sequence[str] = (),
) -> AiModel:
    if await AiModel.exists(name=name) or await AiModelAlias.exists(alias=name):
        raise BadUserInput("input.name", "a model with this name already exists")
    await _check_aliases_free(aliases, None, "input.aliases", also_taken=name)
    try:
        async with in_transaction():
            model = await AiModel.create(
                name=name,
                provider=provider,
                input_price_per_million_nanos=input_nanos,
                output_price_per_million_nanos=output_nanos,
            )
            await AiModelAlias.bulk_create(
                [AiModelAlias(model_id=model.id, alias=alias) for alias in aliases]
            )
            await record_event(
                actor_id=actor_id,
                project_id=None,
                action="model.create",
                target=f"model:{model.id}",
                details={"name": name, "provider": provider, "aliases": list(aliases)},
            )
    except IntegrityError as error:
        raise BadUserInput("input.name", "a model with this name already exists") from error
    return model


async def set_model_aliases(*, actor_id: int, model_id: int, aliases: Sequence[str]) -> AiModel:
    """Replace a model's aliases (the names gateways report it by); audited."""
    model = await AiModel.get_or_none(id=model_id)
    if model is None:
        raise NotFound("Model not found.")
    await _check_aliases_free(aliases, model_id, "aliases")
    before = sorted(await AiModelAlias.filter(model_id=model_id).values_list("alias", flat=True))
    try:
        async with in_transaction():
            await AiModelAlias.filter(model_id=model_id).delete()
            await AiModelAlias.bulk_create(
                [AiModelAlias(model_id=model_id, alias=alias) for alias in aliases]
            )
            await record_event(
                actor_id=actor_id,
                project_id=None,
                action="model.set_aliases",
                target=f"model:{model_id}",
                details={"before": before, "after": sorted(aliases)},
            )
    except IntegrityError as error:
        raise BadUserInput("aliases", "an alias is already another model's name") from error
    return model


async def _check_aliases_free(
    aliases: Sequence[str], model_id: int | None, argument: str, also_taken: str | None = None
) -> None:
    """Every alias names no other model, by name or alias (one name, one model)."""
    if len(set(aliases)) != len(aliases) or also_taken in aliases:
        raise BadUserInput(argument, "aliases must be distinct, and differ from the name")
    names = (
        await AiModel.filter(name__in=list(aliases))
        .exclude(id=model_id or 0)
        .values_list("name", flat=True)
    )
    taken = list(names) + list(
        await AiModelAlias.filter(alias__in=list(aliases))
        .exclude(model_id=model_id or 0)
        .values_list("alias", flat=True)
    )
    if taken:
        raise BadUserInput(argument, f"{sorted(taken)[0]!r} already names another model")
