"""SQL for the bucket (an hour, day, week or month in a zone) holding a quarter hour.

Grouping by bucket in the database returns one row per bucket (and dimension values)
instead of one per quarter hour, which Python would then have to fold.

A window's buckets are cut into segments of consecutive buckets of one length: within a
segment, the bucket of an instant is plain arithmetic on its epoch. Offsets change rarely, so
a 30-day window has one to three segments (a bucket holding an offset change is one of its
own, a 25-hour day say); months differ in length, so each month is a segment. The index is
then a CASE over the segment boundaries, every number a bound parameter.
"""

import math
from collections.abc import Callable
from dataclasses import dataclass
from itertools import pairwise

from resolvers.dashboards.time_range import Window


@dataclass(frozen=True)
class Segment:
    first_index: int  # index of its first bucket in the window
    first_epoch: int  # UTC start of its first bucket, in seconds since the epoch
    seconds: int  # length of each of its buckets


def segments(window: Window) -> list[Segment]:
    """The window's buckets as runs of equal length, in order."""
    epochs = [int(start.timestamp()) for start in window.starts]
    found: list[Segment] = []
    for index, epoch in enumerate(epochs):
        if index + 1 < len(epochs):
            seconds = epochs[index + 1] - epoch
        else:
            # The last bucket may end after the window: only [epoch, end) can be asked for,
            # so any length covering that span maps it right.
            seconds = max(1, math.ceil(window.end.timestamp()) - epoch)
        if found:
            last = found[-1]
            same_length = seconds == last.seconds or (
                index + 1 == len(epochs) and seconds <= last.seconds
            )
            expected = last.first_epoch + (index - last.first_index) * last.seconds
            if same_length and epoch == expected:
                continue
        found.append(Segment(index, epoch, seconds))
    return found


def epoch_sql(column: str, postgres: bool) -> str:
    """Whole seconds since the epoch of a UTC timestamp column, as the ORM stores it."""
    if postgres:
        # date_part gives a double, cheaper per row than EXTRACT's numeric; exact here.
        return f"CAST(date_part('epoch', {column}) AS BIGINT)"
    # SQLite keeps UTC instants as text, 'YYYY-MM-DD HH:MM:SS[.ffffff]+00:00'.
    return f"CAST(strftime('%s', substr({column}, 1, 19)) AS INTEGER)"


def bucket_index_sql(window: Window, epoch: str, bind: Callable[[int], str], postgres: bool) -> str:
    """The index in ``window.starts`` of the bucket holding ``epoch`` (an SQL expression of
    whole seconds, at or after the first bucket's start)."""

    def number(value: int) -> str:
        # asyncpg needs a type for a parameter that only meets other parameters.
        mark = bind(value)
        return f"CAST({mark} AS BIGINT)" if postgres else mark

    def within(segment: Segment) -> str:
        return (
            f"{number(segment.first_index)} + ({epoch} - {number(segment.first_epoch)}) "
            f"/ {number(segment.seconds)}"
        )

    parts = segments(window)
    if len(parts) == 1:
        return within(parts[0])
    cases = " ".join(
        f"WHEN {epoch} < {number(following.first_epoch)} THEN {within(segment)}"
        for segment, following in pairwise(parts)
    )
    return f"CASE {cases} ELSE {within(parts[-1])} END"
