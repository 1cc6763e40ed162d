"""How a range is split between the daily rollups, the hourly ones, the quarter-hour rollups
and raw rows: counted with their signs, the parts are exactly the range, each quarter hour in
its own bucket."""

from collections import Counter
from datetime import UTC, datetime, timedelta
from itertools import pairwise
from zoneinfo import ZoneInfo

from hypothesis import given, settings
from hypothesis import strategies as st

from resolvers.dashboards.buckets import Granularity, bucket_starts
from resolvers.dashboards.tiers import (
    MAX_BORROWED,
    MAX_BORROWED_DAYS,
    MAX_DAY_RUNS,
    Span,
    TierPlan,
    plan_tiers,
    with_hours,
)
from resolvers.dashboards.time_range import Window
from resolvers.rollups import day_of, quarter_hour_of
from tests.support.bucket_walk import QUARTER, ZONES

DAY = timedelta(days=1)


def window(start: datetime, end: datetime, zone: str, granularity: Granularity) -> Window:
    starts = bucket_starts(start, end, ZoneInfo(zone), granularity)
    return Window(start, end, zone, granularity, tuple(starts))


def utc(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=UTC)


def quarters_of(span: Span) -> list[datetime]:
    found = []
    at = span[0]
    while at < span[1]:
        found.append(at)
        at += QUARTER
    return found


def counted(plan: TierPlan, buckets: Window | None) -> Counter[tuple[datetime, int | None]]:
    """How many times each quarter hour of the rollup parts is counted, and in which bucket:
    the sources read with their signs, as ``aggregate`` reads them."""

    def bucket(instant: datetime) -> int | None:
        return None if buckets is None else buckets.index_of(instant)

    counts: Counter[tuple[datetime, int | None]] = Counter()
    for span in plan.days:
        for quarter in quarters_of(span):
            counts[(quarter, bucket(day_of(quarter)))] += 1
    for span in plan.late_days:
        for quarter in quarters_of(span):
            counts[(quarter, bucket(day_of(quarter) + DAY - timedelta(seconds=1)))] += 1
    for span in plan.quarters:
        for quarter in quarters_of(span):
            counts[(quarter, bucket(quarter))] += 1
    for span in plan.hours:
        # An hour's row counts in the bucket of its start: its quarter hours must all be there.
        for quarter in quarters_of(span):
            counts[(quarter, bucket(quarter.replace(minute=0)))] += 1
    for span, counted_at in [*plan.borrowed, *plan.borrowed_hours]:
        for quarter in quarters_of(span):
            counts[(quarter, bucket(counted_at))] -= 1
    return +counts  # without the quarter hours counted as often as subtracted


def assert_exact_cover(plan: TierPlan, start: datetime, end: datetime) -> None:
    """Each instant of the range read once (borrowing counted with its signs), each source's
    spans in order and apart."""
    inner = [
        span for source in (plan.days, plan.late_days, plan.quarters, plan.hours) for span in source
    ]
    whole = sorted([*plan.raw, (min(s for s, _ in inner), max(e for _, e in inner))]) if inner \
        else sorted(plan.raw)  # fmt: skip
    assert whole[0][0] == start
    assert whole[-1][1] == end
    for (_, earlier_end), (later_start, _) in pairwise(whole):
        assert earlier_end == later_start
    for source in (plan.days, plan.late_days, plan.quarters, plan.hours, plan.raw):
        assert source == sorted(source)
        assert all(a < b for a, b in source)
    for source in (plan.days, plan.late_days, plan.quarters, plan.hours):
        assert all(a[1] < b[0] for a, b in pairwise(source))  # adjacent runs are joined


