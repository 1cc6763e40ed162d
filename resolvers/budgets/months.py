"""Budget months: calendar months in a project's time zone, as UTC instants.

A month starts at local midnight of its first day. Where that midnight does not exist (a
DST gap at midnight), ``zoneinfo`` reads the wall time with the offset before the gap, which
is the instant the day begins; where it happens twice, the first. Every offset in use is a
whole multiple of 15 minutes, so both ends lie on the rollups' quarter hours.
"""

import re
from dataclasses import dataclass
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from kernel.errors import BadUserInput

_MONTH = re.compile(r"^(\d{4})-(\d{2})$")
FIRST_YEAR = 2000  # no request is older (recording refuses them)


@dataclass(frozen=True)
class BudgetMonth:
    year: int
    month: int
    zone_name: str

    @property
    def label(self) -> str:
        return f"{self.year:04d}-{self.month:02d}"

    @property
    def start(self) -> datetime:
        """The first instant of the month, UTC."""
        return _local_midnight(self.year, self.month, self.zone_name)

    @property
    def end(self) -> datetime:
        """The first instant of the next month, UTC."""
        return self.following().start

    def following(self) -> "BudgetMonth":
        if self.month == 12:
            return BudgetMonth(self.year + 1, 1, self.zone_name)
        return BudgetMonth(self.year, self.month + 1, self.zone_name)


def month_of(instant: datetime, zone_name: str) -> BudgetMonth:
    local = instant.astimezone(ZoneInfo(zone_name))
    return BudgetMonth(local.year, local.month, zone_name)


def months_between(first: datetime, last: datetime, zone_name: str) -> list[BudgetMonth]:
    """The months holding ``first`` to ``last`` (both included), in order."""
    month = month_of(first, zone_name)
    final = month_of(last, zone_name)
    months = [month]
    while (month.year, month.month) < (final.year, final.month):
        month = month.following()
        months.append(month)
    return months


def parse_month(text: str, zone_name: str, argument: str = "month") -> BudgetMonth:
    match = _MONTH.match(text.strip())
    if match is None:
        raise BadUserInput(argument, f"{text!r} is not a month; write YYYY-MM, e.g. 2026-10")
    year, month = int(match.group(1)), int(match.group(2))
    if not 1 <= month <= 12 or not FIRST_YEAR <= year <= 9998:
        raise BadUserInput(argument, f"{text!r} is not a month from {FIRST_YEAR}-01 to 9998-12")
    return BudgetMonth(year, month, zone_name)


def _local_midnight(year: int, month: int, zone_name: str) -> datetime:
    return datetime(year, month, 1, tzinfo=ZoneInfo(zone_name)).astimezone(UTC)
