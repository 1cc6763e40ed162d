"""Cached figures and aggregates: the dashboards' numbers, shared by every worker and replica.

The dashboards cache their final figures (a timeline, the per-user totals, a pivot), small
and ready to serve, rather than the groups they are computed from. A key holds everything a
value depends on: the project, its data version (bumped in every transaction that changes its
requests), the filter, the range, the zone, the granularity and the figure (its grouping).
Nothing about the viewer: the policy has allowed the read before this is reached. A write
therefore never needs to find and drop keys: the next read asks for the new version, so every
replica shows committed records on its next query.

Values are stored as plain JSON values (msgspec's ``to_builtins`` of the figure's own
dataclasses and structs) and converted back into new objects of the figure's type on every
hit (``msgspec.convert``): safe to share through Redis, and never mutated in the memory cache
(which hands out the very object it stored). The encoding follows the types, so it changes
with the code; the cache's namespace holds the code's fingerprint
(``kernel/code_version.py``), so no build reads what another one stored.
"""

import hashlib
import json
from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import Any, TypeVar

import msgspec

from kernel.cache import ResultCache
from resolvers.dashboards.aggregates import Dimension, Group, UsageFilter, aggregate
from resolvers.dashboards.time_range import Window
from resolvers.data_versions import current_version

# Keys change with the data version, so entries never go stale; the TTL only frees memory.
TTL_SECONDS = 3600
T = TypeVar("T")


class Aggregator:
    """``aggregate`` through the cache; one per GraphQL request (it remembers versions)."""

    def __init__(self, cache: ResultCache | None) -> None:
        self._cache = cache
        self._versions: dict[int, int] = {}

    async def __call__(
        self,
        project_id: int,
        filters: UsageFilter,
        start: datetime,
        end: datetime,
        group_by: tuple[Dimension, ...] = (),
        buckets: Window | None = None,
    ) -> list[Group]:
        if self._cache is None:
            return await aggregate(project_id, filters, start, end, group_by, buckets)
        version = await self._version(project_id)
        key = _key(project_id, version, filters, start, end, group_by, buckets)
        cached = await self._cache.get(key)
        if cached is not None:
            return msgspec.convert(cached, list[Group])
        groups = await aggregate(project_id, filters, start, end, group_by, buckets)
        await self._cache.set(key, msgspec.to_builtins(groups), TTL_SECONDS)
        return groups

    async def figure(
        self,
        project_id: int,
        described: list[Any],
        compute: Callable[[], Awaitable[T]],
        kind: type[T],
    ) -> T:
        """A final figure (a value of type ``kind``) through the cache. ``described`` (JSON
        values) must name everything the figure depends on besides the project and its data:
        filter, range, zone, granularity, the figure and its arguments."""
        if self._cache is None:
            return await compute()
        version = await self._version(project_id)
        digest = _digest(described)
        key = f"figure:{project_id}:{version}:{digest}"
        cached = await self._cache.get(key)
        if cached is not None:
            return msgspec.convert(cached, kind)
        value = await compute()
        await self._cache.set(key, msgspec.to_builtins(value), TTL_SECONDS)
        return value

    def know_version(self, project_id: int, version: int) -> None:
        """A version this request has already read (the whole-answer cache reads it first)."""
        self._versions.setdefault(project_id, version)

    async def _version(self, project_id: int) -> int:
        version = self._versions.get(project_id)
        if version is None:
            version = self._versions[project_id] = await current_version(project_id)
        return version


def describe_filter(filters: UsageFilter) -> list[Any]:
    return [
        filters.assistant_ids, filters.model_ids, filters.api_token_ids, filters.user_ids,
        None if filters.status is None else filters.status.value,
    ]  # fmt: skip


def describe_window(window: Window) -> list[Any]:
    # The buckets follow from the range, the zone and the granularity.
    return [
        window.start.isoformat(), window.end.isoformat(), window.zone_name,
        window.granularity.value,
    ]  # fmt: skip


def _digest(described: list[Any]) -> str:
    text = json.dumps(described, separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()[:32]


def _key(
    project_id: int,
    version: int,
    filters: UsageFilter,
    start: datetime,
    end: datetime,
    group_by: tuple[Dimension, ...],
    buckets: Window | None,
) -> str:
    # The buckets follow from the range, the zone and the granularity.
    layout = None if buckets is None else [buckets.zone_name, buckets.granularity.value]
    described = [
        *describe_filter(filters), start.isoformat(), end.isoformat(),
        [d.value for d in group_by], layout,
    ]  # fmt: skip
    return f"aggregate:{project_id}:{version}:{_digest(described)}"