@settings(max_examples=300, deadline=None)
@given(
    start=st.datetimes(min_value=datetime(2025, 1, 1), max_value=datetime(2027, 12, 31)),
    length=st.one_of(
        st.timedeltas(min_value=timedelta(microseconds=1), max_value=timedelta(days=3)),
        st.timedeltas(min_value=timedelta(days=3), max_value=timedelta(days=120)),
    ),
    zone=st.sampled_from(ZONES),
    granularity=st.sampled_from(list(Granularity)),
    bucketed=st.booleans(),
)
def test_each_quarter_hour_is_counted_once_in_its_own_bucket(
    start: datetime, length: timedelta, zone: str, granularity: Granularity, bucketed: bool
) -> None:
    begin = start.replace(tzinfo=UTC)
    end = begin + length
    if granularity is Granularity.HOUR:
        end = min(end, begin + timedelta(days=20))
    buckets = window(begin, end, zone, granularity) if bucketed else None

    plan = plan_tiers(begin, end, buckets)

    assert_exact_cover(plan, begin, end)
    inner = [(s, e) for source in (plan.days, plan.late_days, plan.quarters) for s, e in source]
    expected: Counter[tuple[datetime, int | None]] = Counter()
    if inner:
        for quarter in quarters_of((min(s for s, _ in inner), max(e for _, e in inner))):
            expected[(quarter, None if buckets is None else buckets.index_of(quarter))] = 1
    assert counted(plan, buckets) == expected
    for day_start, day_end in [*plan.days, *plan.late_days]:
        assert day_start.time() == day_end.time() == datetime.min.time()
    for (borrowed_start, borrowed_end), _ in plan.borrowed:
        assert borrowed_end - borrowed_start <= MAX_BORROWED
    for raw_start, raw_end in plan.raw:
        # Only partial quarter hours, each inside one (so inside one bucket).
        assert quarter_hour_of(raw_start) == quarter_hour_of(raw_end - timedelta(microseconds=1))
        assert raw_end - raw_start < QUARTER
    assert len(plan.days) + len(plan.late_days) <= MAX_DAY_RUNS
    assert len(plan.borrowed) <= MAX_BORROWED_DAYS


@settings(max_examples=300, deadline=None)
@given(
    start=st.datetimes(min_value=datetime(2025, 1, 1), max_value=datetime(2027, 12, 31)),
    length=st.timedeltas(min_value=timedelta(microseconds=1), max_value=timedelta(days=40)),
    zone=st.sampled_from(ZONES),
    granularity=st.sampled_from(list(Granularity)),
    bucketed=st.booleans(),
)
def test_hours_moved_to_the_hourly_tier_keep_each_quarter_hour_once_in_its_own_bucket(
    start: datetime, length: timedelta, zone: str, granularity: Granularity, bucketed: bool
) -> None:
    begin = start.replace(tzinfo=UTC)
    end = begin + length
    if granularity is Granularity.HOUR:
        end = min(end, begin + timedelta(days=20))
    buckets = window(begin, end, zone, granularity) if bucketed else None
    plain = plan_tiers(begin, end, buckets)

    plan = with_hours(plain, buckets)

    assert_exact_cover(plan, begin, end)
    assert counted(plan, buckets) == counted(plain, buckets)
    for hour_start, hour_end in [*plan.hours, *(span for span, _ in plan.borrowed_hours)]:
        assert hour_start.minute == hour_end.minute == 0
    if plan is plain:  # declined: too many spans for one statement
        return
    # No whole hour inside one bucket is left in quarter hours.
    starts = () if buckets is None else buckets.starts
    for span in [*plan.quarters, *(span for span, _ in plan.borrowed)]:
        at = span[0].replace(minute=0) + timedelta(hours=1) if span[0].minute else span[0]
        while at + timedelta(hours=1) <= span[1]:
            assert any(at < s < at + timedelta(hours=1) for s in starts)
            at += timedelta(hours=1)


def test_an_hourly_week_in_new_york_reads_hours_and_kolkata_quarter_hours() -> None:
    start, end = utc(2026, 3, 5, 5), utc(2026, 3, 12, 4)  # across 8 March's spring-forward
    hours = window(start, end, "America/New_York", Granularity.HOUR)
    new_york = with_hours(plan_tiers(start, end, hours), hours)
    assert (new_york.hours, new_york.quarters) == ([(start, end)], [])
    kolkata = window(start, end, "Asia/Kolkata", Granularity.HOUR)
    plan = with_hours(plan_tiers(start, end, kolkata), kolkata)
    assert (plan.hours, plan.quarters) == ([], [(start, end)])


def test_auckland_days_cut_near_noon_read_hours() -> None:
    start, end = utc(2026, 3, 1, 11), utc(2026, 3, 11, 11)  # Auckland's midnights, +13
    buckets = window(start, end, "Pacific/Auckland", Granularity.DAY)
    plan = with_hours(plan_tiers(start, end, buckets), buckets)
    assert plan.hours == [(start, end)]
    assert plan.quarters == plan.days == []
    assert plan.borrowed == plan.borrowed_hours == []


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


