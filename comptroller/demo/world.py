"""The rows created before the traffic, as the request generator needs them."""

from dataclasses import dataclass, field
from datetime import datetime

from comptroller.demo.catalog import ProjectSpec
from models import User


@dataclass
class LiveModel:
    id: int
    provider: str
    input_price: int
    output_price: int
    latency_ms: int
    ms_per_token: float


@dataclass
class LiveAssistant:
    id: int
    model: LiveModel | None
    log_input_median: float
    log_output_median: float
    inactive_from: float | None  # epoch seconds


@dataclass
class LiveToken:
    id: int
    created: float  # epoch seconds
    ends: float | None  # revoked or expired, whichever comes first
    weight: float


@dataclass
class LiveProject:
    """One project's rows, as the request generator needs them."""

    id: int
    spec: ProjectSpec
    admin_id: int
    assistants: list[LiveAssistant]
    assistant_weights: list[float]  # cumulative
    active_assistants: list[LiveAssistant]
    active_assistant_weights: list[float]  # cumulative
    models: list[LiveModel]  # those it may use
    user_ids: list[int]
    user_weights: list[float]  # cumulative
    tokens: list[LiveToken]


@dataclass
class World:
    """What exists before the requests, and the secrets to hand out."""

    now: datetime
    models: dict[str, LiveModel]
    people: list[User]  # the first is the platform operator
    projects: list[LiveProject] = field(default_factory=list)
    secrets: dict[str, str] = field(default_factory=dict)
