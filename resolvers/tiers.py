"""Which source sums which part of a range: whole UTC days from the daily rollups, whole
15-minute buckets from the quarter-hour rollups, raw requests in the partial quarter hours at
the edges.

A UTC day can only be read whole when it lies inside one requested local bucket, that is
when no bucket of the window starts strictly inside it: always for a total (no buckets);
UTC days, weeks and months; most days of a week or month in another zone (the day holding the
local midnight that starts a bucket is read in quarter hours instead); never for hours, or
for days in a zone whose midnight is not UTC's. The parts never overlap and together are
exactly the range, so every figure stays exact whatever the split.
"""

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from resolvers.rollups import bucket_of, day_of, next_bucket
from resolvers.time_range import Window

DAY = timedelta(days=1)
# Each run is one more index range (and one more copy of the filter) in a statement. Past
# this many, the shortest runs of days are read as quarter hours instead: the figures are
# the same, and the statement stays small even for a 2,000-month window.
MAX_DAY_RUNS = 16

Span = tuple[datetime, datetime]  # [start, end), UTC


@dataclass(frozen=True)
class TierPlan:
    days: list[Span] = field(default_factory=list)  # whole UTC days
    quarters: list[Span] = field(default_factory=list)  # whole 15-minute buckets
    raw: list[Span] = field(default_factory=list)  # partial 15-minute buckets


def plan_tiers(start: datetime, end: datetime, buckets: Window | None = None) -> TierPlan:
    """Split ``[start, end)`` (UTC) into runs each read from one source; the runs of each
    source are in time order, and no two are adjacent."""
    inner_start = bucket_of(start)
    if inner_start < start:
        inner_start = next_bucket(inner_start)
    inner_end = bucket_of(end)
    if inner_start >= inner_end:
        # No whole quarter hour: one or two partial ones, each read raw on its own, as each
        # lies inside one local bucket but the two may not (10:50 to 11:05 by the hour).
        if inner_start >= end:
            return TierPlan(raw=[(start, end)])
        return TierPlan(raw=[s for s in ((start, inner_start), (inner_start, end)) if s[0] < s[1]])
    raw = [span for span in ((start, inner_start), (inner_end, end)) if span[0] < span[1]]
    days = _day_runs(inner_start, inner_end, buckets)
    quarters: list[Span] = []
    cursor = inner_start
    for day_start, day_end in days:
        if cursor < day_start:
            quarters.append((cursor, day_start))
        cursor = day_end
    if cursor < inner_end:
        quarters.append((cursor, inner_end))
    return TierPlan(days=days, quarters=quarters, raw=raw)


def _day_runs(start: datetime, end: datetime, buckets: Window | None) -> list[Span]:
    """Runs of the whole UTC days inside ``[start, end)`` that lie inside one bucket."""
    first = day_of(start)
    if first < start:
        first += DAY
    last = day_of(end)
    if first >= last:
        return []
    # Days holding a bucket start other than their own midnight straddle two buckets.
    split = (
        []
        if buckets is None
        else sorted({day_of(s) for s in buckets.starts if first < s < last and s != day_of(s)})
    )
    runs: list[Span] = []
    cursor = first
    for day in split:
        if cursor < day:
            runs.append((cursor, day))
        cursor = day + DAY
    if cursor < last:
        runs.append((cursor, last))
    if len(runs) > MAX_DAY_RUNS:
        longest = sorted(runs, key=lambda run: run[0] - run[1])[:MAX_DAY_RUNS]
        runs = sorted(longest)
    return runs
