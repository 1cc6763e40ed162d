"""Local-time buckets found by walking every quarter hour (the reference the bucket code is
checked against), and the zones the bucket tests draw from: whole, half and quarter hours
off UTC, with and without daylight saving."""

from collections.abc import Hashable
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from resolvers.dashboards.buckets import Granularity

QUARTER = timedelta(minutes=15)
ZONES = [
    "UTC", "America/New_York", "Europe/Berlin", "Asia/Kolkata", "Asia/Kathmandu",
    "Australia/Adelaide", "America/Santiago", "Pacific/Chatham", "America/Havana",
]  # fmt: skip


def label(instant: datetime, zone: ZoneInfo, granularity: Granularity) -> Hashable:
    local = instant.astimezone(zone)
    if granularity is Granularity.HOUR:
        return (local.date(), local.hour, local.utcoffset())
    if granularity is Granularity.DAY:
        return local.date()
    if granularity is Granularity.WEEK:
        return local.date() - timedelta(days=local.weekday())
    return (local.year, local.month)


def brute_force(
    start: datetime, end: datetime, zone: ZoneInfo, granularity: Granularity
) -> list[datetime]:
    """Walk quarter hours: a bucket starts wherever the local label changes."""
    at = start.replace(minute=start.minute - start.minute % 15, second=0, microsecond=0)
    while label(at - QUARTER, zone, granularity) == label(at, zone, granularity):
        at -= QUARTER
    starts = [at]
    at += QUARTER
    while at < end:
        if label(at, zone, granularity) != label(at - QUARTER, zone, granularity):
            starts.append(at)
        at += QUARTER
    return starts
