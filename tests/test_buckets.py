"""Local-time buckets against a brute-force walk over every quarter hour."""

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from resolvers.dashboards.buckets import MAX_BUCKETS, Granularity, TooManyBuckets, bucket_starts
from tests.support.bucket_walk import ZONES, brute_force


def utc(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=UTC)


def test_new_york_spring_forward_day_has_23_hours() -> None:
    zone = ZoneInfo("America/New_York")
    days = bucket_starts(utc(2026, 3, 8, 5), utc(2026, 3, 10, 4), zone, Granularity.DAY)
    assert days == [utc(2026, 3, 8, 5), utc(2026, 3, 9, 4)]
    hours = bucket_starts(utc(2026, 3, 8, 5), utc(2026, 3, 9, 4), zone, Granularity.HOUR)
    assert len(hours) == 23


def test_berlin_fall_back_day_has_25_hours_with_the_repeated_hour_its_own() -> None:
    zone = ZoneInfo("Europe/Berlin")
    hours = bucket_starts(utc(2026, 10, 24, 22), utc(2026, 10, 25, 23), zone, Granularity.HOUR)
    assert len(hours) == 25
    assert utc(2026, 10, 25, 0) in hours
    assert utc(2026, 10, 25, 1) in hours


def test_kolkata_days_start_at_half_past_in_utc() -> None:
    zone = ZoneInfo("Asia/Kolkata")
    days = bucket_starts(utc(2026, 1, 1, 0), utc(2026, 1, 3, 0), zone, Granularity.DAY)
    assert days == [utc(2025, 12, 31, 18, 30), utc(2026, 1, 1, 18, 30), utc(2026, 1, 2, 18, 30)]


def test_weeks_start_on_monday_and_months_on_the_first() -> None:
    weeks = bucket_starts(utc(2026, 11, 26), utc(2026, 12, 8), ZoneInfo("UTC"), Granularity.WEEK)
    assert weeks == [utc(2026, 11, 23), utc(2026, 11, 30), utc(2026, 12, 7)]
    months = bucket_starts(utc(2026, 1, 31), utc(2026, 3, 2), ZoneInfo("UTC"), Granularity.MONTH)
    assert months == [utc(2026, 1, 1), utc(2026, 2, 1), utc(2026, 3, 1)]


def test_a_skipped_midnight_starts_its_day_at_the_transition() -> None:
    # Havana springs forward at 00:00 local on 2026-03-08: that day begins at 01:00 CDT.
    zone = ZoneInfo("America/Havana")
    days = bucket_starts(utc(2026, 3, 7, 12), utc(2026, 3, 9, 12), zone, Granularity.DAY)
    assert brute_force(utc(2026, 3, 7, 12), utc(2026, 3, 9, 12), zone, Granularity.DAY) == days
    assert utc(2026, 3, 8, 5) in days


def test_too_many_buckets_is_refused() -> None:
    with pytest.raises(TooManyBuckets):
        bucket_starts(utc(2020, 1, 1), utc(2020, 1, 1) + timedelta(hours=MAX_BUCKETS + 1),
                      ZoneInfo("UTC"), Granularity.HOUR)  # fmt: skip


@settings(max_examples=300, deadline=None)
@given(
    zone=st.sampled_from(ZONES),
    granularity=st.sampled_from(list(Granularity)),
    start=st.datetimes(min_value=datetime(2024, 1, 1), max_value=datetime(2027, 12, 31)),
    length=st.timedeltas(min_value=timedelta(seconds=1), max_value=timedelta(days=40)),
)
def test_buckets_match_a_walk_over_every_quarter_hour(
    zone: str, granularity: Granularity, start: datetime, length: timedelta
) -> None:
    begin = start.replace(tzinfo=UTC)
    tz = ZoneInfo(zone)
    expected = brute_force(begin, begin + length, tz, granularity)
    assert bucket_starts(begin, begin + length, tz, granularity) == expected
