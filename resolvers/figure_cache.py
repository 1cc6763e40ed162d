"""Cached aggregates: the dashboards' sums, shared by every worker and replica.

A key holds everything the sums depend on: the project, its data version (bumped in every
transaction that changes its requests), the filter, the range and the grouping. Nothing about
the viewer: the policy has allowed the read before this is reached. A write therefore never
needs to find and drop keys: the next read asks for the new version, so every replica shows
committed records on its next query.
"""

import hashlib
import json
from datetime import datetime
from typing import Any

from comptroller.cache import ResultCache
from resolvers.aggregates import Dimension, Group, Sums, UsageFilter, aggregate
from resolvers.data_versions import current_version
from resolvers.time_range import Window

# Keys change with the data version, so entries never go stale; the TTL only frees memory.
TTL_SECONDS = 3600


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
        version = self._versions.get(project_id)
        if version is None:
            version = self._versions[project_id] = await current_version(project_id)
        key = _key(project_id, version, filters, start, end, group_by, buckets)
        cached = await self._cache.get(key)
        if cached is not None:
            return _decode(cached)
        groups = await aggregate(project_id, filters, start, end, group_by, buckets)
        await self._cache.set(key, _encode(groups), TTL_SECONDS)
        return groups


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
    described = json.dumps(
        [
            filters.assistant_ids, filters.model_ids, filters.api_token_ids, filters.user_ids,
            None if filters.status is None else filters.status.value,
            start.isoformat(), end.isoformat(), [d.value for d in group_by], layout,
        ],
        separators=(",", ":"),
    )  # fmt: skip
    digest = hashlib.sha256(described.encode()).hexdigest()[:32]
    return f"aggregate:{project_id}:{version}:{digest}"


def _encode(groups: list[Group]) -> list[Any]:
    """Plain JSON values: safe to share through Redis, and immutable in the memory cache
    (whose backend hands out the very object it stored)."""
    return [
        [
            g.bucket,
            list(g.keys),
            [
                g.sums.requests,
                g.sums.errors,
                g.sums.cost_nanos,
                g.sums.duration_ms,
                g.sums.input_tokens,
                g.sums.output_tokens,
            ],
        ]
        for g in groups
    ]


def _decode(cached: list[Any]) -> list[Group]:
    return [
        Group(
            bucket=bucket,
            keys=tuple(keys),
            sums=Sums(*sums),
        )
        for bucket, keys, sums in cached
    ]
