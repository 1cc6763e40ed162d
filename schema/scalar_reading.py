"""How GraphQL's scalars read a record's values, for the fast readers of records
(``records_reader``, ``records_coercion``), which must read exactly as the scalars do: Int's
32-bit bounds, and the DateTime scalar's reading of the usual timestamps."""

import re
from datetime import datetime

MAX_INT = 2**31 - 1
MIN_INT = -(2**31)

# The timestamps gateways write: datetime.fromisoformat and dateutil's isoparse (Strawberry's
# DateTime parser) read these the same; anything else goes to the scalar's own parser.
_PLAIN_TIMESTAMP = re.compile(
    r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d{1,6})?(?:Z|[+-]\d{2}:\d{2})?"
).fullmatch


def plain_timestamp(value: str) -> datetime | None:
    """``value`` as the DateTime scalar reads it, when it is a timestamp of the usual shape
    (which ``datetime.fromisoformat`` reads alike); None for any other string."""
    if _PLAIN_TIMESTAMP(value):
        try:
            return datetime.fromisoformat(value)
        except ValueError:
            pass  # e.g. 24:00, which isoparse reads as the next midnight
    return None
