"""A dashboard's ``TimeRange``, validated: instants, zone, granularity and its buckets."""

from bisect import bisect_right
from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from kernel.errors import BadUserInput
from resolvers.arguments import aware_instant, timezone_name
from resolvers.dashboards.buckets import MAX_BUCKETS, Granularity, TooManyBuckets, bucket_starts


@dataclass(frozen=True)
class Window:
    start: datetime  # inclusive, UTC
    end: datetime  # exclusive, UTC
    zone_name: str
    granularity: Granularity
    starts: tuple[datetime, ...]  # UTC starts of the buckets, in the zone

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.zone_name)

    def index_of(self, instant: datetime) -> int:
        """The bucket holding ``instant`` (which lies inside the window)."""
        return bisect_right(self.starts, instant) - 1

    def previous(self) -> tuple[datetime, datetime]:
        """The period of the same length just before ``start``."""
        return self.start - (self.end - self.start), self.start


def window(
    start: datetime,
    end: datetime,
    timezone: str | None,
    granularity: Granularity,
    default_timezone: str,
    argument: str = "range",
) -> Window:
    begin = aware_instant(start, f"{argument}.from")
    finish = aware_instant(end, f"{argument}.to")
    if begin >= finish:
        raise BadUserInput(f"{argument}.to", "must be after from")
    zone_name = (
        default_timezone if timezone is None else timezone_name(timezone, f"{argument}.timezone")
    )
    try:
        starts = bucket_starts(begin, finish, ZoneInfo(zone_name), granularity)
    except TooManyBuckets as error:
        raise BadUserInput(
            f"{argument}.granularity",
            f"the range holds more than {MAX_BUCKETS} buckets; choose a coarser granularity",
        ) from error
    return Window(begin, finish, zone_name, granularity, tuple(starts))
