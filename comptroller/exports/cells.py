"""CSV cells: RFC 4180 quoting (Python's csv module), ISO instants, exact dollars, and text
that a spreadsheet would run as a formula neutralised (OWASP "CSV injection")."""

import csv
import io
from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any

from resolvers.arguments import NANOS_PER_USD
from resolvers.request_export import as_instant

# A cell starting with one of these is a formula (or becomes one) in Excel, LibreOffice and
# Google Sheets; a leading apostrophe makes it text again.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def neutralised(text: str) -> str:
    return f"'{text}" if text.startswith(FORMULA_STARTS) else text


def text_cell(value: Any) -> str:
    """Any value the data holds (names, labels, messages, content) as a safe cell."""
    if value is None:
        return ""
    return neutralised(str(value))


def number_cell(value: int | float | None) -> str:
    if value is None:
        return ""
    return repr(value) if isinstance(value, float) else str(int(value))


def instant_cell(value: datetime | str | None) -> str:
    """ISO-8601 in UTC with its offset, e.g. 2026-01-31T12:00:00.123456+00:00."""
    return "" if value is None else as_instant(value).isoformat()


def usd_nanos_cell(value: int | None) -> str:
    """Nano-dollars as an exact decimal number of dollars (no binary rounding)."""
    if value is None:
        return ""
    whole, nanos = divmod(abs(int(value)), NANOS_PER_USD)
    return f"{'-' if value < 0 else ''}{whole}.{nanos:09d}"


CELL_OF_KIND = {
    "text": text_cell,
    "number": number_cell,
    "instant": instant_cell,
    "usd_nanos": usd_nanos_cell,
}


def csv_text(rows: Iterable[Sequence[str]]) -> str:
    """Rows of cells as RFC 4180 CSV (CRLF line ends, quotes where needed)."""
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\r\n").writerows(rows)
    return buffer.getvalue()
