"""Every DateTime leaves the API in UTC with its offset (CONTRACT.md §4)."""

from datetime import UTC, datetime


def as_utc(value: datetime) -> datetime:
    if value.tzinfo is None:  # SQLite hands back naive values for UTC columns
        return value.replace(tzinfo=UTC)
    return value.astimezone(UTC)


def as_utc_or_none(value: datetime | None) -> datetime | None:
    return None if value is None else as_utc(value)
