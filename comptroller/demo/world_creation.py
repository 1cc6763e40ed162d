"""Creating the world before the traffic: the models, the people and the projects."""

import random
from datetime import datetime, timedelta
from decimal import Decimal

from comptroller.demo.catalog import MODELS, PROJECTS
from comptroller.demo.people import create_people, issue_personal_token
from comptroller.demo.projects import create_project
from comptroller.demo.world import LiveModel, World
from models import AiModel


async def create_world(rng: random.Random, now: datetime) -> World:
    world = World(now=now, models=await create_models(now), people=await create_people(rng, now))
    operator = world.people[0]
    world.secrets["Superuser (platform operator)"] = await issue_personal_token(operator)
    for index, spec in enumerate(PROJECTS):
        # The first project has one person per role who holds nothing else, for trying roles.
        showcase = world.people[1:4] if index == 0 else []
        world.projects.append(await create_project(rng, world, spec, showcase))
    return world


async def create_models(now: datetime) -> dict[str, LiveModel]:
    created: dict[str, LiveModel] = {}
    for spec in MODELS:
        row = await AiModel.create(
            name=spec.name,
            provider=spec.provider,
            input_price_per_million_nanos=usd_to_nanos(spec.input_usd),
            output_price_per_million_nanos=usd_to_nanos(spec.output_usd),
            created_at=now - timedelta(days=200),
        )
        created[spec.name] = LiveModel(
            id=row.id,
            provider=spec.provider,
            input_price=row.input_price_per_million_nanos,
            output_price=row.output_price_per_million_nanos,
            latency_ms=spec.latency_ms,
            ms_per_token=spec.ms_per_token,
        )
    return created


def usd_to_nanos(usd: str) -> int:
    return int(Decimal(usd) * 1_000_000_000)
