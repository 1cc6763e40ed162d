"""Dashboard buckets in a requested time zone, as UTC instants.

A bucket starts at a local wall-clock boundary (the hour, midnight, Monday midnight, the
first of the month) in an IANA zone. Days are stepped in wall time and each edge converted,
so a daylight-saving day lasts 23 or 25 hours; hours are stepped in real time and re-aligned
to the local hour, so the repeated hour of a fall-back night is a bucket of its own. A local
midnight that does not exist (a spring-forward at 00:00) starts its day at the transition.

Every offset in use is a whole multiple of 15 minutes, so each edge falls on a quarter hour
(aligned in UTC) and each of the rollups' quarter hours falls wholly inside one bucket.
"""

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from zoneinfo import ZoneInfo

MAX_BUCKETS = 2000
_QUARTER = timedelta(minutes=15)


class Granularity(StrEnum):
    HOUR = "HOUR"
    DAY = "DAY"
    WEEK = "WEEK"
    MONTH = "MONTH"


class TooManyBuckets(ValueError):
    pass


def bucket_starts(
    start: datetime, end: datetime, zone: ZoneInfo, granularity: Granularity
) -> list[datetime]:
    """UTC starts of the buckets from the one holding ``start`` to the one holding the last
    instant before ``end``. Raises ``TooManyBuckets`` past ``MAX_BUCKETS``."""
    if start >= end:
        return []
    starts: list[datetime] = []
    for edge in _edges(_floor(start, zone, granularity), zone, granularity):
        if edge >= end:
            break
        if len(starts) == MAX_BUCKETS:
            raise TooManyBuckets(f"more than {MAX_BUCKETS} buckets")
        starts.append(edge)
    return starts


def _floor(instant: datetime, zone: ZoneInfo, granularity: Granularity) -> datetime:
    local = instant.astimezone(zone)
    if granularity is Granularity.HOUR:
        return _utc(local.replace(minute=0, second=0, microsecond=0))
    day = local.replace(hour=0, minute=0, second=0, microsecond=0, fold=0)
    if granularity is Granularity.WEEK:
        day -= timedelta(days=day.weekday())
    elif granularity is Granularity.MONTH:
        day = day.replace(day=1)
    return _midnight(day, zone)


def _edges(first: datetime, zone: ZoneInfo, granularity: Granularity) -> Iterator[datetime]:
    edge = first
    while True:
        yield edge
        following = _next(edge, zone, granularity)
        # A wall time skipped by a spring-forward can map onto the edge already given.
        while following <= edge:
            following = _next(following + timedelta(minutes=15), zone, granularity)
        edge = following


def _next(edge: datetime, zone: ZoneInfo, granularity: Granularity) -> datetime:
    if granularity is Granularity.HOUR:
        return _next_hour(edge, zone)
    local = edge.astimezone(zone)
    date = local.date()
    if granularity is Granularity.DAY:
        date += timedelta(days=1)
    elif granularity is Granularity.WEEK:
        date += timedelta(days=7 - date.weekday())
    else:
        date = (date.replace(day=28) + timedelta(days=4)).replace(day=1)
    return _midnight(datetime(date.year, date.month, date.day), zone)


def _next_hour(edge: datetime, zone: ZoneInfo) -> datetime:
    """The next local hour boundary, or an offset change before it: an hour bucket holds one
    wall-clock hour at one UTC offset (so the repeated hour of a fall-back is its own)."""
    boundary = _utc(
        (edge + timedelta(hours=1)).astimezone(zone).replace(minute=0, second=0, microsecond=0)
    )
    offset = edge.astimezone(zone).utcoffset()
    if (boundary - _QUARTER).astimezone(zone).utcoffset() == offset:
        return boundary
    # Offsets change on quarter hours: find the one where it did.
    at = edge + _QUARTER
    while at < boundary and at.astimezone(zone).utcoffset() == offset:
        at += _QUARTER
    return at


def _midnight(day: datetime, zone: ZoneInfo) -> datetime:
    """The first instant of a local date (the transition, if its midnight was skipped)."""
    return _utc(day.replace(tzinfo=zone, fold=0))


def _utc(local: datetime) -> datetime:
    return local.astimezone(UTC)
