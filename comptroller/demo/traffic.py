"""When the demo requests happen: 90 days shaped by local working hours, in time order."""

import random
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime
from itertools import accumulate
from typing import Any
from zoneinfo import ZoneInfo

from comptroller.demo.catalog import DAY, HISTORY_DAYS, HOUR
from comptroller.demo.failures import plan_incidents
from comptroller.demo.request_rows import make_request
from comptroller.demo.world import World
from models.request import REQUEST_COLUMNS

# Local hour -> relative traffic: a working day with a lunch dip and a quiet night.
HOUR_OF_DAY_WEIGHTS = (
    *(0.05, 0.04, 0.03, 0.03, 0.04, 0.08, 0.18, 0.4, 0.75, 1.0, 1.0, 0.95),
    *(0.7, 0.9, 1.0, 0.95, 0.85, 0.6, 0.4, 0.3, 0.25, 0.18, 0.12, 0.08),
)
WEEKEND_FACTOR = 0.22
COST_COLUMN = REQUEST_COLUMNS.index("cost_nanos")
TOKEN_COLUMN = REQUEST_COLUMNS.index("api_token_id")


@dataclass
class Tally:
    """What the requests add up to, for budgets and ``last_used_at``."""

    recent_spend: Counter[int] = field(default_factory=Counter)  # nanos in the last 30 days
    token_last_used: dict[int, float] = field(default_factory=dict)


def generate_requests(
    world: World, rng: random.Random, request_count: int, tally: Tally
) -> Iterator[list[Any]]:
    """Rows in time order, so that ids grow with ``created_at`` as they would in production."""
    now = world.now.timestamp()
    start = now - HISTORY_DAYS * DAY
    hours = HISTORY_DAYS * 24
    counts = count_per_project_hour(world, rng, start, hours, request_count)
    incidents = plan_incidents(rng, now)
    number = 0
    for hour in range(hours):
        moments = sorted(
            (start + (hour + rng.random()) * HOUR, index)
            for index in range(len(world.projects))
            for _ in range(counts[index * hours + hour])
        )
        for moment, index in moments:
            number += 1
            project = world.projects[index]
            row = make_request(rng, project, moment, incidents, now, number)
            if moment >= now - 30 * DAY:
                tally.recent_spend[project.id] += row[COST_COLUMN]
            tally.token_last_used[row[TOKEN_COLUMN]] = moment
            yield row


def count_per_project_hour(
    world: World, rng: random.Random, start: float, hours: int, request_count: int
) -> list[int]:
    """How many requests fall in each (project, hour), project-major.

    Each project gets its share, shaped by its local working hours and weekdays, a slow
    growth and day-to-day noise.
    """
    weights: list[float] = []
    for project in world.projects:
        zone = ZoneInfo(project.spec.timezone)
        day_noise: dict[int, float] = {}
        shape = []
        for hour in range(hours):
            local = datetime.fromtimestamp(start + (hour + 0.5) * HOUR, zone)
            if local.toordinal() not in day_noise:
                day_noise[local.toordinal()] = rng.lognormvariate(0, 0.15)
            noise = day_noise[local.toordinal()]
            weekend = WEEKEND_FACTOR if local.weekday() >= 5 else 1.0
            growth = 0.7 + 0.3 * hour / hours
            shape.append(HOUR_OF_DAY_WEIGHTS[local.hour] * weekend * growth * noise)
        total = sum(shape)
        weights.extend(project.spec.traffic_share * weight / total for weight in shape)
    counts = [0] * len(weights)
    cumulative = list(accumulate(weights))
    # In chunks, so that millions of draws never sit in memory at once.
    for done in range(0, request_count, 100_000):
        size = min(100_000, request_count - done)
        for slot in rng.choices(range(len(weights)), cum_weights=cumulative, k=size):
            counts[slot] += 1
    return counts
