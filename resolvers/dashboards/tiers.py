"""Which source sums which part of a range: whole UTC days from the daily rollups, whole
UTC hours from the hourly ones where a tier has them (``with_hours``), whole quarter hours
from the quarter-hour rollups, raw requests in the partial quarter hours at the edges.

A UTC day can be read whole when it lies inside one of the window's buckets, that is when no
bucket of the window starts strictly inside it: always for a total (no buckets); UTC days,
weeks and months; most days of a week or month in another zone. A day that a local midnight
cuts (every day, by the day, in New York or Kolkata) can still be read whole when one side of
the cut is short: its row counts in the bucket of its other side, and the short side's
quarter hours are read twice, once subtracted from that bucket ("borrowed") and once added
to their own. Otherwise, and always by the hour, the day is read in quarter hours.

Counted with their signs, the parts are exactly the range, each quarter hour in its own
bucket, so every figure stays exact whatever the split (sums are integers).
"""

from bisect import bisect_left, bisect_right
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from resolvers.dashboards.time_range import Window
from resolvers.rollups import day_of, hour_of, next_quarter_hour, quarter_hour_of

DAY = timedelta(days=1)
HOUR = timedelta(hours=1)
# Each run is one more index range (and one more copy of the filter) in a statement. Past
# this many, the shortest runs of days are read as quarter hours instead: the figures are
# the same, and the statement stays small even for a 2,000-month window.
MAX_DAY_RUNS = 16
# Borrowing reads the short side of a cut day twice; past 9 hours, reading the whole day in
# quarter hours costs about as much (a day's per-user row set is ~5 hours' worth of quarter
# hours). Each borrowed piece is two more index ranges: two months of cut days at most.
MAX_BORROWED = timedelta(hours=9)
MAX_BORROWED_DAYS = 62

Span = tuple[datetime, datetime]  # [start, end), UTC


@dataclass(frozen=True)
class TierPlan:
    days: list[Span] = field(default_factory=list)  # whole UTC days, each in its start's bucket
    late_days: list[Span] = field(default_factory=list)  # each in its last instant's bucket
    quarters: list[Span] = field(default_factory=list)  # whole quarter hours
    # Quarter hours counted in a day's row but belonging to other buckets: subtracted from
    # the bucket holding the instant given.
    borrowed: list[tuple[Span, datetime]] = field(default_factory=list)
    raw: list[Span] = field(default_factory=list)  # partial quarter hours
    hours: list[Span] = field(default_factory=list)  # whole UTC hours (``with_hours``)
    borrowed_hours: list[tuple[Span, datetime]] = field(default_factory=list)  # as borrowed


def with_hours(plan: TierPlan, buckets: Window | None) -> TierPlan:
    """``plan`` with the whole UTC hours of its quarter hours (those read and those borrowed)
    that lie inside one bucket moved to the hourly tier: four times fewer rows to read."""
    starts = () if buckets is None else buckets.starts
    quarters, hours = _hours_of(plan.quarters, starts)
    borrowed: list[tuple[Span, datetime]] = []
    borrowed_hours: list[tuple[Span, datetime]] = []
    for span, counted_at in plan.borrowed:
        parts, whole = _hours_of([span], starts)
        borrowed += [(part, counted_at) for part in parts]
        borrowed_hours += [(part, counted_at) for part in whole]
    hourly = TierPlan(plan.days, plan.late_days, quarters, borrowed, plan.raw, hours,
                      borrowed_hours)  # fmt: skip
    # Every span is one more part of the statement with its own copy of the filter (SQLite
    # takes 500 parts, and ~32k values): in a zone whose buckets cut UTC hours, a long
    # window would split into a span a bucket. Past MAX_DAY_RUNS more than the plan had,
    # the plan's quarter hours are read as they were: the same figures, a bounded statement.
    if _runs(hourly) > _runs(plan) + MAX_DAY_RUNS:
        return plan
    return hourly


def _runs(plan: TierPlan) -> int:
    """The spans a plan reads below whole days."""
    return len(plan.quarters) + len(plan.borrowed) + len(plan.hours) + len(plan.borrowed_hours)


