"""Per-request DataLoaders, so that a list of N rows costs one query per related kind."""

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TypeVar

from strawberry.dataloader import DataLoader
from tortoise.models import Model

from models import AiModel, AiModelAlias, Assistant, Project, User

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


@dataclass
class Loaders:
    """Made anew for every request: a loader's memory must not outlive the request."""

    user_by_id: DataLoader[int, User | None] = field(default_factory=lambda: _loader(User))
    project_by_id: DataLoader[int, Project | None] = field(default_factory=lambda: _loader(Project))
    ai_model_by_id: DataLoader[int, AiModel | None] = field(
        default_factory=lambda: _loader(AiModel)
    )
    aliases_by_model_id: DataLoader[int, list[str]] = field(default_factory=_aliases_loader)
    assistant_by_id: DataLoader[int, Assistant | None] = field(
        default_factory=lambda: _loader(Assistant)
    )
