"""How a range is split between the daily rollups, the quarter-hour rollups and raw rows:
the parts are exactly the range, and a day is read whole only inside one local bucket."""

from datetime import UTC, datetime, timedelta
from itertools import pairwise
from zoneinfo import ZoneInfo

from hypothesis import given, settings
from hypothesis import strategies as st

from resolvers.rollups import bucket_of
from resolvers.tiers import MAX_DAY_RUNS, Span, TierPlan, plan_tiers
from resolvers.time_buckets import Granularity, bucket_starts
from resolvers.time_range import Window
from tests.test_time_buckets import ZONES

DAY = timedelta(days=1)
QUARTER = timedelta(minutes=15)


def window(start: datetime, end: datetime, zone: str, granularity: Granularity) -> Window:
    starts = bucket_starts(start, end, ZoneInfo(zone), granularity)
    return Window(start, end, zone, granularity, tuple(starts))


def utc(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=UTC)


def assert_exact_cover(plan: TierPlan, start: datetime, end: datetime) -> None:
    spans = sorted([*plan.days, *plan.quarters, *plan.raw])
    assert spans[0][0] == start
    assert spans[-1][1] == end
    for (_, earlier_end), (later_start, _) in pairwise(spans):
        assert earlier_end == later_start  # no gap, no overlap
    for source in (plan.days, plan.quarters, plan.raw):
        assert source == sorted(source)
        assert all(a < b for a, b in source)


def lies_in_one_bucket(span: Span, buckets: Window) -> bool:
    return not any(span[0] < s < span[1] for s in buckets.starts)


@settings(max_examples=300, deadline=None)
@given(
    start=st.datetimes(min_value=datetime(2025, 1, 1), max_value=datetime(2027, 12, 31)),
    length=st.one_of(
        st.timedeltas(min_value=timedelta(microseconds=1), max_value=timedelta(days=3)),
        st.timedeltas(min_value=timedelta(days=3), max_value=timedelta(days=400)),
    ),
    zone=st.sampled_from(ZONES),
    granularity=st.sampled_from(list(Granularity)),
    bucketed=st.booleans(),
)
def test_the_parts_are_exactly_the_range_and_each_day_lies_in_one_bucket(
    start: datetime, length: timedelta, zone: str, granularity: Granularity, bucketed: bool
) -> None:
    begin = start.replace(tzinfo=UTC)
    end = begin + length
    if granularity is Granularity.HOUR:
        end = min(end, begin + timedelta(days=60))
    buckets = window(begin, end, zone, granularity) if bucketed else None

    plan = plan_tiers(begin, end, buckets)

    assert_exact_cover(plan, begin, end)
    for day_start, day_end in plan.days:
        assert day_start.time() == day_end.time() == datetime.min.time()
        if buckets is not None:
            # Each day inside one bucket (a run of days may span several).
            day = day_start
            while day < day_end:
                assert lies_in_one_bucket((day, day + DAY), buckets)
                day += DAY
    for quarter_start, quarter_end in plan.quarters:
        assert quarter_start.minute % 15 == quarter_end.minute % 15 == 0
        assert quarter_start.second == quarter_start.microsecond == 0
        assert quarter_end.second == quarter_end.microsecond == 0
    for raw_start, raw_end in plan.raw:
        # Only partial quarter hours, each inside one (so inside one local bucket).
        assert bucket_of(raw_start) == bucket_of(raw_end - timedelta(microseconds=1))
        assert raw_end - raw_start < QUARTER
    assert len(plan.days) <= MAX_DAY_RUNS


def test_a_total_reads_every_whole_day_at_once() -> None:
    plan = plan_tiers(utc(2026, 3, 1, 9, 7), utc(2026, 3, 31, 17, 50))

    assert plan.days == [(utc(2026, 3, 2), utc(2026, 3, 31))]
    assert plan.quarters == [
        (utc(2026, 3, 1, 9, 15), utc(2026, 3, 2)),
        (utc(2026, 3, 31), utc(2026, 3, 31, 17, 45)),
    ]
    assert plan.raw == [
        (utc(2026, 3, 1, 9, 7), utc(2026, 3, 1, 9, 15)),
        (utc(2026, 3, 31, 17, 45), utc(2026, 3, 31, 17, 50)),
    ]


def test_kolkata_days_straddle_utc_days_so_none_is_read_whole() -> None:
    # A Kolkata day runs from 18:30 UTC to 18:30 UTC: every UTC day holds a bucket start.
    start, end = utc(2026, 3, 1, 18, 30), utc(2026, 3, 11, 18, 30)

    plan = plan_tiers(start, end, window(start, end, "Asia/Kolkata", Granularity.DAY))

    assert plan.days == []
    assert plan.quarters == [(start, end)]


def test_a_kolkata_week_reads_whole_the_utc_days_but_the_one_holding_monday_midnight() -> None:
    # Monday 2026-03-09 00:00 in Kolkata is Sunday 2026-03-08 18:30 UTC.
    start, end = utc(2026, 3, 1, 18, 30), utc(2026, 3, 15, 18, 30)

    plan = plan_tiers(start, end, window(start, end, "Asia/Kolkata", Granularity.WEEK))

    assert plan.days == [(utc(2026, 3, 2), utc(2026, 3, 8)), (utc(2026, 3, 9), utc(2026, 3, 15))]
    assert plan.quarters == [
        (start, utc(2026, 3, 2)),
        (utc(2026, 3, 8), utc(2026, 3, 9)),
        (utc(2026, 3, 15), end),
    ]


def test_hours_are_never_read_from_days() -> None:
    start, end = utc(2026, 3, 1), utc(2026, 3, 4)

    plan = plan_tiers(start, end, window(start, end, "UTC", Granularity.HOUR))

    assert plan == TierPlan(quarters=[(start, end)])


def test_a_range_inside_one_quarter_hour_is_read_raw() -> None:
    start, end = utc(2026, 3, 1, 10, 1), utc(2026, 3, 1, 10, 14)

    assert plan_tiers(start, end) == TierPlan(raw=[(start, end)])


def test_two_partial_quarter_hours_are_read_apart() -> None:
    # 11:00 may start a bucket (an hour): the rows on either side of it are summed apart.
    start, end = utc(2026, 3, 1, 10, 50), utc(2026, 3, 1, 11, 5)

    plan = plan_tiers(start, end, window(start, end, "UTC", Granularity.HOUR))

    assert plan == TierPlan(raw=[(start, utc(2026, 3, 1, 11)), (utc(2026, 3, 1, 11), end)])


def test_many_split_days_keep_the_longest_runs_and_read_the_rest_in_quarter_hours() -> None:
    # Kolkata months over five years: 60 UTC days hold a month's start.
    start, end = utc(2021, 1, 1), utc(2026, 1, 1)

    plan = plan_tiers(start, end, window(start, end, "Asia/Kolkata", Granularity.MONTH))

    assert len(plan.days) == MAX_DAY_RUNS
    assert len(plan.quarters) <= MAX_DAY_RUNS + 1
    assert_exact_cover(plan, start, end)