def _hours_of(spans: list[Span], starts: tuple[datetime, ...]) -> tuple[list[Span], list[Span]]:
    """Quarter-hour spans split into (quarter hours, whole hours inside one bucket each)."""
    quarters: list[Span] = []
    hours: list[Span] = []
    for start, end in spans:
        first = hour_of(start)
        if first < start:
            first += HOUR
        last = hour_of(end)
        if first >= last:
            quarters.append((start, end))
            continue
        quarters += [(start, first), (last, end)]
        # Hours a bucket starts inside straddle two buckets: read in quarter hours.
        inside = starts[bisect_right(starts, first) : bisect_left(starts, last)]
        cut = sorted({hour_of(s) for s in inside if s != hour_of(s)})
        cursor = first
        for hour in cut:
            hours.append((cursor, hour))
            quarters.append((hour, hour + HOUR))
            cursor = hour + HOUR
        hours.append((cursor, last))
    return _merged(quarters), _merged(hours)


def plan_tiers(
    start: datetime,
    end: datetime,
    buckets: Window | None = None,
    borrow: bool = True,
    whole_days: bool = True,
) -> TierPlan:
    """Split ``[start, end)`` (UTC) into runs each read from one source; the runs of each
    source are in time order, and no two are adjacent. ``borrow``: read cut days whole when
    one side is short; ``whole_days``: read days from the daily rollups at all."""
    inner_start = quarter_hour_of(start)
    if inner_start < start:
        inner_start = next_quarter_hour(inner_start)
    inner_end = quarter_hour_of(end)
    if inner_start >= inner_end:
        # No whole quarter hour: one or two partial ones, each read raw on its own, as each
        # lies inside one bucket but the two may not (10:50 to 11:05 by the hour).
        if inner_start >= end:
            return TierPlan(raw=[(start, end)])
        return TierPlan(raw=[s for s in ((start, inner_start), (inner_start, end)) if s[0] < s[1]])
    raw = [span for span in ((start, inner_start), (inner_end, end)) if span[0] < span[1]]
    if not whole_days:
        return TierPlan(quarters=[(inner_start, inner_end)], raw=raw)
    if buckets is not None and borrow:
        borrowing = _borrowing(inner_start, inner_end, buckets, raw)
        if borrowing is not None:
            return borrowing
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


def _borrowing(start: datetime, end: datetime, buckets: Window, raw: list[Span]) -> TierPlan | None:
    """The plan reading cut days whole (see the module's docstring), or None when no day is
    cut, none has a short side, or too many are (the plain plan is then as good)."""
    first, last = _whole_days(start, end)
    if first >= last:
        return None
    starts = buckets.starts
    days: list[Span] = []
    late_days: list[Span] = []
    quarters: list[Span] = [(start, first), (last, end)]
    borrowed: list[tuple[Span, datetime]] = []
    day = first
    while day < last:
        following = day + DAY
        inside = starts[bisect_right(starts, day) : bisect_left(starts, following)]
        if not inside:
            days.append((day, following))
        elif following - inside[0] <= min(inside[-1] - day, MAX_BORROWED):
            # In the bucket holding its start; what follows the first cut is borrowed.
            days.append((day, following))
            quarters.append((inside[0], following))
            borrowed.append(((inside[0], following), day))
        elif inside[-1] - day <= MAX_BORROWED:
            # In the bucket holding its end (which starts at the last cut); what precedes
            # that cut is borrowed.
            late_days.append((day, following))
            quarters.append((day, inside[-1]))
            borrowed.append(((day, inside[-1]), inside[-1]))
        else:
            quarters.append((day, following))
        day = following
    runs = _merged(days), _merged(late_days)
    if not borrowed or len(borrowed) > MAX_BORROWED_DAYS or sum(map(len, runs)) > MAX_DAY_RUNS:
        return None
    return TierPlan(runs[0], runs[1], _merged(quarters), borrowed, raw)


def _merged(spans: list[Span]) -> list[Span]:
    """Non-empty spans in order, adjacent ones joined."""
    joined: list[Span] = []
    for span_start, span_end in sorted(s for s in spans if s[0] < s[1]):
        if joined and joined[-1][1] == span_start:
            joined[-1] = (joined[-1][0], span_end)
        else:
            joined.append((span_start, span_end))
    return joined


def _whole_days(start: datetime, end: datetime) -> Span:
    """First and last midnight of the whole UTC days inside ``[start, end)``."""
    first = day_of(start)
    if first < start:
        first += DAY
    return first, day_of(end)


def _day_runs(start: datetime, end: datetime, buckets: Window | None) -> list[Span]:
    """Runs of the whole UTC days inside ``[start, end)`` that lie inside one bucket."""
    first, last = _whole_days(start, end)
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
