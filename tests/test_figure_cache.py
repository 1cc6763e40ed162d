"""Cached figures come back from the cache equal to what was computed, as new objects, from
the in-process cache (which hands back what it stored) and through Redis's JSON alike."""

import json
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from typing import Any, TypeVar

from hypothesis import given, settings
from hypothesis import strategies as st

from kernel.cache import ResultCache
from models.rollup import RollupSums
from resolvers.dashboards.aggregates import Group
from resolvers.dashboards.figure_cache import Aggregator
from resolvers.dashboards.user_activity import ActivityBucket, Pivot, UserTotals
from tests.support.factories import unique

T = TypeVar("T")
PROJECT = 7

counts = st.integers(min_value=-(2**63), max_value=2**63 - 1)
sums = st.builds(RollupSums, *(counts for _ in RollupSums.__struct_fields__))
instants = st.datetimes(
    min_value=datetime(2000, 1, 1), max_value=datetime(2100, 1, 1), timezones=st.just(UTC)
)
ids = st.integers(min_value=0, max_value=2**31 - 1)
groups = st.builds(
    Group,
    st.none() | ids,
    st.tuples() | st.tuples(ids) | st.tuples(ids, st.sampled_from(["SUCCESS", "ERROR"])),
    sums,
)
pivots = st.builds(
    Pivot,
    st.lists(st.tuples(st.text(), ids | instants)),
    st.lists(st.tuples(ids, st.lists(counts), counts)),
)


class JsonCache(ResultCache):
    """The in-process cache, holding what Redis would hand back: the value's JSON, decoded."""

    async def set(self, key: str, value: Any, ttl_seconds: int) -> None:
        await super().set(key, json.loads(json.dumps(value)), ttl_seconds)


async def twice(cache: ResultCache, compute: Callable[[], Awaitable[T]], kind: type[T]) -> T:
    """The figure computed, checked against its second reading, which the cache answers."""
    aggregator = Aggregator(cache)
    aggregator.know_version(PROJECT, 1)
    described = [unique("figure")]
    computed = await aggregator.figure(PROJECT, described, compute, kind)

    async def never() -> T:
        raise AssertionError("the second reading must come from the cache")

    cached = await aggregator.figure(PROJECT, described, never, kind)
    assert cached == computed
    assert cached is not computed
    return cached


@settings(max_examples=25, deadline=None)
@given(
    timeline=st.lists(st.tuples(instants, sums)),
    previous=sums,
    by_assistant_and_model=st.lists(groups),
    per_user=st.lists(st.builds(UserTotals, ids, sums)),
    activity=st.lists(st.builds(ActivityBucket, instants, ids, counts, counts)),
    pivot=pivots,
)
async def test_every_cached_figure_reads_back_as_it_was_computed(
    timeline: list[tuple[datetime, RollupSums]],
    previous: RollupSums,
    by_assistant_and_model: list[Group],
    per_user: list[UserTotals],
    activity: list[ActivityBucket],
    pivot: Pivot,
) -> None:
    for cache in (ResultCache("memory://", unique("figures")), JsonCache("memory://", "json")):

        async def figure(value: T) -> T:
            return value

        await twice(cache, lambda: figure(timeline), list[tuple[datetime, RollupSums]])
        await twice(cache, lambda: figure(previous), RollupSums)
        await twice(cache, lambda: figure(by_assistant_and_model), list[Group])
        await twice(cache, lambda: figure(per_user), list[UserTotals])
        await twice(cache, lambda: figure(activity), list[ActivityBucket])
        await twice(cache, lambda: figure(pivot), Pivot)


async def test_a_cached_figure_is_never_the_object_a_caller_may_change() -> None:
    # given a timeline in the in-process cache
    aggregator = Aggregator(ResultCache("memory://", unique("figures")))
    aggregator.know_version(PROJECT, 1)
    start = datetime(2026, 3, 1, tzinfo=UTC)
    kind = list[tuple[datetime, RollupSums]]

    async def compute() -> list[tuple[datetime, RollupSums]]:
        return [(start, RollupSums(1, 0, 5, 9, 3, 4)), (start + timedelta(hours=1), RollupSums())]

    computed = await aggregator.figure(PROJECT, ["timeline"], compute, kind)

    # when its callers add to the sums they were given
    computed[0][1].add(RollupSums(1, 1, 1, 1, 1, 1))
    read = await aggregator.figure(PROJECT, ["timeline"], compute, kind)
    read[0][1].add(RollupSums(1, 1, 1, 1, 1, 1))

    # then the cache still holds the figure as computed
    again = await aggregator.figure(PROJECT, ["timeline"], compute, kind)
    assert again == await compute()
