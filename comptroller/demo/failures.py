"""How demo requests fail: a trickle of background errors, and outages weeks apart."""

import math
import random
from dataclasses import dataclass

from comptroller.demo.catalog import DAY, HOUR
from comptroller.demo.world import LiveModel

BACKGROUND_ERROR_RATE = 0.015


@dataclass(frozen=True)
class ErrorKind:
    message: str
    billed_input: bool  # whether the provider had read the prompt before failing
    min_ms: int
    max_ms: int


RATE_LIMITED = ErrorKind("429 Too Many Requests: rate limit exceeded", False, 40, 400)
TIMED_OUT = ErrorKind("Request timed out after 30000 ms", True, 30_000, 30_050)
TOO_LONG = ErrorKind("400 Bad Request: prompt exceeds the context window", False, 50, 300)
FILTERED = ErrorKind("Response blocked by the content filter", True, 300, 2_500)
PROVIDER_FAILED = ErrorKind("500 Internal Server Error from the provider", False, 200, 3_000)
BACKGROUND_ERRORS = (RATE_LIMITED, TIMED_OUT, TOO_LONG, FILTERED, PROVIDER_FAILED)
BACKGROUND_ERROR_WEIGHTS = (4, 2, 1, 1, 2)
OVERLOADED = ErrorKind("529 Overloaded: the API is temporarily overloaded", False, 100, 1_200)
UNAVAILABLE = ErrorKind("503 Service Unavailable: engine overloaded", False, 100, 1_500)
GATEWAY_TIMEOUT = ErrorKind("504 Gateway Timeout: no upstream answer in 60 s", True, 60_000, 60_050)
INTERNAL = ErrorKind("500 Internal: an internal error has occurred", False, 200, 4_000)
# Outages: when (a range of days ago), whose (None: the gateway itself), which error.
INCIDENTS = (
    ((2, 6), "Anthropic", OVERLOADED),
    ((12, 20), "OpenAI", UNAVAILABLE),
    ((27, 35), None, GATEWAY_TIMEOUT),
    ((41, 55), "Google", INTERNAL),
    ((60, 75), "OpenAI", UNAVAILABLE),
    ((80, 88), "Anthropic", OVERLOADED),
)


@dataclass
class Incident:
    provider: str | None
    start: float
    end: float
    error_rate: float
    error: ErrorKind


def plan_incidents(rng: random.Random, now: float) -> list[Incident]:
    """Outages of an hour or two in the (UTC) working day, weeks apart."""
    incidents = []
    for (least, most), provider, error in INCIDENTS:
        day = math.floor(now / DAY - rng.uniform(least, most)) * DAY
        start = day + rng.uniform(7, 17) * HOUR
        length = rng.uniform(0.5, 1.0) if provider is None else rng.uniform(0.75, 2.5)
        rate = rng.uniform(0.35, 0.8)
        incidents.append(Incident(provider, start, start + length * HOUR, rate, error))
    return incidents


def pick_error(
    rng: random.Random, model: LiveModel, moment: float, incidents: list[Incident]
) -> ErrorKind | None:
    for incident in incidents:
        if incident.start <= moment < incident.end and incident.provider in (None, model.provider):
            return incident.error if rng.random() < incident.error_rate else None
    if rng.random() < BACKGROUND_ERROR_RATE:
        [error] = rng.choices(BACKGROUND_ERRORS, weights=BACKGROUND_ERROR_WEIGHTS)
        return error
    return None
