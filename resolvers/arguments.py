"""Argument checks that run before anything reaches the database (CONTRACT.md §6)."""

import math
import re
from collections.abc import Iterable
from datetime import UTC, datetime
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

from kernel.errors import BadUserInput
from models.enums import ProjectRole

MAX_PAGE_SIZE = 100
NAME_MAX_LENGTH = 200
DESCRIPTION_MAX_LENGTH = 5000
EMAIL_MAX_LENGTH = 254
# IDs are positive database integers: INTEGER columns, but BIGINT for requests. A larger
# number cannot name a row, and PostgreSQL refuses to compare a column with it.
ID_MAX = 2**31 - 1
BIG_ID_MAX = 2**63 - 1
NANOS_PER_USD = 1_000_000_000
# A price above $100,000 per million tokens is a typo, not a price.
MAX_PRICE_PER_MILLION_USD = 100_000

_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


def parse_id(value: str, argument: str, maximum: int = ID_MAX) -> int:
    text = str(value).strip()
    if not (text.isascii() and text.isdigit()) or len(text) > 19 or not 0 < int(text) <= maximum:
        raise BadUserInput(argument, f"{value!r} is not a valid id")
    return int(text)


def parse_ids(values: Iterable[str], argument: str) -> list[int]:
    return sorted({parse_id(value, argument) for value in values})


DEFAULT_PAGE_SIZE = 50


def page_size(first: int | None, argument: str = "first") -> int:
    """``first`` of a connection: 1..100, and an explicit null means the default."""
    if first is None:
        return DEFAULT_PAGE_SIZE
    if not 1 <= first <= MAX_PAGE_SIZE:
        raise BadUserInput(argument, f"must be between 1 and {MAX_PAGE_SIZE}")
    return first


def clean_name(value: str, argument: str) -> str:
    name = value.strip()
    if not name:
        raise BadUserInput(argument, "must not be blank")
    if len(name) > NAME_MAX_LENGTH:
        raise BadUserInput(argument, f"must be at most {NAME_MAX_LENGTH} characters")
    return name


def clean_description(value: str | None, argument: str) -> str | None:
    if value is None:
        return None
    if len(value) > DESCRIPTION_MAX_LENGTH:
        raise BadUserInput(argument, f"must be at most {DESCRIPTION_MAX_LENGTH} characters")
    return value.strip() or None


def clean_email(value: str, argument: str = "email") -> str:
    email = value.strip().lower()
    if len(email) > EMAIL_MAX_LENGTH or not _EMAIL.match(email):
        raise BadUserInput(argument, f"{value!r} is not an email address")
    return email


def clean_roles(values: Iterable[ProjectRole], argument: str = "roles") -> list[str]:
    roles = sorted({ProjectRole(value).value for value in values})
    if not roles:
        raise BadUserInput(argument, "name at least one role (use removeMember to revoke access)")
    return roles


def usd_to_nanos(value: float, argument: str, maximum_usd: float) -> int:
    if not math.isfinite(value) or value < 0:
        raise BadUserInput(argument, "must be a non-negative number")
    if value > maximum_usd:
        raise BadUserInput(argument, f"must be at most {maximum_usd}")
    return round(value * NANOS_PER_USD)


def aware_instant(value: datetime, argument: str) -> datetime:
    """An instant with its offset, in UTC; a time without an offset is ambiguous."""
    if value.tzinfo is None or value.utcoffset() is None:
        raise BadUserInput(argument, "must carry a UTC offset, e.g. 2026-01-31T00:00:00Z")
    return value.astimezone(UTC)


def timezone_name(value: str, argument: str) -> str:
    if value not in _known_timezones():
        raise BadUserInput(argument, f"{value!r} is not an IANA time zone name")
    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError) as error:
        raise BadUserInput(argument, f"{value!r} is not an IANA time zone name") from error
    return value


_ZONES: frozenset[str] | None = None


def _known_timezones() -> frozenset[str]:
    global _ZONES
    if _ZONES is None:
        _ZONES = frozenset(available_timezones())
    return _ZONES
