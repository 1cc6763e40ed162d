"""Per-request DataLoaders, so that a list of N rows costs one query per related kind."""

from collections.abc import Sequence
from functools import cached_property
from typing import TypeVar

from strawberry.dataloader import DataLoader
from tortoise.models import Model

from models import AiModel, AiModelAlias, Assistant, User

M = TypeVar("M", bound=Model)


def _loader(model: type[M]) -> DataLoader[int, M | None]:
    async def load(ids: Sequence[int]) -> list[M | None]:
        rows = {row.pk: row for row in await model.filter(pk__in=list(ids))}
        return [rows.get(i) for i in ids]

    return DataLoader(load_fn=load)


def _aliases_loader() -> DataLoader[int, list[str]]:
    async def load(ids: Sequence[int]) -> list[list[str]]:
        found: dict[int, list[str]] = {}
        for row in await AiModelAlias.filter(model_id__in=list(ids)).order_by("alias"):
            found.setdefault(row.model_id, []).append(row.alias)
        return [found.get(i, []) for i in ids]

    return DataLoader(load_fn=load)


class Loaders:
    """Made anew for every request: a loader's memory must not outlive the request. Each
    loader is made when first used (most requests use none)."""

    @cached_property
    def user_by_id(self) -> DataLoader[int, User | None]:
        return _loader(User)

    @cached_property
    def ai_model_by_id(self) -> DataLoader[int, AiModel | None]:
        return _loader(AiModel)

    @cached_property
    def aliases_by_model_id(self) -> DataLoader[int, list[str]]:
        return _aliases_loader()

    @cached_property
    def assistant_by_id(self) -> DataLoader[int, Assistant | None]:
        return _loader(Assistant)