def test_kolkata_days_read_utc_days_whole_and_borrow_their_last_five_and_a_half_hours() -> None:
    # A Kolkata day runs from 18:30 UTC to 18:30 UTC: each UTC day counts in the Kolkata day
    # holding its start, less its hours from 18:30, which count in the next one.
    start, end = utc(2026, 3, 1, 18, 30), utc(2026, 3, 11, 18, 30)

    plan = plan_tiers(start, end, window(start, end, "Asia/Kolkata", Granularity.DAY))

    cut = [utc(2026, 3, day) for day in range(2, 11)]
    evening = timedelta(hours=18, minutes=30)
    assert plan.days == [(utc(2026, 3, 2), utc(2026, 3, 11))]
    assert plan.late_days == []
    assert plan.borrowed == [((day + evening, day + DAY), day) for day in cut]
    assert plan.quarters == [
        (start, utc(2026, 3, 2)),
        *((day + evening, day + DAY) for day in cut[:-1]),
        (utc(2026, 3, 10, 18, 30), end),
    ]


def test_new_york_days_borrow_their_first_hours_across_a_daylight_saving_change() -> None:
    # New York's midnight is 05:00 UTC, and 04:00 UTC from 2026-03-08 (spring forward): each
    # UTC day counts in the New York day holding its end, less its first hours.
    start, end = utc(2026, 3, 6, 5), utc(2026, 3, 10, 4)

    plan = plan_tiers(start, end, window(start, end, "America/New_York", Granularity.DAY))

    midnights = [utc(2026, 3, 7, 5), utc(2026, 3, 8, 5), utc(2026, 3, 9, 4)]
    assert plan.days == []
    assert plan.late_days == [(utc(2026, 3, 7), utc(2026, 3, 10))]
    assert plan.borrowed == [((day_of(m), m), m) for m in midnights]
    # The quarter hours before the first whole day and its borrowed hours are one run.
    assert plan.quarters == [
        (start, midnights[0]),
        *((day_of(m), m) for m in midnights[1:]),
        (utc(2026, 3, 10), end),
    ]


def test_a_kolkata_week_borrows_only_from_the_utc_day_holding_monday_midnight() -> None:
    # Monday 2026-03-09 00:00 in Kolkata is Sunday 2026-03-08 18:30 UTC.
    start, end = utc(2026, 3, 1, 18, 30), utc(2026, 3, 15, 18, 30)

    plan = plan_tiers(start, end, window(start, end, "Asia/Kolkata", Granularity.WEEK))

    monday = utc(2026, 3, 8, 18, 30)
    assert plan.days == [(utc(2026, 3, 2), utc(2026, 3, 15))]
    assert plan.borrowed == [((monday, utc(2026, 3, 9)), utc(2026, 3, 8))]
    assert plan.quarters == [
        (start, utc(2026, 3, 2)),
        (monday, utc(2026, 3, 9)),
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


def test_many_cut_days_keep_the_longest_runs_and_read_the_rest_in_quarter_hours() -> None:
    # Kolkata months over ten years: 120 UTC days hold a month's start, too many to borrow.
    start, end = utc(2016, 1, 1), utc(2026, 1, 1)

    plan = plan_tiers(start, end, window(start, end, "Asia/Kolkata", Granularity.MONTH))

    assert len(plan.days) == MAX_DAY_RUNS
    assert len(plan.quarters) <= MAX_DAY_RUNS + 1
    assert_exact_cover(plan, start, end)


def test_a_long_window_cut_off_the_hour_keeps_its_statement_bounded() -> None:
    # Kolkata days over 600 days: every bucket starts at half past a UTC hour.
    start, end = utc(2024, 1, 1, 18, 30), utc(2025, 8, 23, 18, 30)
    buckets = window(start, end, "Asia/Kolkata", Granularity.DAY)

    base = plan_tiers(start, end, buckets)
    plan = with_hours(base, buckets)

    assert (
        len(plan.quarters) + len(plan.borrowed) + len(plan.hours) + len(plan.borrowed_hours)
        <= len(base.quarters) + len(base.borrowed) + MAX_DAY_RUNS
    )
    assert_exact_cover(plan, start, end)
