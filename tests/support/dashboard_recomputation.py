"""The dashboards' figures recomputed in plain Python from the requests a test recorded:
the independent model that the dashboards' tests (all tiers, daily, per-user) check
every figure against."""

from bisect import bisect_right
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from models import RequestStatus
from resolvers.dashboards.buckets import Granularity
from resolvers.ingestion.record import RecordInput
from tests.support.bucket_walk import brute_force

NANOS = 1_000_000_000


@dataclass(frozen=True)
class Sent:
    """A request as the test recorded it (ids as integers, cost in nano-USD)."""

    created_at: datetime
    status: str
    duration_ms: int
    cost_nanos: int
    input_tokens: int
    output_tokens: int
    assistant: int | None
    model: int
    api_token: int
    user: int | None

    def as_record(self, external_id: str, *, priced_by_model: bool = False) -> RecordInput:
        """The record a gateway sends for this request: with its cost, or without one for
        the server to price by the model."""
        return RecordInput(
            external_id=external_id,
            created_at=self.created_at,
            status=RequestStatus(self.status),
            duration_ms=self.duration_ms,
            model_id=str(self.model),
            input_tokens=self.input_tokens,
            output_tokens=self.output_tokens,
            assistant_id=None if self.assistant is None else str(self.assistant),
            user_id=None if self.user is None else str(self.user),
            api_token_id=str(self.api_token),
            cost=None if priced_by_model else self.cost_nanos / NANOS,
        )


@dataclass
class Dataset:
    """A project's recorded requests, the ids a filter may name, a viewer's token."""

    project_id: int
    token: str
    requests: list[Sent]
    assistants: list[int]
    models: list[int]
    api_tokens: list[int]
    users: list[int]


@dataclass(frozen=True)
class Case:
    """One dashboard query: its range, zone, granularity and filters."""

    start: datetime
    end: datetime
    zone: str
    granularity: Granularity
    filters: dict[str, Any]

    def variables(self, project_id: int) -> dict[str, Any]:
        return {
            "p": str(project_id),
            "r": {
                "from": self.start.isoformat(),
                "to": self.end.isoformat(),
                "timezone": self.zone,
                "granularity": self.granularity.value,
            },
            "f": self.filters or None,
        }


def matches(request: Sent, case: Case, start: datetime, end: datetime) -> bool:
    f = case.filters
    return (
        start <= request.created_at < end
        and ("assistantIds" not in f or str(request.assistant) in f["assistantIds"])
        and ("modelIds" not in f or str(request.model) in f["modelIds"])
        and ("apiTokenIds" not in f or str(request.api_token) in f["apiTokenIds"])
        and ("userIds" not in f or str(request.user) in f["userIds"])
        and ("status" not in f or request.status == f["status"])
    )


def totals(requests: list[Sent]) -> dict[str, Any]:
    count = len(requests)
    cost = sum(r.cost_nanos for r in requests)
    errors = sum(r.status == "ERROR" for r in requests)
    return {
        "totalCost": cost / NANOS,
        "totalRequests": count,
        "totalErrors": errors,
        "averageCostPerRequest": cost / NANOS / count if count else None,
        "averageRequestTimeMs": sum(r.duration_ms for r in requests) / count if count else None,
        "errorRate": 100 * errors / count if count else None,
    }


def buckets(case: Case, requests: list[Sent]) -> tuple[list[datetime], list[list[Sent]]]:
    starts = brute_force(case.start, case.end, ZoneInfo(case.zone), case.granularity)
    grouped: list[list[Sent]] = [[] for _ in starts]
    for request in requests:
        grouped[bisect_right(starts, request.created_at) - 1].append(request)
    return starts, grouped


def shares(requests: list[Sent], key: Callable[[Sent], int | None]) -> list[dict[str, Any]]:
    groups: dict[int, list[Sent]] = defaultdict(list)
    for request in requests:
        groups[key(request) or 0].append(request)
    total_cost = sum(r.cost_nanos for r in requests)
    rows = []
    for group_id, members in groups.items():
        cost = sum(r.cost_nanos for r in members)
        rows.append((-cost, group_id, {
            "id": "none" if group_id == 0 else str(group_id),
            "totalCost": cost / NANOS,
            "totalRequests": len(members),
            "costShare": 100 * cost / total_cost if total_cost else 0.0,
            "requestShare": 100 * len(members) / len(requests),
        }))  # fmt: skip
    return [row for _, _, row in sorted(rows, key=lambda r: (r[0], r[1]))]


def close(got: Any, want: Any) -> bool:
    """Equal, with floats to within 1e-9 (costs in USD, shares and averages)."""
    if isinstance(want, float) and isinstance(got, (float, int)):
        return abs(got - want) <= 1e-9 * max(1.0, abs(want))
    if isinstance(want, dict) and isinstance(got, dict):
        return want.keys() == got.keys() and all(close(got[k], want[k]) for k in want)
    if isinstance(want, list) and isinstance(got, list):
        return len(got) == len(want) and all(close(g, w) for g, w in zip(got, want, strict=True))
    return bool(got == want)
