"""The SQL that maps a quarter hour to its bucket, evaluated by SQLite for every quarter hour
of a window, against a search in the window's bucket starts."""

import sqlite3
from bisect import bisect_right
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from hypothesis import given, settings
from hypothesis import strategies as st

from resolvers.dashboards.bucket_sql import bucket_index_sql, epoch_sql, segments
from resolvers.dashboards.buckets import Granularity, bucket_starts
from resolvers.dashboards.time_range import Window
from tests.support.bucket_walk import QUARTER, ZONES


def local_window(start: datetime, end: datetime, zone: str, granularity: Granularity) -> Window:
    return Window(
        start, end, zone, granularity, tuple(bucket_starts(start, end, ZoneInfo(zone), granularity))
    )


def indexes_in_sqlite(window: Window, quarters: list[datetime]) -> list[int]:
    params: list[object] = []

    def bind(value: int) -> str:
        params.append(value)
        return "?"

    # Stored as the ORM stores UTC instants in SQLite.
    stored = [(q.isoformat(" "),) for q in quarters]
    expression = bucket_index_sql(window, epoch_sql("bucket_start", False), bind, False)
    with sqlite3.connect(":memory:") as db:
        db.execute("CREATE TABLE quarters (position INTEGER PRIMARY KEY, bucket_start TEXT)")
        db.executemany("INSERT INTO quarters (bucket_start) VALUES (?)", stored)
        rows = db.execute(f"SELECT {expression} FROM quarters ORDER BY position", params)  # noqa: S608 - numbers are bound
        return [int(index) for (index,) in rows]


def quarters_of(window: Window) -> list[datetime]:
    """The whole quarter hours inside the window, as the rollups hold them."""
    at = window.start.replace(minute=window.start.minute // 15 * 15, second=0, microsecond=0)
    if at < window.start:
        at += QUARTER
    found = []
    while at + QUARTER <= window.end:
        found.append(at)
        at += QUARTER
    return found


def test_a_berlin_fall_back_day_is_a_segment_of_its_own() -> None:
    window = local_window(
        datetime(2026, 10, 20, tzinfo=UTC), datetime(2026, 10, 30, tzinfo=UTC),
        "Europe/Berlin", Granularity.DAY,
    )  # fmt: skip
    lengths = [segment.seconds for segment in segments(window)]
    assert lengths == [86400, 90000, 86400]


def test_utc_days_are_one_segment() -> None:
    window = local_window(
        datetime(2026, 10, 27, 6, 7, tzinfo=UTC), datetime(2026, 11, 26, 1, tzinfo=UTC),
        "UTC", Granularity.DAY,
    )  # fmt: skip
    assert len(segments(window)) == 1


@settings(max_examples=150, deadline=None)
@given(
    zone=st.sampled_from(ZONES),
    granularity=st.sampled_from(list(Granularity)),
    start=st.datetimes(min_value=datetime(2024, 1, 1), max_value=datetime(2027, 12, 31)),
    length=st.timedeltas(min_value=timedelta(minutes=20), max_value=timedelta(days=70)),
)
def test_every_quarter_hour_lands_in_the_bucket_holding_it(
    zone: str, granularity: Granularity, start: datetime, length: timedelta
) -> None:
    begin = start.replace(tzinfo=UTC)
    if granularity is Granularity.HOUR:
        length = min(length, timedelta(days=20))
    window = local_window(begin, begin + length, zone, granularity)
    quarters = quarters_of(window)
    expected = [bisect_right(window.starts, q) - 1 for q in quarters]
    assert indexes_in_sqlite(window, quarters) == expected
